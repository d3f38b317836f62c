import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** What the start route passes as `state` (an object, so passport-oauth2 calls the store). */
export interface PkceState {
  verifier: string;
}

interface Pending {
  handle: string;
  verifier: string;
}

function isPending(value: unknown): value is Pending {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof Reflect.get(value, 'handle') === 'string' &&
    typeof Reflect.get(value, 'verifier') === 'string'
  );
}

/** A stored handle against the callback's, in constant time (any non-string is no match). */
export function sameHandle(a: string, b: unknown): boolean {
  if (typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * The state store a developer writes to give passport-oauth2 TikTok's PKCE: the verifier comes
 * in through the per-request `state` option (passport-oauth2 hands an object-valued `state` to
 * the store), is kept in the session under a random handle, and comes back from `verify` as
 * `ok`, which passport-oauth2 sends as `code_verifier`. One pending login per session, like
 * passport-oauth2's own SessionStore.
 */
export class HexPkceSessionStore {
  /**
   * `expireAnonymousMs`: a session without a user gets a cookie `maxAge` of that many ms at the
   * start of a login, so the store entry of a login that never comes back expires with it (the
   * least an implementation of that defence does; `passport-oauth2-expiring`).
   */
  constructor(
    private readonly key: string,
    private readonly expireAnonymousMs?: number,
  ) {}

  store(
    req: Request,
    state: PkceState,
    _meta: unknown,
    callback: (err: Error | null, handle?: string) => void,
  ): void {
    const handle = randomBytes(24).toString('hex');
    const pending: Pending = { handle, verifier: state.verifier };
    Reflect.set(req.session, this.key, pending);
    if (this.expireAnonymousMs !== undefined && req.user === undefined) {
      req.session.cookie.maxAge = this.expireAnonymousMs;
    }
    callback(null, handle);
  }

  verify(
    req: Request,
    handle: unknown,
    callback: (err: Error | null, ok: string | false, info?: { message: string }) => void,
  ): void {
    const pending: unknown = Reflect.get(req.session, this.key);
    Reflect.deleteProperty(req.session, this.key);
    if (!isPending(pending) || !sameHandle(pending.handle, handle)) {
      callback(null, false, { message: 'Invalid authorization request state.' });
      return;
    }
    callback(null, pending.verifier);
  }
}
