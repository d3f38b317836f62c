/// <reference types="passport" preserve="true" />
import { normalizeScopes } from '../client/endpoints';
import type { TikTokTokens } from '../client/types';
import { TikTokAPIError } from '../errors';
import { parse, type TikTokProfile } from '../profile';
import { keepOtherTabsAcrossLogin } from '../state/carry-over';
import type { PendingLogin } from '../state/pending-logins';
import { sessionOf } from '../state/session';
import { restoreAppCookieMaxAge } from '../state/session-cookie';
import type { CallbackParams } from './callback-params';
import { errorLogin, failLogin, storeUnavailable, type FlowContext } from './context';
import { runVerify } from './verify';

/**
 * Granted scopes: the token response's `scope` (what TikTok actually granted), else the
 * callback's `scopes`, else what was requested. User-info fields follow these, never the request.
 */
function grantedScopes(
  tokens: TikTokTokens,
  params: CallbackParams,
  login: PendingLogin,
): string[] {
  const fromTokens = normalizeScopes(tokens.scope);
  if (fromTokens.length > 0) return fromTokens;
  const fromCallback = normalizeScopes(params.scopes);
  return fromCallback.length > 0 ? fromCallback : login.scopes;
}

async function saveTokens(ctx: FlowContext, tokens: TikTokTokens): Promise<boolean> {
  const sink = ctx.settings.tokenManager;
  if (sink === undefined) return true;
  try {
    await sink.save(tokens.open_id, tokens);
    return true;
  } catch (err) {
    errorLogin(
      ctx,
      err instanceof TikTokAPIError ? err : storeUnavailable(ctx, 'token store', err),
    );
    return false;
  }
}

async function loadProfile(
  ctx: FlowContext,
  tokens: TikTokTokens,
  scopes: string[],
  deadlineAt: number,
): Promise<TikTokProfile> {
  if (ctx.settings.skipUserProfile) return parse({ open_id: tokens.open_id });
  const user = await ctx.settings.client.getUserInfo(tokens.access_token, {
    scopes,
    expectedOpenId: tokens.open_id,
    correlationId: ctx.correlationId,
    deadlineAt,
    maxAttempts: ctx.settings.loginMaxAttempts,
  });
  return parse(user);
}

/**
 * A pending login carried across a login completed as another TikTok account: refused, and the
 * session keeps its user. The code exchange has happened (only it tells the account), but its
 * tokens are never saved, used or returned.
 * NOTE: they are not revoked either: revoking disconnects that account from this app, which
 * would also end tokens the app keeps for it from an earlier login of its own.
 */
function failAnotherAccount(ctx: FlowContext): void {
  failLogin(
    ctx,
    'INVALID_STATE',
    'a login carried over from before the last login completed as another TikTok account',
    'This login was started before you signed in and was approved with a different TikTok account. Sign out first to switch accounts.',
  );
}

/**
 * When the login's TikTok calls must stop: `loginDeadlineMs` after the callback reached the
 * strategy, less a reserve (5 %, at most 250 ms) for answering the browser, so that the callback
 * itself answers within `loginDeadlineMs` even when TikTok hangs (the error response and a busy
 * event loop come after the last attempt is cut).
 */
export function loginDeadlineAt(startedAt: number, loginDeadlineMs: number): number {
  return startedAt + loginDeadlineMs - Math.min(250, Math.floor(loginDeadlineMs / 20));
}

/**
 * The state is consumed: exchange the code, save the tokens, fetch the profile from the granted
 * scopes, then let verify decide. One deadline covers the exchange and the user-info call.
 */
export async function completeLogin(
  ctx: FlowContext,
  login: PendingLogin,
  params: CallbackParams,
  code: string,
): Promise<void> {
  const { client } = ctx.settings;
  const started = ctx.startedAt;
  const deadlineAt = loginDeadlineAt(started, ctx.settings.loginDeadlineMs);
  let tokens: TikTokTokens;
  let profile: TikTokProfile;
  let scopes: string[];
  try {
    const exchange: Parameters<typeof client.exchangeCodeForTokens>[1] = {
      correlationId: ctx.correlationId,
      deadlineAt,
      redirectUri: ctx.settings.callbackURL,
      maxAttempts: ctx.settings.loginMaxAttempts,
      // What this login did when it started, whatever the client's own `pkce` option.
      pkce: login.codeVerifier !== undefined,
    };
    if (login.codeVerifier !== undefined) exchange.codeVerifier = login.codeVerifier;
    tokens = await client.exchangeCodeForTokens(code, exchange);
    if (login.openId !== undefined && tokens.open_id !== login.openId) {
      failAnotherAccount(ctx);
      return;
    }
    if (ctx.settings.tokenManager !== undefined && !(await saveTokens(ctx, tokens))) return;
    scopes = grantedScopes(tokens, params, login);
    profile = await loadProfile(ctx, tokens, scopes, deadlineAt);
  } catch (err) {
    errorLogin(ctx, err);
    return;
  }
  const outcome = await runVerify({
    verify: ctx.settings.verify,
    passReqToCallback: ctx.settings.passReqToCallback,
    req: ctx.req,
    tokens,
    profile,
  });
  if (outcome.kind === 'error') {
    ctx.actions.error(outcome.error);
    return;
  }
  if (outcome.kind === 'refused') {
    const message: unknown =
      outcome.info === undefined ? undefined : Reflect.get(outcome.info, 'message');
    const reason = 'verify refused the user';
    if (typeof message === 'string') failLogin(ctx, 'ACCESS_DENIED', reason, message);
    else failLogin(ctx, 'ACCESS_DENIED', reason);
    return;
  }
  const session = sessionOf(ctx.req);
  if (session !== undefined) {
    restoreAppCookieMaxAge(session);
    keepOtherTabsAcrossLogin(ctx.req, session, { openId: tokens.open_id, at: Date.now() });
  }
  // debug, like every success: at the default `info` level the package logs only what needs
  // attention (retries, failures, circuit changes); apps log their own requests.
  ctx.logger.log('debug', '[TikTokOAuth] login - success', {
    correlationId: ctx.correlationId,
    durationMs: Date.now() - started,
    grantedScopes: scopes.join(','),
  });
  const info: Express.AuthInfo = {
    ...outcome.info,
    correlationId: ctx.correlationId,
    grantedScopes: scopes,
  };
  if (login.returnTo !== undefined) info.returnTo = login.returnTo;
  ctx.actions.success(outcome.user, info);
}
