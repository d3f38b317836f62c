import assert from 'node:assert/strict';
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from 'passport-tiktok/testing';
import request from 'supertest';
import { createApp, type ExampleApp, type ExampleAppOptions } from '../../example/app';
import { readConfig, type ExampleConfig } from '../../example/config';
import { SESSION_COOKIE } from '../../example/session';
import { startExample, type RunningExample, type StartOptions } from '../../example/start';
import { CaptureLogger } from './capture-logger';
import { realNow } from './clock';
import { consent, stateOf, type Agent, type TestResponse } from './login';

/** The callback URL the example registers in tests: https, as TikTok requires (supertest reaches the app directly). */
export const EXAMPLE_CALLBACK = 'https://example.test/auth/tiktok/callback';

export interface ExampleFixtureOptions {
  emulator?: TikTokEmulatorOptions;
  /** Extra createApp options, computed in `before` (a Redis client, say). */
  app?: () => Partial<ExampleAppOptions>;
}

/** One example app against an auto-approving emulator, with everything it says captured. */
export interface ExampleFixture {
  readonly tt: TikTokEmulator;
  readonly example: ExampleApp;
  readonly logger: CaptureLogger;
  /** Every response body and header (but Set-Cookie and Location) the tests kept. */
  readonly pages: string[];
  /** Secret values seen on the way (states, codes, session cookies), for the final scan. */
  readonly secrets: string[];
  /** A new browser (cookie jar) that asks for HTML, like a person's. */
  browser(): Agent;
  /** Records a response for the secret scan and returns it. */
  keep(res: TestResponse): TestResponse;
  /** Start → emulator consent; returns the callback path TikTok sends the browser back to. */
  consent(agent: Agent): Promise<string>;
  /** Start → emulator consent → callback; returns the callback's response. */
  login(agent: Agent): Promise<TestResponse>;
}

/**
 * Registers mocha hooks in the calling `describe`: an auto-approving emulator and the example
 * app, created in `before`, closed in `after`; the emulator is reset before each test.
 */
export function useExampleApp(options: ExampleFixtureOptions = {}): ExampleFixture {
  let tt: TikTokEmulator | undefined;
  let example: ExampleApp | undefined;
  const logger = new CaptureLogger();
  const pages: string[] = [];
  const secrets: string[] = [];
  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      clock: realNow,
      redirectUris: [EXAMPLE_CALLBACK],
      ...options.emulator,
    });
    example = createApp({
      clientKey: tt.clientKey,
      clientSecret: tt.clientSecret,
      callbackURL: EXAMPLE_CALLBACK,
      ...tt.endpoints,
      logger,
      ...options.app?.(),
    });
  });
  after(async () => {
    await example?.close();
    await tt?.close();
  });
  beforeEach(() => tt?.reset());

  const keep = (res: TestResponse): TestResponse => {
    const headers = Object.entries(res.headers).filter(
      ([name]) => name !== 'set-cookie' && name !== 'location',
    );
    pages.push(res.text, JSON.stringify(headers));
    const cookie = sessionCookieOf(res);
    if (cookie !== undefined) secrets.push(cookie, cookie.slice(2).split('.')[0] ?? '');
    return res;
  };
  const fixture: ExampleFixture = {
    get tt(): TikTokEmulator {
      assert.ok(tt !== undefined, 'the fixture is used outside its describe');
      return tt;
    },
    get example(): ExampleApp {
      assert.ok(example !== undefined, 'the fixture is used outside its describe');
      return example;
    },
    logger,
    pages,
    secrets,
    browser: () => request.agent(fixture.example.app).set('Accept', 'text/html'),
    keep,
    async consent(agent: Agent): Promise<string> {
      const start = keep(await agent.get('/auth/tiktok'));
      assert.equal(start.status, 302, `start should redirect, got ${start.status}`);
      const authorize = new URL(String(start.headers.location));
      secrets.push(stateOf(authorize));
      const callback = await consent(authorize);
      const code = new URL(callback, EXAMPLE_CALLBACK).searchParams.get('code');
      if (code !== null) secrets.push(code);
      return callback;
    },
    async login(agent: Agent): Promise<TestResponse> {
      return keep(await agent.get(await fixture.consent(agent)));
    },
  };
  return fixture;
}

/** The session cookie's value (decoded) from a response's Set-Cookie, if any. */
export function sessionCookieOf(res: TestResponse): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const sid = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const value = sid?.split(';')[0]?.slice(SESSION_COOKIE.length + 1);
  return value === undefined ? undefined : decodeURIComponent(value);
}

/** `npm start`'s configuration on 127.0.0.1 and ephemeral ports. */
export const LOCAL = { PORT: '0', HOST: '127.0.0.1', EMULATOR_PORT: '0' };

export async function startLocalExample(
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<{ running: RunningExample; printed: string }> {
  let printed = '';
  const config: ExampleConfig = readConfig({ ...LOCAL, ...env });
  const running = await startExample(config, {
    ...options,
    logger: new CaptureLogger(),
    print: (text) => {
      printed += text;
    },
  });
  return { running, printed };
}
