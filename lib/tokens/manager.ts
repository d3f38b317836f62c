import type { TikTokTokens } from '../client/types';
// NOTE: caller-supplied correlation IDs go through acceptCorrelationId(), as in TikTokClient: an
// ID with CR/LF (e.g. a raw X-Correlation-Id header) must not reach the logs or, through the
// error, the X-Correlation-Id response header.
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { SafeLogger } from '../logging';
import {
  resolveManagerOptions,
  type ResolvedManagerOptions,
  type TikTokTokenManagerOptions,
} from './manager-options';
import { TokenRefresher } from './refresher';
import { UnreadableTokenRecordError, type StoredTokenRecord } from './store';
import { noTokensError, storeError } from './token-errors';
import { issuedAt, StoredRecordError } from './token-record';
import { checkOpenId, checkTokens } from './inputs';

/** Options of one manager call. */
export interface TokenCallOptions {
  /**
   * Reuse the caller's correlation ID (e.g. the request's) when it is a short token of safe
   * characters (`[A-Za-z0-9._:-]`, at most 128); anything else gets a fresh one. Default: a fresh one.
   */
  correlationId?: string | undefined;
}

/** Options of {@link TikTokTokenManager.delete}. */
export interface TokenDeleteOptions extends TokenCallOptions {
  /**
   * Epoch ms: delete only tokens issued at or before this time (when the code exchange or
   * refresh that made them was sent), so that a late `authorization.removed` leaves the tokens of a login
   * made after the removal alone. Default: delete whatever is stored.
   */
  issuedNotAfter?: number | undefined;
}

/** Revoking needs an access token that is still valid for at least this long. */
const REVOKE_VALIDITY_MS = 10_000;
const SAVE_ATTEMPTS = 5;

/**
 * A user's TikTok tokens over their lifetime: save at login, get a usable access token (refreshed
 * when it expires within `refreshSkewMs`), revoke at logout. Refresh is single-flight per user in
 * this process and, with {@link RedisTokenStore}, across every instance sharing the Redis.
 *
 * ```ts
 * const tokens = new TikTokTokenManager({ client, store: new RedisTokenStore({ client: redis, encryptionKey: process.env.TIKTOK_TOKEN_KEY }) });
 * passport.use(new TikTokStrategy({ client, tokenManager: tokens }));
 * // Without a verify function, req.user is the TikTokProfile: its id is the open_id.
 * const openIdOf = (req: Request): string => (req.user as TikTokProfile).id;
 * app.get('/videos', async (req, res) => {
 *   const accessToken = await tokens.getAccessToken(openIdOf(req)); // TikTokAPIError on failure
 *   // ...call TikTok with it
 * });
 * app.post('/logout', async (req, res, next) => {
 *   await tokens.revoke(openIdOf(req)).catch((err) => console.warn(err)); // deleted unless the store is down
 *   req.logout(next);
 * });
 * ```
 *
 * Failures are TikTokAPIError: INVALID_TOKEN when no tokens are stored or TikTok ended the grant
 * (stored tokens deleted: log in again), TOKEN_EXPIRED when the grant cannot be refreshed,
 * retryable codes for transient trouble (tokens kept), SERVICE_UNAVAILABLE when the store is down
 * or does not answer, CONFIGURATION_ERROR when a stored record cannot be read (wrong encryption
 * key) or Redis refuses the store's commands (`WRONGTYPE`, `NOPERM`).
 */
export class TikTokTokenManager {
  private readonly o: ResolvedManagerOptions;
  private readonly refresher: TokenRefresher;
  private readonly log: SafeLogger;

  constructor(options: TikTokTokenManagerOptions) {
    this.o = resolveManagerOptions(options);
    this.refresher = new TokenRefresher(this.o);
    this.log = new SafeLogger(this.o.logger);
  }

  /** Stores a user's tokens (at login), replacing any stored ones. */
  async save(openId: string, tokens: TikTokTokens, opts: TokenCallOptions = {}): Promise<void> {
    checkOpenId(openId, 'save');
    const clean = checkTokens(openId, tokens);
    const correlationId = acceptCorrelationId(opts.correlationId);
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      const version = await this.versionToReplace(openId, correlationId);
      if (await this.call(correlationId, () => this.o.store.compareAndSet(openId, version, clean)))
        return;
    }
    throw storeError(new Error('the tokens kept changing while saving'), correlationId, this.log);
  }

  /** The stored tokens as they are (no refresh), or `undefined`. */
  async get(openId: string, opts: TokenCallOptions = {}): Promise<TikTokTokens | undefined> {
    checkOpenId(openId, 'get');
    return (await this.read(openId, acceptCorrelationId(opts.correlationId)))?.tokens;
  }

  /**
   * A usable access token, refreshed first when it expires within `refreshSkewMs`. When the
   * refresh fails transiently (or the grant cannot be refreshed) while the current token has
   * not expired yet, that token is served and the stored tokens are kept.
   */
  async getAccessToken(openId: string, opts: TokenCallOptions = {}): Promise<string> {
    checkOpenId(openId, 'getAccessToken');
    // NOTE: a caller's correlation ID is checked at once, and one is made only when needed (an
    // error, a refresh): serving a valid token, the hot path, makes none.
    const given =
      opts.correlationId === undefined ? undefined : acceptCorrelationId(opts.correlationId);
    const record = await this.read(openId, () => given ?? acceptCorrelationId(undefined));
    if (record !== undefined && this.isFresh(record.tokens, Date.now())) {
      return record.tokens.access_token;
    }
    const correlationId = given ?? acceptCorrelationId(undefined);
    if (record === undefined) throw noTokensError(correlationId);
    try {
      const tokens = await this.refresher.refresh({
        openId,
        correlationId,
        // NOTE: tokens someone else stored since this call's read (another instance's refresh)
        // are used while they have not expired, even inside `refreshSkewMs`: with tokens that
        // live shorter than the skew, each waiting instance would otherwise refresh again.
        needsRefresh: (r, now) =>
          r.version === record.version ? !this.isFresh(r.tokens, now) : r.tokens.expires_at <= now,
      });
      return tokens.access_token;
    } catch (err) {
      // NOTE: whatever failed, unless it ended the grant (INVALID_TOKEN: TikTok refused the
      // refresh token, or the tokens were deleted meanwhile): the access token read above still
      // works at TikTok until it expires.
      const fallback = err instanceof TikTokAPIError && err.code !== 'INVALID_TOKEN';
      if (!fallback || record.tokens.expires_at <= Date.now()) throw err;
      // NOTE: the store is read again first: the tokens may have been deleted (a revoke, a
      // logout) or replaced (a new login) while the refresh failed, and a deleted grant's token
      // must not be handed out. A store that cannot be read now leaves the tokens read above.
      const reread = await Promise.resolve()
        .then(() => this.o.store.get(openId))
        .then(
          (current) => ({ current }),
          () => undefined,
        );
      if (reread !== undefined && reread.current === undefined) throw noTokensError(correlationId);
      if (reread?.current !== undefined && reread.current.version !== record.version) {
        if (reread.current.tokens.expires_at > Date.now())
          return reread.current.tokens.access_token;
        throw err;
      }
      this.log.log(
        'warn',
        '[TikTokOAuth] token_refresh - serving the current access token until it expires',
        {
          correlationId,
          openId,
          errorCode: err.code,
          expiresAt: record.tokens.expires_at,
        },
      );
      return record.tokens.access_token;
    }
  }

  /** Refreshes now (unless another caller refreshed since this call began) and returns the tokens. */
  async refresh(openId: string, opts: TokenCallOptions = {}): Promise<TikTokTokens> {
    checkOpenId(openId, 'refresh');
    const correlationId = acceptCorrelationId(opts.correlationId);
    const record = await this.read(openId, correlationId);
    if (record === undefined) throw noTokensError(correlationId);
    const run = {
      openId,
      correlationId,
      needsRefresh: (r: StoredTokenRecord) => r.version === record.version,
    };
    const tokens = await this.refresher.refresh(run);
    // NOTE: a refresh already in flight may end with the very tokens this call read (it waited
    // for another instance that stored them before this call's read): then refresh again.
    if (tokens.access_token !== record.tokens.access_token) return tokens;
    return this.refresher.refresh(run);
  }

  /**
   * Logout: revokes the grant at TikTok (refreshing first if the access token has expired, as
   * TikTok refuses expired tokens), then deletes the stored tokens whatever TikTok answered:
   * those issued up to the moment the revoke was sent (`issuedNotAfter`), so that a login of the
   * same user saved meanwhile by another instance (another device) keeps its tokens. An
   * already-revoked or unrefreshable grant counts as revoked. Any other TikTok failure is
   * rethrown after the local delete, for the app to log. A store that cannot be read
   * (`SERVICE_UNAVAILABLE` while it is down) fails the call before TikTok is called: nothing is
   * revoked or deleted, and a retry once the store is back does both. The delete itself can
   * fail only with the store: that error is thrown instead, and the tokens stay stored.
   */
  async revoke(openId: string, opts: TokenCallOptions = {}): Promise<void> {
    checkOpenId(openId, 'revoke');
    const correlationId = acceptCorrelationId(opts.correlationId);
    const meta = { correlationId, openId, operation: 'token_revoke' };
    let failure: Error | undefined;
    // What TikTok's revoke can have ended: tokens issued before it was sent (TikTok ends every
    // grant of the user). Moved forward when it is sent, past a refresh made here first.
    let sentAt = Date.now();
    let record: StoredTokenRecord | undefined;
    try {
      record = await this.o.store.get(openId);
      if (record === undefined) return;
    } catch (err) {
      // NOTE: a store that did not answer revoked nothing and deleted nothing: the tokens stay,
      // so that the app's retry (the error says to try again) can still revoke them at TikTok.
      // Deleting them here would end the logout locally with the grant alive at TikTok. A record
      // nobody can read is deleted below (its grant can be neither used nor revoked).
      failure = storeError(err, correlationId, this.log);
      if (!(err instanceof UnreadableTokenRecordError)) throw failure;
    }
    if (record !== undefined) {
      try {
        let tokens = record.tokens;
        const unusable = (t: TikTokTokens, now: number): boolean =>
          t.expires_at <= now + REVOKE_VALIDITY_MS;
        if (unusable(tokens, Date.now())) {
          tokens = await this.refresher.refresh({
            openId,
            correlationId,
            needsRefresh: (r, now) => unusable(r.tokens, now),
          });
        }
        sentAt = Date.now();
        await this.o.client.revokeAccess(tokens.access_token, { correlationId });
        this.log.log('info', '[TikTokOAuth] token_revoke - revoked', meta);
      } catch (err) {
        // NOTE: TikTok's pages do not say how it refuses to revoke an access token that is
        // already revoked or expired: `invalid_grant` (INVALID_TOKEN) or `invalid_request`
        // (VALIDATION_ERROR, what the package documents and the emulator answers). Both count as
        // "already revoked" here; the client's own VALIDATION_ERROR (no TikTok answer) does not.
        if (
          err instanceof TikTokAPIError &&
          (err.code === 'INVALID_TOKEN' ||
            err.code === 'TOKEN_EXPIRED' ||
            (err.code === 'VALIDATION_ERROR' && err.tiktokError?.error === 'invalid_request'))
        ) {
          this.log.log('info', '[TikTokOAuth] token_revoke - grant already revoked or expired', {
            ...meta,
            errorCode: err.code,
          });
        } else {
          failure = err instanceof Error ? err : new Error(String(err));
        }
      }
    }
    // NOTE: not the record read above, by version: a refresh by another instance meanwhile
    // rotated tokens of the same, now revoked, grant, which must go too.
    await this.delete(openId, { correlationId, issuedNotAfter: sentAt });
    if (failure !== undefined) throw failure;
  }

  /**
   * Deletes the stored tokens locally (no TikTok call). Returns whether it deleted any. With
   * `issuedNotAfter`, only tokens TikTok issued at or before that time are deleted: tokens of a
   * later login (or refresh) are kept.
   */
  async delete(openId: string, opts: TokenDeleteOptions = {}): Promise<boolean> {
    checkOpenId(openId, 'delete');
    const correlationId = acceptCorrelationId(opts.correlationId);
    const until = opts.issuedNotAfter;
    if (until === undefined) return this.call(correlationId, () => this.o.store.delete(openId));
    if (typeof until !== 'number' || !Number.isFinite(until)) {
      throw new TypeError('TikTokTokenManager.delete(): issuedNotAfter must be epoch milliseconds');
    }
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      let version: string;
      try {
        const record = await this.o.store.get(openId);
        if (record === undefined || issuedAt(record.tokens) > until) return false;
        version = record.version;
      } catch (err) {
        // A record nobody can read has no issue time: it is deleted like any older one.
        if (!(err instanceof UnreadableTokenRecordError))
          throw storeError(err, correlationId, this.log);
        version = err.version;
      }
      // NOTE: by version: tokens saved between the read and the delete are never removed.
      if (await this.call(correlationId, () => this.o.store.delete(openId, version))) return true;
    }
    throw storeError(new Error('the tokens kept changing while deleting'), correlationId, this.log);
  }

  private isFresh(tokens: TikTokTokens, now: number): boolean {
    return tokens.expires_at - this.o.refreshSkewMs > now;
  }

  /**
   * The version save() replaces: the stored record's, also of one the store cannot read (a lost
   * or rotated-out key): logging in again replaces it instead of failing every login until an
   * operator deletes it.
   */
  private async versionToReplace(
    openId: string,
    correlationId: string,
  ): Promise<string | undefined> {
    try {
      return (await this.o.store.get(openId))?.version;
    } catch (err) {
      if (!(err instanceof UnreadableTokenRecordError))
        throw storeError(err, correlationId, this.log);
      this.log.log(
        'warn',
        '[TikTokOAuth] token_store - replacing stored tokens that cannot be read',
        {
          correlationId,
          openId,
          // NOTE: a custom store's cause could quote what it failed to parse; only this package's
          // StoredRecordError messages (field names, key ids) are known to hold no token.
          detail: (err.cause instanceof StoredRecordError ? err.cause : err).message.slice(0, 300),
        },
      );
      return err.version;
    }
  }

  /** The stored record; a store failure is a TikTokAPIError with `correlationId` (or its maker's). */
  private read(
    openId: string,
    correlationId: string | (() => string),
  ): Promise<StoredTokenRecord | undefined> {
    return this.call(correlationId, () => this.o.store.get(openId));
  }

  /** `fn`'s store call; its failure is a TikTokAPIError with `correlationId`, made then if lazy. */
  private async call<T>(correlationId: string | (() => string), fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const id = typeof correlationId === 'string' ? correlationId : correlationId();
      throw storeError(err, id, this.log);
    }
  }
}
