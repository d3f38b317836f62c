import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, DriverTimeout, type HttpClient, type Reply } from './http';
import type { Upstream } from '../types';

/** A login that did not end logged in: which step, and why. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`${step}: ${reason}`);
  }
}

export interface FlowContext {
  readonly client: HttpClient;
  /** Called with every request's duration, for the slowest-request figure. */
  onRequest(step: string, ms: number): void;
}

const BROWSER_HEADERS = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

async function timed(ctx: FlowContext, step: string, send: () => Promise<Reply>): Promise<Reply> {
  const started = performance.now();
  try {
    return await send();
  } catch (err) {
    const reason = err instanceof DriverTimeout ? 'driver timeout' : errorCode(err);
    throw new StepError(step, reason);
  } finally {
    ctx.onRequest(step, performance.now() - started);
  }
}

function errorCode(err: unknown): string {
  const code: unknown =
    typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
  return typeof code === 'string' ? code : 'network error';
}

function expect(step: string, reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new StepError(step, `HTTP ${reply.status}`);
  return reply;
}

function redirectTarget(step: string, reply: Reply, base: string): string {
  const location = expect(step, reply, 302).location;
  if (location === undefined) throw new StepError(step, 'redirect without Location');
  return new URL(location, base).toString();
}

/**
 * A browser logging in through an app: start (302 to TikTok), TikTok's authorize (autoApprove,
 * 302 back with a code), the callback (the app exchanges the code and fetches user info, then
 * 302), and `/session/end`, which proves the session holds the user and then ends it.
 */
export async function appLogin(ctx: FlowContext, baseUrl: string): Promise<void> {
  const jar = new CookieJar();
  const get = (url: string): Promise<Reply> =>
    ctx.client.request(url, { headers: { ...BROWSER_HEADERS, cookie: jar.header() } });
  const start = await timed(ctx, 'start', () => get(`${baseUrl}/auth/tiktok`));
  jar.absorb(start.setCookie);
  const authorizeUrl = redirectTarget('start', start, baseUrl);
  const authorize = await timed(ctx, 'authorize', () =>
    ctx.client.request(authorizeUrl, { headers: BROWSER_HEADERS }),
  );
  const callbackUrl = redirectTarget('authorize', authorize, authorizeUrl);
  const callback = await timed(ctx, 'callback', () => get(callbackUrl));
  jar.absorb(callback.setCookie);
  redirectTarget('callback', callback, baseUrl);
  const end = expect(
    'session',
    await timed(ctx, 'session', () => get(`${baseUrl}/session/end`)),
    200,
  );
  if (!end.body.includes('"id"')) throw new StepError('session', 'no user in the session');
}

/** The ceiling: the same three upstream calls with no Express or Passport in between. */
/** The callback the ceiling flow sends (nothing listens there: the 302 is read, not followed). */
export const CEILING_REDIRECT_URI = 'http://127.0.0.1/ceiling/callback';

export async function directLogin(
  ctx: FlowContext,
  upstream: Upstream,
  scopes: readonly string[],
  fields: string,
): Promise<void> {
  const verifier = randomBytes(32).toString('hex');
  const redirectUri = CEILING_REDIRECT_URI;
  const authorizeUrl = new URL(upstream.authorizationURL);
  authorizeUrl.search = new URLSearchParams({
    client_key: upstream.clientKey,
    scope: scopes.join(','),
    response_type: 'code',
    redirect_uri: redirectUri,
    state: randomBytes(32).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('hex'),
    code_challenge_method: 'S256',
  }).toString();
  const authorize = await timed(ctx, 'authorize', () =>
    ctx.client.request(authorizeUrl.toString()),
  );
  const code = new URL(redirectTarget('authorize', authorize, redirectUri)).searchParams.get(
    'code',
  );
  if (code === null) throw new StepError('authorize', 'no code');
  const form = new URLSearchParams({
    client_key: upstream.clientKey,
    client_secret: upstream.clientSecret,
    code,
    grant_type: 'authorization_code',
    redirect_uri: redirectUri,
    code_verifier: verifier,
  }).toString();
  const token = expect(
    'token',
    await timed(ctx, 'token', () =>
      ctx.client.request(upstream.tokenURL, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      }),
    ),
    200,
  );
  const { access_token: accessToken } = JSON.parse(token.body) as { access_token?: unknown };
  if (typeof accessToken !== 'string') throw new StepError('token', 'no access_token');
  const info = expect(
    'userinfo',
    await timed(ctx, 'userinfo', () =>
      ctx.client.request(`${upstream.userInfoURL}?fields=${fields}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      }),
    ),
    200,
  );
  if (!info.body.includes('"code":"ok"')) throw new StepError('userinfo', 'error envelope');
}
