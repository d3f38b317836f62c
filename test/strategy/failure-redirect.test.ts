import assert from 'node:assert/strict';
import session from 'express-session';
import request from 'supertest';
import { CLOCK_SKEW_MARGIN_MS } from '../../lib/state/session-cookie';
import { realNow } from '../support/clock';
import { field } from '../support/json';
import { userMessage, VERIFY_REFUSED_MESSAGE } from '../../lib/user-messages';
import {
  consent,
  EXPRESS_VERSIONS,
  startLogin,
  useLoginFixture,
  type TestResponse,
} from '../support/login';

const WEEK_MS = 7 * 24 * 3600 * 1000;
/** What a session holding only the package's login keys lives: stateTtlMs plus the margin. */
const LOGIN_ONLY_MS = 600_000 + CLOCK_SKEW_MARGIN_MS;

/** Milliseconds from now until the Expires of the response's session cookie, if it set one. */
function cookieLifetimeMs(res: TestResponse): number | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const expires = /;\s*Expires=([^;]+)/i.exec(
    cookies.find((c) => c.startsWith('connect.sid=')) ?? '',
  )?.[1];
  return expires === undefined ? undefined : Date.parse(expires) - realNow();
}

/** When each session in the store expires (epoch ms; MemoryStore keeps the cookie's expires). */
function storedExpiries(store: session.MemoryStore): Promise<number[]> {
  return new Promise((resolve, reject) => {
    store.all((err, sessions) => {
      if (err !== null && err !== undefined) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve(
        Object.values(sessions ?? {}).map((s) => Date.parse(String(field(s, 'cookie', 'expires')))),
      );
    });
  });
}

describe('TikTokStrategy', () => {
  describe('callback', () => {
    describe("passport's failureRedirect: callbacks without a session cookie (bots)", () => {
      const store = new session.MemoryStore();
      const fx = useLoginFixture({ store, cookie: { maxAge: WEEK_MS } });

      it('leave sessions that live stateTtlMs plus the margin, not the 7-day cookie', async () => {
        for (let i = 0; i < 20; i++) {
          const res = await request(fx.app.server).get(
            `/auth/tiktok/callback-redirect?code=x${i}&state=${'a'.repeat(64)}`,
          );
          assert.equal(res.status, 302);
          const lifetime = cookieLifetimeMs(res);
          assert.ok(
            lifetime !== undefined && lifetime <= LOGIN_ONLY_MS + 1000,
            `cookie lifetime ${lifetime} ms`,
          );
        }
        const expiries = await storedExpiries(store);
        assert.equal(expiries.length, 20);
        for (const at of expiries) assert.ok(at - realNow() <= LOGIN_ONLY_MS + 1000, String(at));
      });

      it('the failure page still learns the failure with that cookie', async () => {
        const agent = fx.browser();
        const res = await agent.get(
          `/auth/tiktok/callback-redirect?code=x&state=${'a'.repeat(64)}`,
        );
        assert.equal(res.headers.location, '/login');
        const page = await agent.get('/login');
        assert.equal(field(page.body, 'failure', 'code'), 'INVALID_STATE');
      });

      it("a logged-in user's failed callback keeps the app's 7-day cookie", async () => {
        const agent = fx.browser();
        const ok = await agent.get(await consent(await startLogin(agent, '/auth/tiktok-redirect')));
        assert.equal(ok.status, 302, ok.text);
        const res = await agent.get(
          `/auth/tiktok/callback-redirect?code=x&state=${'a'.repeat(64)}`,
        );
        assert.equal(res.headers.location, '/login');
        const lifetime = cookieLifetimeMs(res);
        assert.ok(lifetime !== undefined && lifetime > WEEK_MS - 60_000, `${lifetime} ms`);
        assert.equal(field((await agent.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
      });
    });

    for (const version of EXPRESS_VERSIONS) {
      describe(`why a login failed (${version})`, () => {
        describe("passport's failureRedirect + getTikTokLoginFailure()", () => {
          const fx = useLoginFixture({ express: version });

          it('a replayed callback lands on /login, which learns INVALID_STATE once', async () => {
            const agent = fx.browser();
            const res = await agent.get(
              `/auth/tiktok/callback-redirect?code=x&state=${'a'.repeat(64)}`,
            );
            assert.equal(res.status, 302);
            assert.equal(res.headers.location, '/login');
            const page = await agent.get('/login');
            assert.equal(field(page.body, 'failure', 'code'), 'INVALID_STATE');
            assert.equal(
              field(page.body, 'failure', 'message'),
              'Your login expired or was already used. Please try again.',
            );
            assert.match(
              String(field(page.body, 'failure', 'correlationId')),
              /^tiktok-\d+-[0-9a-f]{8}$/,
            );
            const again = await agent.get('/login');
            assert.equal(field(again.body, 'failure'), null);
          });

          it("another strategy's state at this strategy's callback: INVALID_STATE, no token call, and its own callback still completes", async () => {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const before = fx.tt.count('token');
            const res = await agent.get(
              callback.replace('/auth/tiktok/callback', '/auth/tiktok/callback-redirect'),
            );
            assert.equal(res.headers.location, '/login');
            const page = await agent.get('/login');
            assert.equal(field(page.body, 'failure', 'code'), 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), before, 'the code was not spent');
            const own = await agent.get(callback);
            assert.equal(own.status, 302, own.text);
            assert.equal(fx.tt.count('token'), before + 1);
          });

          it('a cancelled login lands on /login with ACCESS_DENIED', async () => {
            fx.tt.setConsent({ decision: 'deny' });
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent, '/auth/tiktok-redirect'));
            const res = await agent.get(callback);
            assert.equal(res.headers.location, '/login');
            const page = await agent.get('/login');
            assert.equal(field(page.body, 'failure', 'code'), 'ACCESS_DENIED');
            assert.equal(field(page.body, 'failure', 'message'), userMessage('ACCESS_DENIED'));
          });

          it('uses the incoming X-Correlation-Id', async () => {
            const agent = fx.browser();
            await agent
              .get('/auth/tiktok/callback-redirect?code=x')
              .set('X-Correlation-Id', 'support-ticket-42');
            const page = await agent.get('/login');
            assert.equal(field(page.body, 'failure', 'correlationId'), 'support-ticket-42');
          });

          it('?error=&correlationId= from tiktokErrorHandler: known codes, and safe ids as the reference only', async () => {
            const ok = await fx
              .browser()
              .get('/login?error=TIMEOUT_ERROR&correlationId=tiktok-1-abcdef01');
            assert.deepEqual(field(ok.body, 'failure'), {
              code: 'TIMEOUT_ERROR',
              correlationId: 'tiktok-1-abcdef01',
              message: 'TikTok took too long to answer. Please try again.',
            });
            const forged = await fx.browser().get('/login?error=%3Cscript%3E&correlationId=x');
            assert.equal(field(forged.body, 'failure'), null);
            const badId = await fx
              .browser()
              .get('/login?error=INVALID_STATE&correlationId=%0D%0Ax');
            assert.deepEqual(field(badId.body, 'failure'), {
              code: 'INVALID_STATE',
              message: userMessage('INVALID_STATE'),
            });
          });
        });

        describe("passport's failureRedirect: a user refused by verify", () => {
          let refusal: { message: string } | undefined;
          const fx = useLoginFixture({
            express: version,
            verify: (_accessToken, _refreshToken, _profile, done) => done(null, false, refusal),
          });

          async function refusedLogin(): Promise<unknown> {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent, '/auth/tiktok-redirect'));
            const res = await agent.get(callback);
            assert.equal(res.headers.location, '/login');
            return field((await agent.get('/login')).body, 'failure');
          }

          it("/login learns ACCESS_DENIED with verify's message", async () => {
            refusal = { message: 'This account is suspended.' };
            const failure = await refusedLogin();
            assert.equal(field(failure, 'code'), 'ACCESS_DENIED');
            assert.equal(field(failure, 'message'), 'This account is suspended.');
          });

          it('without a message of its own: a refusal, not "you cancelled"', async () => {
            refusal = undefined;
            const failure = await refusedLogin();
            assert.equal(field(failure, 'code'), 'ACCESS_DENIED');
            assert.equal(field(failure, 'message'), VERIFY_REFUSED_MESSAGE);
          });
        });

        describe("tiktokErrorHandler's failureRedirect", () => {
          const fx = useLoginFixture({ express: version, errorRedirect: '/login?from=tiktok' });

          it('behind a proxy whose request ID is not UUID-shaped: the page learns the code, without that ID', async () => {
            const requestId = '5f2b1c9e8d7a6b5c4d3e2f1a0b9c8d7e'; // nginx's $request_id
            fx.tt.setConsent({ decision: 'deny' });
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await agent
              .get(callback)
              .set('Accept', 'text/html')
              .set('X-Correlation-Id', requestId);
            const location = String(res.headers.location);
            assert.equal(
              location,
              `/login?from=tiktok&error=ACCESS_DENIED&correlationId=${requestId}`,
            );
            const page = await agent.get(location).set('X-Correlation-Id', 'another-request-id');
            assert.deepEqual(field(page.body, 'failure'), {
              code: 'ACCESS_DENIED',
              message: userMessage('ACCESS_DENIED'),
            });
          });

          it('redirects HTML clients with ?error=<code>&correlationId=<id>', async () => {
            const res = await fx
              .browser()
              .get('/auth/tiktok/callback?code=x')
              .set('Accept', 'text/html')
              .set('X-Correlation-Id', 'req-7');
            assert.equal(res.status, 302);
            assert.equal(
              res.headers.location,
              '/login?from=tiktok&error=INVALID_STATE&correlationId=req-7',
            );
            assert.equal(res.headers['x-correlation-id'], 'req-7');
          });

          it('still answers JSON clients with JSON', async () => {
            const res = await fx
              .browser()
              .get('/auth/tiktok/callback?code=x')
              .set('Accept', 'application/json');
            assert.equal(res.status, 400);
            assert.equal(field(res.body, 'error', 'code'), 'INVALID_STATE');
          });
        });

        describe("tiktokErrorHandler's failureRedirect: a user refused by verify", () => {
          const fx = useLoginFixture({
            express: version,
            errorRedirect: '/login?from=tiktok',
            verify: (_accessToken, _refreshToken, _profile, done) =>
              done(null, false, { message: 'This account is suspended.' }),
          });

          async function refusedLogin(): Promise<{
            agent: ReturnType<typeof fx.browser>;
            location: string;
          }> {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await agent.get(callback).set('Accept', 'text/html');
            assert.equal(res.status, 302);
            const location = String(res.headers.location);
            assert.match(
              location,
              /^\/login\?from=tiktok&error=ACCESS_DENIED&correlationId=tiktok-/,
            );
            return { agent, location };
          }

          it("the failure page learns verify's message, which the redirect cannot carry", async () => {
            const { agent, location } = await refusedLogin();
            const failure = field((await agent.get(location)).body, 'failure');
            assert.equal(field(failure, 'code'), 'ACCESS_DENIED');
            assert.equal(field(failure, 'message'), 'This account is suspended.');
            assert.equal(
              field(failure, 'correlationId'),
              new URL(location, 'http://app.test').searchParams.get('correlationId'),
            );
          });

          it("a later failure page for another login gets that login's failure, not the stale one", async () => {
            const { agent } = await refusedLogin();
            const other = await agent.get(
              '/login?error=TIMEOUT_ERROR&correlationId=tiktok-1-abcdef01',
            );
            assert.deepEqual(field(other.body, 'failure'), {
              code: 'TIMEOUT_ERROR',
              correlationId: 'tiktok-1-abcdef01',
              message: userMessage('TIMEOUT_ERROR'),
            });
            assert.equal(field((await agent.get('/login')).body, 'failure'), null);
          });

          it('a failure with the fixed message of its code records nothing in the session', async () => {
            const agent = fx.browser();
            await agent.get('/auth/tiktok/callback?code=x').set('Accept', 'text/html').expect(302);
            const me = await agent.get('/me');
            assert.deepEqual(field(me.body, 'session'), {});
          });
        });
      });
    }
  });
});
