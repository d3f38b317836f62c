import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { sameHandle, type PkceState } from './hex-pkce-store';
import { poolHex } from './random-pool';

interface Pending {
  handle: string;
  verifier: string;
  createdAt: number;
  /** Only in entries of {@link ContractReturnToStore}. */
  returnTo?: string;
}

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

  constructor(protected readonly key: string) {}

  store(
    req: Request,
    state: PkceState,
    _meta: unknown,
    callback: (err: Error | null, handle?: string) => void,
  ): void {
    const now = Date.now();
    const handle = this.newHandle();
    const stored: unknown = Reflect.get(req.session, this.key);
    const live = Array.isArray(stored)
      ? stored.filter((p): p is Pending => isPending(p) && now - p.createdAt < TTL_MS)
      : [];
    live.push({ handle, verifier: state.verifier, createdAt: now });
    Reflect.set(req.session, this.key, live.slice(-MAX_PENDING));
    if (req.user === undefined) req.session.cookie.maxAge = TTL_MS;
    callback(null, handle);
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
    for (const entry of entries) {
      if (sameHandle(entry.handle, handle)) match = entry;
      else if (now - entry.createdAt < TTL_MS) rest.push(entry);
    }
    const refuse = (): void => {
      callback(null, false, { message: 'Invalid authorization request state.' });
    };
    if (match === undefined || now - match.createdAt >= TTL_MS) {
      refuse();
      return;
    }
    const claimed = this.claims.get(match.handle);
    if (claimed !== undefined && claimed > now) {
      refuse();
      return;
    }
    if (this.claims.size >= MAX_CLAIMS) this.claims.delete(this.claims.keys().next().value ?? '');
    this.claims.set(match.handle, now + TTL_MS);
    if (rest.length > 0) Reflect.set(req.session, this.key, rest);
    else Reflect.deleteProperty(req.session, this.key);
    const verifier = match.verifier;
    req.session.save((err: unknown) => {
      if (err) callback(err instanceof Error ? err : new Error('session save failed'), false);
      else callback(null, verifier);
    });
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
