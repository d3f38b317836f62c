import { readClientForm } from './client-form';
import type { EmulatorState, RequestContext } from './context';
import { sendJson } from './http-io';
import { sendOAuthError } from './responses';

/**
 * POST /v2/oauth/revoke/ with the ACCESS token. NOTE: revoking "disconnects your app from the
 * user's TikTok account" (https://developers.tiktok.com/docs/en/oauth-revoke-a-user-access-token),
 * so it ends every grant of that user, not only the token's: every access and refresh token the
 * user's logins got stops working (other users' grants stay). An unknown, already revoked or
 * expired token is refused with `invalid_request` (VALIDATION_ERROR in the client), as
 * docs/client.md documents.
 * NOTE: TikTok's pages (https://developers.tiktok.com/doc/oauth-user-access-token-management,
 * https://developers.tiktok.com/doc/oauth-error-handling) do not say which error that is:
 * `invalid_request` ("otherwise malformed") or `invalid_grant` (defined there for codes and
 * refresh tokens). TikTokTokenManager.revoke() takes both as "already revoked"; a test plays the
 * other one with `tt.inject('revoke', { tiktokError: { error: 'invalid_grant' } })`.
 */
export function handleRevoke(ctx: RequestContext, state: EmulatorState): void {
  const form = readClientForm(ctx, state);
  if (form === undefined) return;
  const token = form.get('token');
  if (token === null || token === '') {
    sendOAuthError(ctx, state, 'invalid_request', 'Parameter token is required.');
    return;
  }
  const owner = state.grants.findAccess(token)?.openId;
  if (owner === undefined) {
    sendOAuthError(ctx, state, 'invalid_request', 'Access token is invalid or expired.');
    return;
  }
  state.grants.revokeUser(owner);
  sendJson(ctx.res, 200, {});
  // NOTE: TikTok also tells the app by webhook: `authorization.removed`, reason 5 (developer
  // revoke; https://developers.tiktok.com/doc/webhooks-events/).
  if (state.webhooks.url !== undefined) {
    state.webhooks
      .send({ event: 'authorization.removed', userOpenId: owner, content: { reason: 5 } })
      .catch(() => undefined);
  }
}
