import assert from 'node:assert/strict';
import type { TikTokEmulator } from '../../lib/testing';

/** TikTok's PKCE test vector (https://developers.tiktok.com/doc/login-kit-web): verifier, hex challenge, RFC 7636 challenge. */
export const VERIFIER = 'gaeCq5mVvbhA8Ce6w5O9XBVIKMkySgv-_9A-rnhm9Ns';
export const HEX_CHALLENGE = 'e6a178b120743d08509508f269652b0bdf91e29332921bc9e9744fd3dd41bfef';
export const BASE64URL_CHALLENGE = '5qF4sSB0PQhQlQjyaWUrC9-R4pMykhvJ6XRP091Bv-8';

export const REDIRECT_URI = 'http://127.0.0.1:3000/auth/tiktok/callback';

/** Authorize query parameters that TikTok accepts; `undefined` removes one. */
export function authorizeParams(
  tt: TikTokEmulator,
  overrides: Record<string, string | undefined> = {},
): URLSearchParams {
  const all: Record<string, string | undefined> = {
    client_key: tt.clientKey,
    response_type: 'code',
    scope: 'user.info.basic',
    redirect_uri: REDIRECT_URI,
    state: 'state-123',
    code_challenge: HEX_CHALLENGE,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(all)) if (value !== undefined) params.set(name, value);
  return params;
}

export function authorizeUrl(
  tt: TikTokEmulator,
  overrides?: Record<string, string | undefined>,
): string {
  return `${tt.endpoints.authorizationURL}?${authorizeParams(tt, overrides).toString()}`;
}

/** GET a URL without following redirects. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers });
}

/** POST an x-www-form-urlencoded body; `signal` gives up waiting. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams(fields),
    ...(signal === undefined ? {} : { signal }),
  });
}

/** The `Location` of a 302, parsed. */
export function redirectTarget(response: Response): URL {
  assert.equal(response.status, 302);
  const location = response.headers.get('location');
  assert.ok(location !== null, 'a Location header');
  return new URL(location);
}

/** Authorizes through auto-approval; returns the code from the callback. */
export async function authorizeCode(
  tt: TikTokEmulator,
  overrides?: Record<string, string | undefined>,
): Promise<string> {
  const previous = tt.autoApprove;
  tt.autoApprove = true;
  try {
    const code = redirectTarget(await get(authorizeUrl(tt, overrides))).searchParams.get('code');
    assert.ok(code !== null, 'a code in the callback');
    return code;
  } finally {
    tt.autoApprove = previous;
  }
}

export function exchangeCode(
  tt: TikTokEmulator,
  code: string,
  overrides: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return postForm(
    tt.endpoints.tokenURL,
    {
      client_key: tt.clientKey,
      client_secret: tt.clientSecret,
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
      ...overrides,
    },
    signal,
  );
}

export function refreshTokens(
  tt: TikTokEmulator,
  refreshToken: string,
  signal?: AbortSignal,
): Promise<Response> {
  return postForm(
    tt.endpoints.tokenURL,
    {
      client_key: tt.clientKey,
      client_secret: tt.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    },
    signal,
  );
}

export function userInfo(
  tt: TikTokEmulator,
  accessToken: string,
  fields: string,
): Promise<Response> {
  return get(`${tt.endpoints.userInfoURL}?fields=${fields}`, {
    authorization: `Bearer ${accessToken}`,
  });
}

/** A JSON object body, checked to be an object. */
export async function jsonObject(response: Response): Promise<Record<string, unknown>> {
  const value: unknown = await response.json();
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'a JSON object');
  return Object.fromEntries(Object.entries(value));
}

/** A string property of a JSON object. */
export function stringProp(object: Record<string, unknown>, name: string): string {
  const value = object[name];
  assert.equal(typeof value, 'string', `${name} is a string`);
  return String(value);
}

/** Asserts a flat TikTok OAuth error and returns its log_id. */
export async function assertOAuthError(
  response: Response,
  error: string,
  description?: string,
  status = 200,
): Promise<string> {
  assert.equal(response.status, status);
  const body = await jsonObject(response);
  assert.equal(body.error, error);
  if (description !== undefined) assert.equal(body.error_description, description);
  const logId = stringProp(body, 'log_id');
  assert.equal(response.headers.get('x-tt-logid'), logId);
  return logId;
}

/** Asserts a user info error envelope. */
export async function assertUserInfoError(
  response: Response,
  status: number,
  code: string,
): Promise<void> {
  assert.equal(response.status, status);
  const body = await jsonObject(response);
  assert.deepEqual(body.data, {});
  const error = body.error;
  assert.ok(typeof error === 'object' && error !== null);
  assert.equal(Reflect.get(error, 'code'), code);
  assert.equal(Reflect.get(error, 'log_id'), response.headers.get('x-tt-logid'));
}
