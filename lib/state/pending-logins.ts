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
  /** The app's `state` option of `passport.authenticate()` (any JSON value), when given. */
  appState?: unknown;
  /**
   * The callback path of the strategy that started the login: only that strategy's callback
   * completes it, and only that strategy's limits prune it. Absent on entries written before
   * (any strategy's then).
   */
  path?: string;
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
  const { state, createdAt, scopes, codeVerifier, returnTo, openId, appState, path } = value;
  if (typeof state !== 'string' || typeof createdAt !== 'number') return undefined;
  if (scopes !== undefined && !isStringArray(scopes)) return undefined;
  const entry: PendingLogin = { state, createdAt };
  if (scopes !== undefined) entry.scopes = [...scopes];
  if (typeof codeVerifier === 'string') entry.codeVerifier = codeVerifier;
  if (typeof returnTo === 'string') entry.returnTo = returnTo;
  if (typeof openId === 'string') entry.openId = openId;
  if (appState !== undefined) entry.appState = appState;
  if (typeof path === 'string') entry.path = path;
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

/** Whether `login` is one of the strategy whose callback path is `path` (see {@link PendingLogin.path}). */
function ownedBy(login: PendingLogin, path: string | undefined): boolean {
  return login.path === undefined || login.path === path;
}

/**
 * Adds a pending login. Expired entries of the same strategy (`login.path`) are dropped, then
 * its oldest ones beyond `max`, so a browser with several tabs keeps its most recent `max`
 * logins; another strategy's entries are left to that strategy's own limits.
 */
export function addPendingLogin(
  session: SessionLike,
  login: PendingLogin,
  limits: { max: number; ttlMs: number; now: number },
): void {
  const others: PendingLogin[] = [];
  const own: PendingLogin[] = [];
  for (const entry of readPendingLogins(session)) {
    if (!ownedBy(entry, login.path)) others.push(entry);
    else if (limits.now - entry.createdAt < limits.ttlMs) own.push(entry);
  }
  own.push(login);
  writePendingLogins(session, [...others, ...own.slice(-limits.max)]);
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
  | { found: false; reason: 'unknown' | 'expired' | 'another strategy' };

/**
 * Finds the pending login for `state`, comparing against every entry in constant time (no early
 * exit). Does not remove it: {@link keepPendingLogins} with `rest` (or
 * {@link removePendingLogin}) does.
 */
export function findPendingLogin(
  session: SessionLike,
  state: string,
  limits: { ttlMs: number; now: number; path?: string | undefined },
): PendingLookup {
  let match: PendingLogin | undefined;
  let elsewhere = false;
  const rest: PendingLogin[] = [];
  for (const login of readPendingLogins(session)) {
    const own = ownedBy(login, limits.path);
    if (sameString(login.state, state)) {
      if (own) match = login;
      else elsewhere = true;
      if (!own) rest.push(login);
    } else if (!own || limits.now - login.createdAt < limits.ttlMs) rest.push(login);
  }
  // NOTE: a state another strategy issued is left to it: consumed here, its own callback (with
  // its redirect URI, which the code exchange must repeat) would then fail.
  if (match === undefined)
    return { found: false, reason: elsewhere ? 'another strategy' : 'unknown' };
  if (limits.now - match.createdAt >= limits.ttlMs) return { found: false, reason: 'expired' };
  return { found: true, login: match, rest };
}

/** Replaces the session's pending logins with `logins` (the `rest` of a lookup). */
export function keepPendingLogins(session: SessionLike, logins: PendingLogin[]): void {
  writePendingLogins(session, logins);
}

/** Removes the entry for `state` (and any expired ones) of the strategy at `path`. */
export function removePendingLogin(
  session: SessionLike,
  state: string,
  limits: { ttlMs: number; now: number; path?: string | undefined },
): void {
  const rest = readPendingLogins(session).filter(
    (p) =>
      !ownedBy(p, limits.path) ||
      (!sameString(p.state, state) && limits.now - p.createdAt < limits.ttlMs),
  );
  writePendingLogins(session, rest);
}
