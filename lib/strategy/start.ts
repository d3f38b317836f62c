import { normalizeScopes } from '../client/endpoints';
import { TikTokAPIError } from '../errors';
import { addPendingLogin, type PendingLogin } from '../state/pending-logins';
import { safeReturnTo } from '../state/return-to';
import { saveSession, sessionOf } from '../state/session';
import { expireWithPendingLogins } from '../state/session-cookie';
import { errorLogin, storeUnavailable, type FlowContext } from './context';

/** `returnTo` from `passport.authenticate(…, { returnTo })`, else a single `?returnTo=`. */
function requestedReturnTo(ctx: FlowContext, query: URLSearchParams): string | undefined {
  if (ctx.options.returnTo !== undefined) return safeReturnTo(ctx.options.returnTo);
  const values = query.getAll('returnTo');
  if (values.length === 0) return undefined;
  return values.length === 1 ? safeReturnTo(values[0]) : '/';
}

/**
 * Issuing the authorization request: a pending login (state, PKCE verifier, returnTo, scopes)
 * goes into the session, the session is saved, and only then is the browser sent to TikTok —
 * otherwise a fast TikTok could bring the browser back before the state is stored.
 */
export async function startLogin(ctx: FlowContext, query: URLSearchParams): Promise<void> {
  const { settings } = ctx;
  const session = sessionOf(ctx.req);
  if (session === undefined) {
    const error = new TikTokAPIError({
      code: 'SERVICE_UNAVAILABLE',
      message:
        'Login needs a session: use express-session (or compatible) before passport, and check that its store is reachable.',
      correlationId: ctx.correlationId,
    });
    errorLogin(ctx, error);
    return;
  }
  const perRequest = normalizeScopes(ctx.options.scope);
  const scopes = perRequest.length > 0 ? perRequest : [...settings.scopes];
  const auth = await settings.client.getAuthorizationUrl({
    scopes,
    disableAutoAuth: ctx.options.disableAutoAuth ?? settings.disableAutoAuth,
    pkce: settings.pkce,
    redirectUri: settings.callbackURL,
    correlationId: ctx.correlationId,
  });
  const now = Date.now();
  const login: PendingLogin = { state: auth.state, createdAt: now, scopes };
  if (auth.codeVerifier !== undefined) login.codeVerifier = auth.codeVerifier;
  const returnTo = requestedReturnTo(ctx, query);
  if (returnTo !== undefined) login.returnTo = returnTo;
  addPendingLogin(session, login, {
    max: settings.maxPendingLogins,
    ttlMs: settings.stateTtlMs,
    now,
  });
  expireWithPendingLogins(session, settings.stateTtlMs);
  try {
    await saveSession(session);
  } catch (err) {
    // The session is left exactly as it was saved: express-session remembers the hash of what
    // save() was called with, so an unchanged session is not saved (and failed) again at the end
    // of the response. (Removing the entry here made it retry, and that second store error
    // reached the app after the 503 had been sent — found by the soak test.)
    errorLogin(ctx, storeUnavailable(ctx, 'session store', err));
    return;
  }
  ctx.logger.log('debug', '[TikTokOAuth] login - redirect', { correlationId: ctx.correlationId });
  ctx.actions.redirect(auth.url);
}
