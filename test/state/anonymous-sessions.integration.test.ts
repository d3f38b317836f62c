import assert from 'node:assert/strict';
import { RedisStore } from 'connect-redis';
import request from 'supertest';
import { CLOCK_SKEW_MARGIN_MS } from '../../lib/state/session-cookie';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { realNow, withClockAhead } from '../support/clock';
import { field } from '../support/json';
import {
  browser,
  CALLBACK_URL,
  consent,
  sessionCookie,
  startLoginApp,
  type LoginApp,
  type TestResponse,
} from '../support/login';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

const WEEK_S = 7 * 24 * 3600;
const STATE_TTL_S = 600;
/** stateTtlMs plus the margin for browser clocks (CLOCK_SKEW_MARGIN_MS): what the cookie gets. */
const LOGIN_ONLY_S = STATE_TTL_S + CLOCK_SKEW_MARGIN_MS / 1000;

/** Seconds from now until the Expires of the response's session cookie. */
function cookieLifetimeS(res: TestResponse): number {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const sid = cookies.find((c) => c.startsWith('connect.sid='));
  assert.ok(sid !== undefined, `no session cookie set: ${JSON.stringify(header)}`);
  assert.doesNotMatch(sid, /Max-Age=/i);
  const expires = /;\s*Expires=([^;]+)/i.exec(sid)?.[1];
  assert.ok(expires !== undefined, `a persistent cookie: ${sid}`);
  return (Date.parse(expires) - realNow()) / 1000;
}

/** Asserts `actual` is within `slack` below `expected` (clocks move on while the test runs). */
function assertAbout(actual: number, expected: number, what: string, slack = 15): void {
  assert.ok(
    actual <= expected + 1 && actual >= expected - slack,
    `${what}: ${actual} s, expected about ${expected} s`,
  );
}

describe('TikTokStrategy', () => {
  describe('login start', () => {
    describe('a login started without a user keeps its session only as long as its state, plus a margin for browser clocks', function () {
      let redis: TestRedis | undefined;
      let prefix: string;
      let tt: TikTokEmulator;
      let app: LoginApp;
      // passport's keepSessionInfo: the pre-login session (and its cookie) is merged into the new one.
      let keepInfoApp: LoginApp;

      /** Redis TTL (s) of the session behind a response's cookie, or of a session id. */
      async function storeTtlS(sid: string): Promise<number> {
        return redis!.ttl(`${prefix}sess:${sid}`);
      }
      function sidOf(res: TestResponse): string {
        const value = sessionCookie(res);
        assert.ok(value !== undefined);
        const sid = /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1];
        assert.ok(sid !== undefined);
        return sid;
      }

      before(async function () {
        redis = await connectTestRedis(this);
        prefix = uniquePrefix();
        const store = new RedisStore({ client: redis, prefix: `${prefix}sess:` });
        tt = await startTikTokEmulator({
          autoApprove: true,
          clock: realNow,
          redirectUris: [CALLBACK_URL],
        });
        const cookie = { maxAge: WEEK_S * 1000 };
        app = await startLoginApp({ tt, store, cookie });
        keepInfoApp = await startLoginApp({
          tt,
          store,
          cookie,
          callbackOptions: { keepSessionInfo: true },
        });
      });
      after(async () => {
        await app?.close();
        await keepInfoApp?.close();
        await tt?.close();
        if (redis?.isOpen) {
          await deleteKeys(redis, prefix);
          redis.destroy();
        }
      });
      beforeEach(() => tt.reset());

      it(`a cookieless login start: cookie and Redis entry live ${LOGIN_ONLY_S} s, not 7 days`, async () => {
        const res = await request(app.server).get(`/auth/tiktok?returnTo=/${'a'.repeat(2000)}`);
        assert.equal(res.status, 302);
        assertAbout(cookieLifetimeS(res), LOGIN_ONLY_S, 'Set-Cookie Expires');
        assertAbout(await storeTtlS(sidOf(res)), LOGIN_ONLY_S, 'Redis TTL');
      });

      it('a second start in that session moves the expiry to its own state; the login gets 7 days', async () => {
        const agent = browser(app.server);
        const first = await agent.get('/auth/tiktok');
        const sid = sidOf(first);
        // Five minutes later, another tab starts a login in the same anonymous session.
        const second = await withClockAhead(300_000, () => agent.get('/auth/tiktok'));
        assert.equal(sidOf(second), sid);
        assertAbout(
          cookieLifetimeS(second),
          300 + LOGIN_ONLY_S,
          'Set-Cookie Expires of the 2nd start',
        );
        assertAbout(await storeTtlS(sid), LOGIN_ONLY_S, 'Redis TTL after the 2nd start');
        const callback = await agent.get(await consent(new URL(String(first.headers.location))));
        assert.equal(callback.status, 302, callback.text);
        const loggedIn = sidOf(callback);
        assert.notEqual(loggedIn, sid);
        assertAbout(cookieLifetimeS(callback), WEEK_S, 'Set-Cookie Expires after login');
        assertAbout(await storeTtlS(loggedIn), WEEK_S, 'Redis TTL after login');
        assert.equal(await storeTtlS(sid), -2, 'the pre-login session is gone');
        // The other tab's login was carried over; its completion keeps the 7 days.
        const me = await agent.get('/me');
        assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
        assert.equal(field(me.body, 'session', 'tiktok:cookieMaxAge'), undefined);
      });

      it("keepSessionInfo (the pre-login session merged into the new one): the app's 7 days are back", async () => {
        const agent = browser(keepInfoApp.server);
        await agent.get('/auth/tiktok');
        const second = await agent.get('/auth/tiktok');
        assertAbout(cookieLifetimeS(second), LOGIN_ONLY_S, 'Set-Cookie Expires of the 2nd start');
        const callback = await agent.get(await consent(new URL(String(second.headers.location))));
        assert.equal(callback.status, 302, callback.text);
        assertAbout(cookieLifetimeS(callback), WEEK_S, 'Set-Cookie Expires after login');
        assertAbout(await storeTtlS(sidOf(callback)), WEEK_S, 'Redis TTL after login');
      });

      it('a logged-in user starting a new login keeps the 7-day cookie', async () => {
        const agent = browser(app.server);
        const start = await agent.get('/auth/tiktok');
        const callback = await agent.get(await consent(new URL(String(start.headers.location))));
        assert.equal(callback.status, 302);
        const again = await agent.get('/auth/tiktok');
        assert.equal(again.status, 302);
        assertAbout(cookieLifetimeS(again), WEEK_S, 'Set-Cookie Expires');
        assertAbout(await storeTtlS(sidOf(again)), WEEK_S, 'Redis TTL');
      });

      it("an anonymous session holding the app's own data keeps the 7-day cookie", async () => {
        const agent = browser(app.server);
        await agent.get('/poke');
        const start = await agent.get('/auth/tiktok');
        assert.equal(start.status, 302);
        assertAbout(cookieLifetimeS(start), WEEK_S, 'Set-Cookie Expires');
        assertAbout(await storeTtlS(sidOf(start)), WEEK_S, 'Redis TTL');
      });
    });
  });
});
