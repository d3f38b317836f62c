import { timingSafeEqual } from 'node:crypto';
import type { EmulatorState, RequestContext } from './context';
import { isFormContentType } from './recorder';
import { sendOAuthError } from './responses';

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Reads the form of a token or revoke request and authenticates the client, answering the
 * error itself when something is wrong. NOTE: TikTok rejects JSON bodies and reads
 * `client_key` + `client_secret` from the form body only; an `Authorization: Basic` header is
 * ignored (https://developers.tiktok.com/doc/oauth-user-access-token-management).
 */
export function readClientForm(
  ctx: RequestContext,
  state: EmulatorState,
): URLSearchParams | undefined {
  if (!isFormContentType(ctx.req.headers['content-type'])) {
    sendOAuthError(
      ctx,
      state,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded.',
    );
    return undefined;
  }
  const form = new URLSearchParams(ctx.record.body);
  for (const name of new Set(form.keys())) {
    if (form.getAll(name).length > 1) {
      sendOAuthError(ctx, state, 'invalid_request', `Parameter ${name} must appear only once.`);
      return undefined;
    }
  }
  const clientKey = form.get('client_key');
  const clientSecret = form.get('client_secret');
  if (clientSecret === null) {
    // NOTE: TikTok's own example of this answer
    // (https://developers.tiktok.com/doc/client-access-token-management).
    sendOAuthError(ctx, state, 'invalid_request', 'Client secret is missed in request.');
    return undefined;
  }
  if (
    clientKey !== state.options.clientKey ||
    !sameSecret(clientSecret, state.options.clientSecret)
  ) {
    sendOAuthError(ctx, state, 'invalid_client', 'Client key or client secret is invalid.');
    return undefined;
  }
  return form;
}
