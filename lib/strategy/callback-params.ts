/**
 * The callback's query, read once from the RAW query string (never `req.query`), so Express 4
 * (qs: `state[]=x` becomes an array, `state[k]=x` an object) and Express 5 behave the same.
 */

/** Parameters TikTok sends back (https://developers.tiktok.com/doc/login-kit-web), plus `errCode` from its SDKs. */
const CALLBACK_NAMES = ['code', 'state', 'error', 'error_description', 'scopes', 'errCode'];
const MAX_CODE_LENGTH = 2048;
const MAX_STATE_LENGTH = 512;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const ERROR_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SCOPES = /^[A-Za-z0-9_.,]{1,1024}$/;

/** A callback that passed the shape checks (the state is not verified yet). */
export interface CallbackParams {
  code?: string;
  state?: string;
  /** TikTok's `error`, e.g. `access_denied` (safe characters only). */
  error?: string;
  /** Granted scopes as TikTok listed them in `scopes` (ignored when malformed). */
  scopes?: string[];
}

export type CallbackParse = { ok: true; params: CallbackParams } | { ok: false; reason: string };

/** The raw query string of a request (`originalUrl` keeps it even inside a mounted router). */
export function rawQueryOf(req: { originalUrl?: string; url?: string }): URLSearchParams {
  const target = req.originalUrl ?? req.url ?? '';
  const index = target.indexOf('?');
  return new URLSearchParams(index === -1 ? '' : target.slice(index + 1));
}

/** The path of a request, without its query. */
export function rawPathOf(req: { originalUrl?: string; url?: string }): string {
  const target = req.originalUrl ?? req.url ?? '';
  const index = target.indexOf('?');
  return index === -1 ? target : target.slice(0, index);
}

function baseName(key: string): string {
  const bracket = key.indexOf('[');
  return bracket === -1 ? key : key.slice(0, bracket);
}

/** True when the query carries any callback parameter (also in `name[]` / `name[k]` form). */
export function looksLikeCallback(query: URLSearchParams): boolean {
  for (const key of query.keys()) if (CALLBACK_NAMES.includes(baseName(key))) return true;
  return false;
}

/** Validates the callback's parameters. Failures say why (for logs; never shown with values). */
export function parseCallbackParams(query: URLSearchParams): CallbackParse {
  // One pass over the query: the first value of each callback parameter, which ones came more
  // than once (`repeated`, in CALLBACK_NAMES order), and the first `name[…]` form of one. The
  // checks below then read these in a fixed order. NOTE: locals, not a Map and a Set: every
  // callback runs this.
  let code: string | null = null;
  let state: string | null = null;
  let error: string | null = null;
  let scopes: string | null = null;
  let seen = 0;
  let repeated = 0;
  let bracketed: string | undefined;
  for (const [key, value] of query) {
    const index = CALLBACK_NAMES.indexOf(key);
    if (index === -1) {
      if (bracketed === undefined && key.includes('[')) {
        const base = baseName(key);
        if (CALLBACK_NAMES.includes(base)) bracketed = base;
      }
      continue;
    }
    const bit = 1 << index;
    if ((seen & bit) !== 0) {
      repeated |= bit;
      continue;
    }
    seen |= bit;
    if (key === 'code') code = value;
    else if (key === 'state') state = value;
    else if (key === 'error') error = value;
    else if (key === 'scopes') scopes = value;
  }
  if (bracketed !== undefined) {
    return { ok: false, reason: `array/object-style parameter ${bracketed}[...]` };
  }
  if (repeated !== 0) {
    const name = CALLBACK_NAMES.find((_, i) => (repeated & (1 << i)) !== 0) ?? 'parameter';
    return { ok: false, reason: `duplicated ${name}` };
  }
  if (code !== null) {
    if (code.length === 0) return { ok: false, reason: 'empty code' };
    if (code.length > MAX_CODE_LENGTH) return { ok: false, reason: 'code longer than 2 KiB' };
    if (!VISIBLE_ASCII.test(code)) return { ok: false, reason: 'code has forbidden characters' };
  }
  if (state !== null && state !== '') {
    if (state.length > MAX_STATE_LENGTH) return { ok: false, reason: 'state too long' };
    if (!VISIBLE_ASCII.test(state)) return { ok: false, reason: 'state has forbidden characters' };
  }
  if (error !== null) {
    if (code !== null) return { ok: false, reason: 'both error and code' };
    if (!ERROR_NAME.test(error)) return { ok: false, reason: 'malformed error' };
  }
  const params: CallbackParams = {};
  if (code !== null) params.code = code;
  if (state !== null && state !== '') params.state = state;
  if (error !== null) params.error = error;
  // NOTE: TikTok names the granted scopes `scopes` (plural), comma-separated (https://developers.tiktok.com/doc/login-kit-web).
  if (scopes !== null && SCOPES.test(scopes)) {
    params.scopes = scopes.split(',').filter((s) => s.length > 0);
  }
  return { ok: true, params };
}
