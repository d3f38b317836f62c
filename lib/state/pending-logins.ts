import { timingSafeEqual } from 'node:crypto';
import { isRecord } from '../client/parse';
import { readSessionValue, writeSessionValue, type SessionLike } from './session';

/** The session key holding the pending logins of one browser. */
export const PENDING_LOGINS_KEY = 'tiktok:pending';

/** One login started and not yet finished: what the callback needs to finish it. */
export interface PendingLogin {
  /** 64 lowercase hex chars; compared in constant time. */
  state: string;
  /** PKCE verifier; absent when the login was started with `pkce: false`. */
  codeVerifier?: string;
  /** Epoch ms when the login started. */
  createdAt: number;
  /** Validated same-origin path to return to after login. */
  returnTo?: string;
  /**
   * Scopes requested at authorize, when the login asked for others than the strategy's `scope`
   * option. NOTE: absent for the strategy's own (most logins): the session that every request of
   * the login serialises stays shorter.
   */
  scopes?: string[];
  /**
   * The TikTok account (open_id) of the login this entry was carried across: it may only
   * complete as that account. Absent on entries not carried over.
   */
  openId?: string;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** A stored entry, checked field by field (it went through the session store). */
function toPendingLogin(value: unknown): PendingLogin | undefined {
  if (!isRecord(value)) return undefined;
  const { state, createdAt, scopes, codeVerifier, returnTo, openId } = value;
  if (typeof state !== 'string' || typeof createdAt !== 'number') return undefined;
  if (scopes !== undefined && !isStringArray(scopes)) return undefined;
  const entry: PendingLogin = { state, createdAt };
  if (scopes !== undefined) entry.scopes = [...scopes];
  if (typeof codeVerifier === 'string') entry.codeVerifier = codeVerifier;
  if (typeof returnTo === 'string') entry.returnTo = returnTo;
  if (typeof openId === 'string') entry.openId = openId;
  return entry;
}

/** The session's pending logins (malformed entries dropped). */
export function readPendingLogins(session: SessionLike): PendingLogin[] {
  const stored = readSessionValue(session, PENDING_LOGINS_KEY);
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((v: unknown) => toPendingLogin(v) ?? []);
}

function writePendingLogins(session: SessionLike, logins: PendingLogin[]): void {
  writeSessionValue(session, PENDING_LOGINS_KEY, logins.length > 0 ? logins : undefined);
}

/**
 * Adds a pending login. Expired entries are dropped, then the oldest ones beyond `max`, so a
 * browser with several tabs keeps its most recent `max` logins.
 */
export function addPendingLogin(
  session: SessionLike,
  login: PendingLogin,
  limits: { max: number; ttlMs: number; now: number },
): void {
  const live = readPendingLogins(session).filter((p) => limits.now - p.createdAt < limits.ttlMs);
  live.push(login);
  writePendingLogins(session, live.slice(-limits.max));
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type PendingLookup =
  | {
      found: true;
      login: PendingLogin;
      /** The session's other live entries: what {@link keepPendingLogins} writes back. */
      rest: PendingLogin[];
    }
  | { found: false; reason: 'unknown' | 'expired' };

/**
 * Finds the pending login for `state`, comparing against every entry in constant time (no early
 * exit). Does not remove it: {@link keepPendingLogins} with `rest` (or
 * {@link removePendingLogin}) does.
 */
export function findPendingLogin(
  session: SessionLike,
  state: string,
  limits: { ttlMs: number; now: number },
): PendingLookup {
  let match: PendingLogin | undefined;
  const rest: PendingLogin[] = [];
  for (const login of readPendingLogins(session)) {
    if (sameString(login.state, state)) match = login;
    else if (limits.now - login.createdAt < limits.ttlMs) rest.push(login);
  }
  if (match === undefined) return { found: false, reason: 'unknown' };
  if (limits.now - match.createdAt >= limits.ttlMs) return { found: false, reason: 'expired' };
  return { found: true, login: match, rest };
}

/** Replaces the session's pending logins with `logins` (the `rest` of a lookup). */
export function keepPendingLogins(session: SessionLike, logins: PendingLogin[]): void {
  writePendingLogins(session, logins);
}

/** Removes the entry for `state` (and any expired ones) from the session object. */
export function removePendingLogin(
  session: SessionLike,
  state: string,
  limits: { ttlMs: number; now: number },
): void {
  const rest = readPendingLogins(session).filter(
    (p) => !sameString(p.state, state) && limits.now - p.createdAt < limits.ttlMs,
  );
  writePendingLogins(session, rest);
}
