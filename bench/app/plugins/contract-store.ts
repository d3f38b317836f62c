import { hash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { sameHandle, type PkceState } from './hex-pkce-store';
import { poolHex } from './random-pool';

interface Pending {
  handle: string;
  verifier: string;
  createdAt: number;
  /** Only in entries of {@link ContractReturnToStore}. */
  returnTo?: string;
  /** The callback path of the strategy that stored it, with {@link ContractStoreOptions.path}. */
  path?: string;
}

/** What `floor-contract-complete`'s store does on top (each off by default). */
export interface ContractStoreOptions {
  /**
   * Entries record the strategy's callback path, and only a callback on it consumes them (the
   * package's pending logins of several strategies sharing a session).
   */
  readonly path?: string;
  /**
   * The claim goes through a promise, as the package's pluggable claim store
   * (`TikTokStateClaimStore.claim()`, Redis across instances) answers, and is keyed by the
   * SHA-256 of the state, so that no claim store holds a live state.
   */
  readonly storeClaims?: boolean;
  /**
   * Only a session holding nothing but login keys (no user, no data of the app's) gets the
   * short cookie lifetime, which is the pending logins' plus a margin for a browser clock that
   * is off (the app's own when shorter); the app's value is kept in the session meanwhile
   * (docs/strategy.md, "Sessions of logins started without a user").
   */
  readonly loginOnlyLifetime?: boolean;
}

/** `entries` less the oldest of `path`'s beyond {@link MAX_PENDING} (other paths' stay). */
function capped(entries: Pending[], path: string): Pending[] {
  let own = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]?.path === path && ++own > MAX_PENDING) entries.splice(i, 1);
  }
  return entries;
}

/** Where {@link ContractStoreOptions.loginOnlyLifetime} keeps the app's cookie `maxAge`. */
const APP_MAX_AGE_KEY = 'tiktok:cookieMaxAge';
/** How much longer than the pending logins a login-only session's cookie lives. */
const CLOCK_MARGIN_MS = 15 * 60 * 60 * 1000;

const MAX_PENDING = 5;
const TTL_MS = 10 * 60 * 1000;
const MAX_CLAIMS = 10_000;

function isPending(value: unknown): value is Pending {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'handle') === 'string' &&
    typeof Reflect.get(value, 'verifier') === 'string' &&
    typeof Reflect.get(value, 'createdAt') === 'number'
  );
}

/**
 * The state store of `passport-oauth2-contract`: hand-wired passport-oauth2 plus the least code
 * that gives its logins the state handling this package's contract asks of any implementation:
 *
 * - several pending logins per session (two tabs both work), at most 5, each for 10 minutes,
 *   every entry compared in constant time;
 * - a session holding only pending logins expires with them (cookie `maxAge` of 10 minutes);
 * - single-use across concurrent callbacks: the first callback to claim the state wins (a
 *   bounded in-process map, as this package's default claim store);
 * - the state is removed from the stored session before the code exchange (the session is
 *   saved before passport-oauth2 makes the token call).
 *
 * It measures what those behaviours cost on their own (`--ab passport-oauth2-contract,
 * passport-oauth2`); nothing else of this package (timeouts, retries, response validation,
 * typed errors, correlation IDs) is in it, so it is a lower bound of the contract's cost.
 */
export class ContractSessionStore {
  private readonly claims = new Map<string, number>();

  constructor(
    protected readonly key: string,
    private readonly options: ContractStoreOptions = {},
  ) {}

  store(
    req: Request,
    state: PkceState,
    _meta: unknown,
    callback: (err: Error | null, handle?: string) => void,
  ): void {
    const now = Date.now();
    const handle = this.newHandle();
    const stored: unknown = Reflect.get(req.session, this.key);
    // Entries of another callback path (another strategy's) are that strategy's to prune.
    const path = this.options.path;
    const live = Array.isArray(stored)
      ? stored.filter(
          (p): p is Pending => isPending(p) && (p.path !== path || now - p.createdAt < TTL_MS),
        )
      : [];
    const entry: Pending = { handle, verifier: state.verifier, createdAt: now };
    if (path !== undefined) entry.path = path;
    live.push(entry);
    if (this.options.loginOnlyLifetime === true) this.shortenLoginOnly(req);
    else if (req.user === undefined) req.session.cookie.maxAge = TTL_MS;
    Reflect.set(
      req.session,
      this.key,
      path === undefined ? live.slice(-MAX_PENDING) : capped(live, path),
    );
    callback(null, handle);
  }

  /**
   * {@link ContractStoreOptions.loginOnlyLifetime}: a session holding nothing but login keys
   * gets a cookie lifetime of the pending logins plus the clock margin (the app's own when
   * shorter), and the app's value is kept in the session for the login to restore.
   */
  private shortenLoginOnly(req: Request): void {
    const session = req.session as unknown as Record<string, unknown>;
    for (const key of Object.keys(session)) {
      if (key !== 'cookie' && key !== this.key && key !== APP_MAX_AGE_KEY) return;
    }
    const cookie = req.session.cookie;
    let app = session[APP_MAX_AGE_KEY];
    if (app === undefined) {
      app = typeof cookie.originalMaxAge === 'number' ? cookie.originalMaxAge : false;
      session[APP_MAX_AGE_KEY] = app;
    }
    const lifetime = TTL_MS + CLOCK_MARGIN_MS;
    cookie.maxAge = typeof app === 'number' ? Math.min(app, lifetime) : lifetime;
  }

  /** A fresh state handle: 64 hex chars. */
  protected newHandle(): string {
    return randomBytes(32).toString('hex');
  }

  verify(
    req: Request,
    handle: unknown,
    callback: (err: Error | null, ok: string | false, info?: { message: string }) => void,
  ): void {
    const now = Date.now();
    const stored: unknown = Reflect.get(req.session, this.key);
    const entries = Array.isArray(stored) ? stored.filter(isPending) : [];
    let match: Pending | undefined;
    const rest: Pending[] = [];
    const path = this.options.path;
    for (const entry of entries) {
      if (sameHandle(entry.handle, handle) && entry.path === path) match = entry;
      else if (entry.path !== path || now - entry.createdAt < TTL_MS) rest.push(entry);
    }
    const refuse = (): void => {
      callback(null, false, { message: 'Invalid authorization request state.' });
    };
    if (match === undefined || now - match.createdAt >= TTL_MS) {
      refuse();
      return;
    }
    if (this.options.storeClaims !== true) {
      if (this.claim(match.handle, now)) this.consume(req, rest, match.verifier, callback);
      else refuse();
      return;
    }
    const verifier = match.verifier;
    this.claimed(hash('sha256', match.handle, 'hex'), now).then(
      (won) => {
        if (won) this.consume(req, rest, verifier, callback);
        else refuse();
      },
      (err: unknown) => {
        callback(err instanceof Error ? err : new Error('claim failed'), false);
      },
    );
  }

  /** The claimed entry out of the session, the session saved, then the verifier handed back. */
  private consume(
    req: Request,
    rest: Pending[],
    verifier: string,
    callback: (err: Error | null, ok: string | false) => void,
  ): void {
    if (rest.length > 0) Reflect.set(req.session, this.key, rest);
    else Reflect.deleteProperty(req.session, this.key);
    req.session.save((err: unknown) => {
      if (err) callback(err instanceof Error ? err : new Error('session save failed'), false);
      else callback(null, verifier);
    });
  }

  /** Claims `key` in the bounded in-process map: true for the first claimant only. */
  private claim(key: string, now: number): boolean {
    const claimed = this.claims.get(key);
    if (claimed !== undefined && claimed > now) return false;
    if (this.claims.size >= MAX_CLAIMS) this.claims.delete(this.claims.keys().next().value ?? '');
    this.claims.set(key, now + TTL_MS);
    return true;
  }

  /** {@link claim} answered through a promise, as a pluggable (Redis) claim store answers. */
  private claimed(key: string, now: number): Promise<boolean> {
    return Promise.resolve(this.claim(key, now));
  }
}

/**
 * {@link ContractSessionStore} plus the `returnTo` of a login kept with its pending entry
 * (`floor-contract-full`): the entry just stored gets it, and `verify` hands the consumed entry's
 * back. The other entries keep theirs (the base store keeps stored objects as they are).
 */
export class ContractReturnToStore extends ContractSessionStore {
  protected override newHandle(): string {
    return poolHex(32);
  }

  override store(
    req: Request,
    state: PkceState & { returnTo?: string },
    meta: unknown,
    callback: (err: Error | null, handle?: string) => void,
  ): void {
    super.store(req, state, meta, (err, handle) => {
      const live: unknown = Reflect.get(req.session, this.key);
      if (state.returnTo !== undefined && Array.isArray(live)) {
        Reflect.set(Object(live[live.length - 1]), 'returnTo', state.returnTo);
      }
      callback(err, handle);
    });
  }

  override verify(
    req: Request,
    handle: unknown,
    callback: (
      err: Error | null,
      ok: string | false,
      info?: { message: string },
      returnTo?: string,
    ) => void,
  ): void {
    const stored: unknown = Reflect.get(req.session, this.key);
    super.verify(req, handle, (err, verifier, info) => {
      if (verifier === false || !Array.isArray(stored)) {
        callback(err, verifier, info);
        return;
      }
      const match: unknown = stored.find((p) => isPending(p) && p.verifier === verifier);
      if (isPending(match)) this.consumed(req, match);
      const returnTo: unknown = isPending(match) ? match.returnTo : undefined;
      callback(err, verifier, info, typeof returnTo === 'string' ? returnTo : undefined);
    });
  }

  /** Called with the pending entry a callback consumed (a subclass reads more of it). */
  protected consumed(_req: Request, _entry: object): void {
    // Nothing more to read here.
  }
}
