import type { EmulatorState, RequestContext } from './context';
import { errorPage } from './html';
import { send, sendHtml, sendJson } from './http-io';

const DOCUMENTED_OAUTH_STATUS: Readonly<Record<string, number>> = {
  invalid_client: 401,
  unauthorized_client: 401,
  server_error: 500,
  temporarily_unavailable: 503,
  rate_limit_exceeded: 429,
};

/**
 * A token/revoke error in TikTok's flat shape. NOTE: TikTok has been observed to send these with
 * HTTP 200 (observed; docs/tiktok-api.md); `oauthErrorStatus: 'documented'` sends 4xx instead.
 * `status` forces a status whatever the option (429, 413, 405...).
 */
export function sendOAuthError(
  ctx: RequestContext,
  state: EmulatorState,
  error: string,
  description: string,
  status?: number,
): void {
  const httpStatus = status ?? oauthErrorHttpStatus(state, error);
  sendJson(ctx.res, httpStatus, { error, error_description: description, log_id: ctx.logId });
}

/** The HTTP status of a token/revoke `error` under the emulator's `oauthErrorStatus` option. */
export function oauthErrorHttpStatus(state: EmulatorState, error: string): number {
  return state.options.oauthErrorStatus === 200 ? 200 : (DOCUMENTED_OAUTH_STATUS[error] ?? 400);
}

/** A user info error in TikTok's envelope: `{"data":{},"error":{code,message,log_id}}`. */
export function sendUserInfoError(
  ctx: RequestContext,
  status: number,
  code: string,
  message: string,
): void {
  sendJson(ctx.res, status, { data: {}, error: { code, message, log_id: ctx.logId } });
}

/** An error with a fixed status, in the shape of the request's endpoint. */
export function sendEndpointError(
  ctx: RequestContext,
  state: EmulatorState,
  status: number,
  code: string,
  message: string,
): void {
  switch (ctx.endpoint) {
    case 'token':
    case 'revoke':
      sendOAuthError(ctx, state, code, message, status);
      return;
    case 'userinfo':
      sendUserInfoError(ctx, status, code, message);
      return;
    case 'authorize':
      sendHtml(ctx.res, status, errorPage(`${code}: ${message}`));
      return;
    case 'other':
      send(ctx.res, status, message, 'text/plain; charset=utf-8');
      return;
  }
}
