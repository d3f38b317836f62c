import { parseAuthorizeParams, type AuthorizeRequest } from './authorize-params';
import { callbackUrl, errorCallbackUrl } from './callback-url';
import { CONSENT_FORM_FIELD, MANDATORY_SCOPE, renderConsentPage } from './consent-page';
import { findUser, type EmulatorState, type RequestContext } from './context';
import { errorPage, type ErrorDetail } from './html';
import { sendHtml, sendRedirect } from './http-io';
import { isFormContentType } from './recorder';
import type { EmulatorUser } from './types';

const DENIED_DESCRIPTION = 'User cancelled the authorization';
/** NOTE: TikTok's SDKs read a numeric `errCode` too; -2 is "user cancelled" (docs/tiktok-api.md). */
const DENIED_ERR_CODE = '-2';

function approve(
  ctx: RequestContext,
  state: EmulatorState,
  request: AuthorizeRequest,
  user: EmulatorUser,
  grantedScopes: readonly string[],
): void {
  const code = state.grants.issueCode({
    clientKey: request.clientKey,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    openId: user.openId,
    scopes: grantedScopes,
  });
  sendRedirect(
    ctx.res,
    callbackUrl(request.redirectUri, [
      ['code', code],
      ['scopes', grantedScopes.join(',')],
      ['state', request.state],
    ]),
  );
}

function deny(ctx: RequestContext, request: AuthorizeRequest): void {
  sendRedirect(
    ctx.res,
    errorCallbackUrl(
      request.redirectUri,
      request.state,
      'access_denied',
      DENIED_DESCRIPTION,
      DENIED_ERR_CODE,
    ),
  );
}

function stop(
  ctx: RequestContext,
  status: number,
  message: string,
  details?: readonly ErrorDetail[],
): void {
  sendHtml(ctx.res, status, errorPage(message, details));
}

/**
 * Automatic approval: `setConsent()` decides (default: approve as the first user, every
 * requested scope). `disable_auto_auth=1` does not force the page here; it is only recorded.
 */
function autoDecide(ctx: RequestContext, state: EmulatorState, request: AuthorizeRequest): void {
  const consent = state.consent ?? { decision: 'approve' };
  if (consent.decision === 'deny') {
    deny(ctx, request);
    return;
  }
  const user = consent.openId === undefined ? state.users[0] : findUser(state, consent.openId);
  if (user === undefined) {
    stop(ctx, 500, 'the emulator has no user to log in with');
    return;
  }
  const granted = consent.grantedScopes;
  approve(
    ctx,
    state,
    request,
    user,
    granted === undefined ? request.scopes : ticked(request.scopes, granted),
  );
}

/**
 * The requested scopes the user left ticked. NOTE: `user.info.basic` cannot be unticked on
 * TikTok's consent screen: it is granted whenever it was requested.
 */
function ticked(requested: readonly string[], kept: readonly string[]): string[] {
  return requested.filter((s) => s === MANDATORY_SCOPE || kept.includes(s));
}

/**
 * The consent form post: the original parameters again, plus decision, open_id, granted_scope and,
 * from the page, `consent_form=1`.
 */
function decide(ctx: RequestContext, state: EmulatorState): void {
  if (!isFormContentType(ctx.req.headers['content-type'])) {
    stop(ctx, 400, 'the consent form must be posted as application/x-www-form-urlencoded');
    return;
  }
  const form = new URLSearchParams(ctx.record.body);
  const parsed = parseAuthorizeParams(form, state.options, state.redirectUris);
  if ('error' in parsed) {
    stop(ctx, 400, parsed.error, parsed.details);
    return;
  }
  const { request } = parsed;
  const decision = form.get('decision');
  if (decision === 'deny') {
    deny(ctx, request);
    return;
  }
  if (decision !== 'approve') {
    stop(ctx, 400, 'decision must be approve or deny');
    return;
  }
  const openId = form.get('open_id');
  const user = openId === null ? state.users[0] : findUser(state, openId);
  if (user === undefined) {
    stop(ctx, 400, 'open_id is not a user of this emulator');
    return;
  }
  // The page's form (marked with consent_form) grants what is ticked, nothing when no box is; a
  // scripted post without the marker and without any granted_scope grants everything requested.
  const kept = form.getAll('granted_scope');
  const fromPage = form.has(CONSENT_FORM_FIELD);
  const granted =
    !fromPage && kept.length === 0 ? [...request.scopes] : ticked(request.scopes, kept);
  approve(ctx, state, request, user, granted);
}

/** GET shows the consent page (or auto-approves); POST handles the consent form. */
export function handleAuthorize(ctx: RequestContext, state: EmulatorState): void {
  if (ctx.req.method === 'POST') {
    decide(ctx, state);
    return;
  }
  const parsed = parseAuthorizeParams(ctx.query, state.options, state.redirectUris);
  if ('error' in parsed) {
    stop(ctx, 400, parsed.error, parsed.details);
    return;
  }
  if (state.autoApprove) {
    autoDecide(ctx, state, parsed.request);
    return;
  }
  sendHtml(
    ctx.res,
    200,
    renderConsentPage(ctx.query, parsed.request, state.users, state.options.appName),
  );
}
