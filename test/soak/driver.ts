import type { TikTokEmulator } from '../../lib/testing/index';
import { CookieJar, DriverTimeout, type HttpClient, type Reply } from '../../bench/driver/http';
import type { CanaryFile } from './capture';
import type { LoginRecord } from './types';

/** Serialises one critical section (the emulator's consent is global: one user at a time). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly code: string,
  ) {
    super(`${step}: ${code}`);
  }
}

export interface DriverContext {
  readonly baseUrl: string;
  readonly client: HttpClient;
  readonly tt: TikTokEmulator;
  readonly canaries: CanaryFile;
  /** The phase index at a moment (ms since the run started). */
  readonly phaseIndexAt: (atMs: number) => number;
  readonly t0: number;
  readonly record: (login: LoginRecord) => void;
  /** False once the run is over: browsers finish their login and stop. */
  readonly running: () => boolean;
}

const JSON_HEADERS = { accept: 'application/json' };

/** The code of a failed answer: the JSON error code tiktokErrorHandler sends, else the status. */
function failureCode(reply: Reply): string {
  try {
    const body: unknown = JSON.parse(reply.body);
    const error: unknown =
      typeof body === 'object' && body !== null ? Reflect.get(body, 'error') : undefined;
    const code: unknown =
      typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : undefined;
    if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
  } catch {
    // not JSON
  }
  return `HTTP_${reply.status}`;
}

async function send(step: string, request: () => Promise<Reply>): Promise<Reply> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof DriverTimeout) throw new StepFailure(step, 'HUNG');
    const code: unknown = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : '';
    throw new StepFailure(step, `NET_${typeof code === 'string' ? code : 'ERROR'}`);
  }
}

function expectStatus(step: string, reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new StepFailure(step, failureCode(reply));
  return reply;
}

function locationOf(step: string, reply: Reply, base: string): URL {
  const location = expectStatus(step, reply, 302).location;
  if (location === undefined) throw new StepFailure(step, 'NO_LOCATION');
  return new URL(location, base);
}

function absorb(ctx: DriverContext, jar: CookieJar, reply: Reply): void {
  jar.absorb(reply.setCookie);
  for (const line of reply.setCookie) {
    const value = line.split(';', 1)[0]?.split('=').slice(1).join('=') ?? '';
    const decoded = decodeURIComponent(value);
    ctx.canaries.add(value);
    ctx.canaries.add(decoded);
    ctx.canaries.add(decoded.slice(2).split('.')[0]);
  }
}

/** start → authorize (the emulator approves as this browser's user) → callback → /me → logout. */
async function login(ctx: DriverContext, openId: string, consent: Mutex): Promise<void> {
  const jar = new CookieJar();
  const get = (url: string): Promise<Reply> =>
    ctx.client.request(url, { headers: { ...JSON_HEADERS, cookie: jar.header() } });
  const start = await send('start', () => get(`${ctx.baseUrl}/auth/tiktok`));
  absorb(ctx, jar, start);
  const authorizeUrl = locationOf('start', start, ctx.baseUrl);
  ctx.canaries.add(authorizeUrl.searchParams.get('state'));
  const authorize = await consent.run(() => {
    ctx.tt.setConsent({ decision: 'approve', openId });
    return send('authorize', () => ctx.client.request(authorizeUrl.toString()));
  });
  const callbackUrl = locationOf('authorize', authorize, authorizeUrl.toString());
  ctx.canaries.add(callbackUrl.searchParams.get('code'));
  ctx.canaries.add(callbackUrl.searchParams.get('state'));
  const callback = await send('callback', () => get(callbackUrl.toString()));
  absorb(ctx, jar, callback);
  const next = locationOf('callback', callback, ctx.baseUrl);
  if (next.pathname !== '/me') throw new StepFailure('callback', 'WRONG_REDIRECT');
  const me = expectStatus('session', await send('session', () => get(next.toString())), 200);
  if (!me.body.includes(`"id":"${openId}"`)) throw new StepFailure('session', 'WRONG_USER');
  const logout = await send('logout', () =>
    ctx.client.request(`${ctx.baseUrl}/logout`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, cookie: jar.header() },
    }),
  );
  absorb(ctx, jar, expectStatus('logout', logout, 200));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `users.length` browsers, each logging in as its own TikTok user, one login after another,
 * until the run is over. After a failure a browser waits 100 ms (a person would retry too),
 * so that an outage does not turn into a tight loop of instant failures.
 */
export async function runBrowsers(ctx: DriverContext, users: readonly string[]): Promise<void> {
  const consent = new Mutex();
  const browse = async (openId: string): Promise<void> => {
    while (ctx.running()) {
      const startedMs = Date.now() - ctx.t0;
      let outcome: { ok: boolean; code: string; step: string } = {
        ok: true,
        code: 'ok',
        step: 'done',
      };
      try {
        await login(ctx, openId, consent);
      } catch (err) {
        if (!(err instanceof StepFailure)) throw err;
        outcome = { ok: false, code: err.code, step: err.step };
      }
      const endedMs = Date.now() - ctx.t0;
      ctx.record({
        startedMs,
        endedMs,
        ...outcome,
        startPhase: ctx.phaseIndexAt(startedMs),
        endPhase: ctx.phaseIndexAt(endedMs),
      });
      if (!outcome.ok) await sleep(100);
    }
  };
  await Promise.all(users.map(browse));
}
