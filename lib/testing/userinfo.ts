import { findUser, type EmulatorState, type RequestContext } from './context';
import { sendJson } from './http-io';
import { sendUserInfoError } from './responses';
import { FIELD_SCOPES } from './scopes';
import { userField } from './users';

const BEARER = /^Bearer +(\S+) *$/i;

function bearerToken(header: string | undefined): string | undefined {
  return BEARER.exec(header ?? '')?.[1];
}

/** The requested fields, or a message when the `fields` parameter is unusable. */
function requestedFields(query: URLSearchParams): { fields: string[] } | { error: string } {
  const values = query.getAll('fields');
  if (values.length === 0 || values[0] === '')
    return { error: 'The fields parameter is required.' };
  if (values.length > 1) return { error: 'The fields parameter must appear only once.' };
  const fields = [...new Set((values[0] ?? '').split(','))];
  const unknown = fields.find((field) => !FIELD_SCOPES.has(field));
  if (unknown !== undefined) return { error: `Unknown field "${unknown}" in fields.` };
  return { fields };
}

/** The scope without which the user info endpoint answers nothing at all. */
const ENDPOINT_SCOPE = 'user.info.basic';

interface ScopeProblem {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * NOTE: TikTok has two scope errors (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling):
 * `scope_not_authorized` (401) when the user did not grant the scope the request itself needs
 * (`user.info.basic` for this endpoint), and `scope_permission_missed` (400) when the token may
 * call the endpoint but some requested fields need a scope it lacks.
 */
function scopeProblem(
  granted: readonly string[],
  fields: readonly string[],
): ScopeProblem | undefined {
  if (!granted.includes(ENDPOINT_SCOPE)) {
    return {
      status: 401,
      code: 'scope_not_authorized',
      message: `The user did not authorize the scope required for completing this request (${ENDPOINT_SCOPE}).`,
    };
  }
  const missing = fields.filter((field) => !granted.includes(FIELD_SCOPES.get(field) ?? ''));
  if (missing.length === 0) return undefined;
  const scopes = [...new Set(missing.map((field) => FIELD_SCOPES.get(field) ?? ''))];
  return {
    status: 400,
    code: 'scope_permission_missed',
    message: `Some fields need additional scopes: ${missing.join(', ')} (${scopes.join(', ')}).`,
  };
}

/**
 * GET /v2/user/info/?fields=... with a Bearer access token. Answers TikTok's envelope
 * `{"data":{"user":{...}},"error":{"code":"ok","message":"","log_id":"..."}}` with only the
 * requested fields. NOTE: `open_id` is returned only when asked for, and every field needs its
 * scope to have been granted (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info).
 */
export function handleUserInfo(ctx: RequestContext, state: EmulatorState): void {
  const token = bearerToken(ctx.req.headers.authorization);
  const grant = token === undefined ? undefined : state.grants.findAccess(token);
  const user = grant === undefined ? undefined : findUser(state, grant.openId);
  if (grant === undefined || user === undefined) {
    sendUserInfoError(
      ctx,
      401,
      'access_token_invalid',
      'The access token is invalid or not found in the request.',
    );
    return;
  }
  const parsed = requestedFields(ctx.query);
  if ('error' in parsed) {
    sendUserInfoError(ctx, 400, 'invalid_params', parsed.error);
    return;
  }
  const scopeError = scopeProblem(grant.scopes, parsed.fields);
  if (scopeError !== undefined) {
    sendUserInfoError(ctx, scopeError.status, scopeError.code, scopeError.message);
    return;
  }
  const entries = parsed.fields.flatMap((field) => {
    const value = userField(user, field);
    return value === undefined ? [] : [[field, value] as const];
  });
  sendJson(ctx.res, 200, {
    data: { user: Object.fromEntries(entries) },
    error: { code: 'ok', message: '', log_id: ctx.logId },
  });
}
