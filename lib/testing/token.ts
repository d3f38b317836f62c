import { readClientForm } from './client-form';
import type { EmulatorState, RequestContext } from './context';
import { sendJson } from './http-io';
import { verifyPkce } from './pkce';
import { sendOAuthError } from './responses';

function exchangeCode(ctx: RequestContext, state: EmulatorState, form: URLSearchParams): void {
  const code = form.get('code');
  if (code === null || code === '') {
    sendOAuthError(ctx, state, 'invalid_request', 'Parameter code is required.');
    return;
  }
  // NOTE: a code is consumed by the first exchange attempt that reaches it, even if that
  // attempt then fails (codes are single-use: https://developers.tiktok.com/doc/oauth-user-access-token-management).
  const record = state.grants.takeCode(code);
  if (record === undefined) {
    sendOAuthError(ctx, state, 'invalid_grant', 'Authorization code is invalid or has been used.');
    return;
  }
  if (state.grants.isExpired(record.expiresAt)) {
    sendOAuthError(ctx, state, 'invalid_grant', 'Authorization code is expired.');
    return;
  }
  // NOTE: redirect_uri must be byte-identical to the authorize one (https://developers.tiktok.com/doc/oauth-user-access-token-management).
  if (form.get('redirect_uri') !== record.redirectUri) {
    sendOAuthError(
      ctx,
      state,
      'invalid_request',
      'Parameter redirect_uri does not match the one of the authorization request.',
    );
    return;
  }
  if (
    record.codeChallenge !== undefined &&
    !verifyPkce(form.get('code_verifier'), record.codeChallenge)
  ) {
    sendOAuthError(ctx, state, 'invalid_request', 'Code verifier or code challenge is invalid.');
    return;
  }
  sendJson(ctx.res, 200, state.grants.issueGrant(record.openId, record.scopes));
}

function refresh(ctx: RequestContext, state: EmulatorState, form: URLSearchParams): void {
  const refreshToken = form.get('refresh_token');
  if (refreshToken === null || refreshToken === '') {
    sendOAuthError(ctx, state, 'invalid_request', 'Parameter refresh_token is required.');
    return;
  }
  const result = state.grants.refresh(refreshToken);
  if (result === 'invalid') {
    sendOAuthError(ctx, state, 'invalid_grant', 'Refresh token is invalid or has been used.');
    return;
  }
  if (result === 'expired') {
    sendOAuthError(ctx, state, 'invalid_grant', 'Refresh token is expired.');
    return;
  }
  sendJson(ctx.res, 200, result);
}

/** POST /v2/oauth/token/: authorization_code, refresh_token and client_credentials grants. */
export function handleToken(ctx: RequestContext, state: EmulatorState): void {
  const form = readClientForm(ctx, state);
  if (form === undefined) return;
  const grantType = form.get('grant_type');
  switch (grantType) {
    case 'authorization_code':
      exchangeCode(ctx, state, form);
      return;
    case 'refresh_token':
      refresh(ctx, state, form);
      return;
    case 'client_credentials':
      sendJson(ctx.res, 200, state.grants.issueClientToken());
      return;
    case null:
    case '':
      sendOAuthError(ctx, state, 'invalid_request', 'Parameter grant_type is required.');
      return;
    default:
      sendOAuthError(ctx, state, 'unsupported_grant_type', 'Grant type is not supported.');
  }
}
