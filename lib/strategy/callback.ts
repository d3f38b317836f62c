import { codeForUpstreamError, ERROR_CODE_INFO } from '../errors';
import { claimKeyForState } from '../state/claims';
import {
  findPendingLogin,
  readPendingLogins,
  removePendingLogin,
  type PendingLogin,
} from '../state/pending-logins';
import { saveSession, sessionOf, type SessionLike } from '../state/session';
import { parseCallbackParams, type CallbackParams } from './callback-params';
import { completeLogin } from './complete';
import { errorLogin, failLogin, storeUnavailable, type FlowContext } from './context';

/**
 * The log's reason when the callback's session is empty (no pending login, nothing else): the
 * browser most likely did not send back the cookie of the session the login started in. Only the log says this; the
 * browser gets the usual INVALID_STATE.
 */
export const NO_PENDING_LOGIN_REASON =
  'no pending login in this session: the session cookie set by the start of the login did not come back. Likely causes: a Secure cookie over http (cookie.secure: true without https, or behind a proxy without trust proxy), sameSite: strict, or a different host between the start and the callback (www vs apex, localhost vs 127.0.0.1)';

/**
 * A session holding nothing but its cookie: the one express-session makes when the request
 * brought no (known) session cookie.
 */
function isFreshSession(session: SessionLike): boolean {
  return (
    readPendingLogins(session).length === 0 && Object.keys(session).every((key) => key === 'cookie')
  );
}

/**
 * Takes the pending login for the callback's state: found in this session, claimed (so a
 * concurrent callback with the same state loses), removed, and the session saved — all before
 * any token call. Returns undefined when the login was already failed or errored.
 */
async function consumeState(
  ctx: FlowContext,
  session: SessionLike,
  state: string,
): Promise<PendingLogin | undefined> {
  const limits = { ttlMs: ctx.settings.stateTtlMs, now: Date.now() };
  const lookup = findPendingLogin(session, state, limits);
  if (!lookup.found) {
    const fresh = isFreshSession(session);
    if (lookup.reason === 'expired') removePendingLogin(session, state, limits);
    failLogin(ctx, 'INVALID_STATE', fresh ? NO_PENDING_LOGIN_REASON : `${lookup.reason} state`);
    return undefined;
  }
  const key = claimKeyForState(state);
  let claimed: boolean;
  try {
    claimed = await ctx.settings.claimStore.claim(key, ctx.settings.stateTtlMs);
  } catch (err) {
    errorLogin(ctx, storeUnavailable(ctx, 'state claim store', err));
    return undefined;
  }
  if (!claimed) {
    failLogin(ctx, 'INVALID_STATE', 'state already claimed by another callback');
    return undefined;
  }
  removePendingLogin(session, state, limits);
  try {
    await saveSession(session);
  } catch (err) {
    // No token call happened: give the state back so a retry after recovery can use it.
    await ctx.settings.claimStore.release(key).catch(() => undefined);
    errorLogin(ctx, storeUnavailable(ctx, 'session store', err));
    return undefined;
  }
  return lookup.login;
}

/** TikTok sent `error=` with a valid state: the state is consumed, the login fails. */
function failFromTikTokError(ctx: FlowContext, error: string): void {
  if (error === 'access_denied') {
    failLogin(ctx, 'ACCESS_DENIED', 'the user declined on TikTok');
    return;
  }
  // NOTE: error_description is never shown or logged: it is attacker-controlled text.
  const { code } = codeForUpstreamError(error, 400);
  if (ERROR_CODE_INFO[code].statusCode >= 500) {
    // `error=invalid_client` & co. in a browser's callback URL: genuine, it means the app is
    // misconfigured (logged as such); forged, anyone could make us answer 5xx and fire alerts.
    // Either way the browser gets a 400 (found by the callback fuzzer).
    ctx.logger.log(
      'error',
      '[TikTokOAuth] login - TikTok redirected back with a configuration error',
      {
        correlationId: ctx.correlationId,
        tiktokError: /^[a-z_]{1,64}$/.test(error) ? error : 'unknown',
        errorCode: code,
      },
    );
    failLogin(ctx, 'VALIDATION_ERROR', `TikTok redirected back with error ${error}`);
    return;
  }
  failLogin(ctx, code, `TikTok redirected back with error ${error}`);
}

/** Processing the response: checks in the order that never makes a needless token call. */
export async function handleCallback(ctx: FlowContext, query: URLSearchParams): Promise<void> {
  const parsed = parseCallbackParams(query);
  if (!parsed.ok) {
    failLogin(ctx, 'VALIDATION_ERROR', parsed.reason);
    return;
  }
  const params: CallbackParams = parsed.params;
  const session = sessionOf(ctx.req);
  if (session === undefined) {
    failLogin(ctx, 'INVALID_STATE', 'no session');
    return;
  }
  if (params.state === undefined) {
    failLogin(ctx, 'INVALID_STATE', 'missing state');
    return;
  }
  if (params.code === undefined && params.error === undefined) {
    failLogin(ctx, 'VALIDATION_ERROR', 'neither code nor error');
    return;
  }
  const login = await consumeState(ctx, session, params.state);
  if (login === undefined) return;
  if (params.error !== undefined) {
    failFromTikTokError(ctx, params.error);
    return;
  }
  if (params.code !== undefined) await completeLogin(ctx, login, params, params.code);
}
