import { newAuthorizationCode, newToken } from './ids';
import type { ResolvedOptions } from './options';
import type { EmulatorTokenResponse, IssueTokensOptions } from './types';

/** What an authorization code remembers from the authorize request. */
export interface CodeRecord {
  readonly clientKey: string;
  readonly redirectUri: string;
  readonly codeChallenge: string | undefined;
  readonly openId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

interface Grant {
  readonly openId: string;
  readonly scopes: readonly string[];
  /** `expires_in` of the grant's access tokens, those of its refreshes too. */
  readonly accessTtlSec: number;
  refreshToken: string;
  /**
   * When the grant's refresh tokens stop working. NOTE: fixed at the login, not moved by a
   * refresh: TikTok's refresh token is valid for its lifetime "after the initial issuance", and
   * `refresh_expires_in` is the remaining lifetime
   * (https://developers.tiktok.com/doc/oauth-user-access-token-management), so an app must
   * eventually send the user through the login again.
   */
  refreshExpiresAt: number;
  revoked: boolean;
}

interface AccessRecord {
  readonly grant: Grant;
  expiresAt: number;
}

/** The valid access token's owner and scopes. */
export interface AccessGrant {
  readonly openId: string;
  readonly scopes: readonly string[];
}

type StoreOptions = Pick<
  ResolvedOptions,
  'clock' | 'codeTtlMs' | 'accessTokenTtlSec' | 'refreshTokenTtlSec' | 'clientTokenTtlSec'
>;

const SWEEP_THRESHOLD = 10_000;

/**
 * Codes, grants and tokens. A grant is one login: its access tokens (old ones stay valid until
 * they expire) and its current refresh token. NOTE: refresh tokens rotate (
 * https://developers.tiktok.com/doc/oauth-user-access-token-management): refreshing replaces the grant's refresh token and the old one stops working.
 */
export class GrantStore {
  private readonly codes = new Map<string, CodeRecord>();
  private readonly accessTokens = new Map<string, AccessRecord>();
  private readonly refreshTokens = new Map<string, Grant>();
  /** The number of access tokens at which the next sweep runs (doubles while they are live). */
  private accessSweepAt = SWEEP_THRESHOLD;

  constructor(private readonly options: StoreOptions) {}

  /** How many access tokens are kept (for tests of the sweep). @internal */
  get accessTokenCount(): number {
    return this.accessTokens.size;
  }

  issueCode(data: Omit<CodeRecord, 'expiresAt'>): string {
    if (this.codes.size >= SWEEP_THRESHOLD) this.sweepCodes();
    const code = newAuthorizationCode();
    this.codes.set(code, { ...data, expiresAt: this.options.clock() + this.options.codeTtlMs });
    return code;
  }

  /** Consumes a code: it is single-use, whether or not the exchange then succeeds. */
  takeCode(code: string): CodeRecord | undefined {
    const record = this.codes.get(code);
    this.codes.delete(code);
    return record;
  }

  isExpired(expiresAt: number): boolean {
    return this.options.clock() >= expiresAt;
  }

  issueGrant(
    openId: string,
    scopes: readonly string[],
    opts: IssueTokensOptions = {},
  ): EmulatorTokenResponse {
    const refreshTtlSec = opts.refreshTtlSec ?? this.options.refreshTokenTtlSec;
    const grant: Grant = {
      openId,
      scopes: [...scopes],
      accessTtlSec: opts.accessTtlSec ?? this.options.accessTokenTtlSec,
      refreshToken: newToken('rft'),
      refreshExpiresAt: this.options.clock() + refreshTtlSec * 1000,
      revoked: false,
    };
    this.refreshTokens.set(grant.refreshToken, grant);
    return this.mintAccess(grant, refreshTtlSec);
  }

  /**
   * Rotates a refresh token: a new access + refresh token, the old refresh token dies. The new
   * one expires when the grant's first did (`refresh_expires_in` counts down).
   */
  refresh(refreshToken: string): EmulatorTokenResponse | 'invalid' | 'expired' {
    const grant = this.refreshTokens.get(refreshToken);
    if (grant === undefined || grant.revoked) return 'invalid';
    if (this.isExpired(grant.refreshExpiresAt)) return 'expired';
    this.refreshTokens.delete(refreshToken);
    grant.refreshToken = newToken('rft');
    this.refreshTokens.set(grant.refreshToken, grant);
    // Whole seconds, rounded up: a token valid for another half second is not reported as dead.
    const remainingSec = Math.ceil((grant.refreshExpiresAt - this.options.clock()) / 1000);
    return this.mintAccess(grant, remainingSec);
  }

  issueClientToken(): { access_token: string; expires_in: number; token_type: 'Bearer' } {
    // Client tokens only authenticate app-level APIs the emulator does not serve: not stored.
    return {
      access_token: newToken('clt'),
      expires_in: this.options.clientTokenTtlSec,
      token_type: 'Bearer',
    };
  }

  /** The grant behind a usable (known, unexpired, unrevoked) access token. */
  findAccess(accessToken: string): AccessGrant | undefined {
    const record = this.accessTokens.get(accessToken);
    if (record === undefined || record.grant.revoked || this.isExpired(record.expiresAt)) {
      return undefined;
    }
    return { openId: record.grant.openId, scopes: record.grant.scopes };
  }

  /**
   * Revokes every grant of `openId`: the user removed the app's access, or the app revoked one of
   * the user's access tokens (TikTok then disconnects the app from the user). Returns how many.
   */
  revokeUser(openId: string): number {
    const grants = new Set<Grant>();
    for (const grant of this.refreshTokens.values()) if (grant.openId === openId) grants.add(grant);
    for (const { grant } of this.accessTokens.values())
      if (grant.openId === openId) grants.add(grant);
    let revoked = 0;
    for (const grant of grants) {
      if (!grant.revoked) revoked += 1;
      grant.revoked = true;
      this.refreshTokens.delete(grant.refreshToken);
    }
    return revoked;
  }

  expireAccessToken(accessToken: string): boolean {
    const record = this.accessTokens.get(accessToken);
    if (record === undefined) return false;
    record.expiresAt = this.options.clock() - 1;
    return true;
  }

  expireRefreshToken(refreshToken: string): boolean {
    const grant = this.refreshTokens.get(refreshToken);
    if (grant === undefined) return false;
    grant.refreshExpiresAt = this.options.clock() - 1;
    return true;
  }

  clear(): void {
    this.codes.clear();
    this.accessTokens.clear();
    this.accessSweepAt = SWEEP_THRESHOLD;
    this.refreshTokens.clear();
  }

  private mintAccess(grant: Grant, refreshExpiresInSec: number): EmulatorTokenResponse {
    if (this.accessTokens.size >= this.accessSweepAt) this.sweepAccessTokens();
    const accessToken = newToken('act');
    this.accessTokens.set(accessToken, {
      grant,
      expiresAt: this.options.clock() + grant.accessTtlSec * 1000,
    });
    return {
      access_token: accessToken,
      expires_in: grant.accessTtlSec,
      open_id: grant.openId,
      refresh_expires_in: refreshExpiresInSec,
      refresh_token: grant.refreshToken,
      scope: grant.scopes.join(','),
      token_type: 'Bearer',
    };
  }

  /**
   * Drops access tokens that can never be used again (expired, or of a revoked grant): a long
   * run (a load test, a soak) keeps only the live ones. NOTE: the next sweep waits until the
   * live ones have doubled, so that minting stays O(1) amortised when they are all live.
   */
  private sweepAccessTokens(): void {
    for (const [token, record] of this.accessTokens) {
      if (record.grant.revoked || this.isExpired(record.expiresAt)) this.accessTokens.delete(token);
    }
    this.accessSweepAt = Math.max(SWEEP_THRESHOLD, this.accessTokens.size * 2);
  }

  private sweepCodes(): void {
    for (const [code, record] of this.codes) {
      if (this.isExpired(record.expiresAt)) this.codes.delete(code);
    }
  }
}
