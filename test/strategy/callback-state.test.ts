import assert from 'node:assert/strict';
import request from 'supertest';
import express, { type RequestHandler } from 'express';
import passport from 'passport';
import session from 'express-session';
import { NO_PENDING_LOGIN_REASON, TikTokStrategy } from '../../lib/strategy';
import { holdNextLoads } from '../support/barrier-store';
import { CaptureLogger } from '../support/capture-logger';
import { withClockAhead } from '../support/clock';
import { field } from '../support/json';
import {
  assertErrorJson,
  consent,
  EXPRESS_VERSIONS,
  startLogin,
  useLoginFixture,
} from '../support/login';

const EXPIRED_MESSAGE = 'Your login expired or was already used. Please try again.';

describe('TikTokStrategy', () => {
  describe('callback', () => {
    for (const version of EXPRESS_VERSIONS) {
      describe(`state (${version})`, () => {
        const store = new session.MemoryStore();
        const fx = useLoginFixture({ express: version, store });

        describe('a callback without a usable state', () => {
          it('no query at all → 400 INVALID_STATE, no token call', async () => {
            const res = await fx.browser().get('/auth/tiktok/callback');
            const error = assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(error.message, EXPIRED_MESSAGE);
            assert.equal(fx.tt.count('token'), 0);
          });

          it('code without state → 400 INVALID_STATE, no token call', async () => {
            const res = await fx.browser().get('/auth/tiktok/callback?code=abc');
            assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 0);
          });

          it('an unknown state → 400 INVALID_STATE, no token call', async () => {
            const agent = fx.browser();
            await startLogin(agent);
            const res = await agent.get(`/auth/tiktok/callback?code=abc&state=${'0'.repeat(64)}`);
            assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 0);
          });

          it('a state older than 10 minutes → 400 INVALID_STATE, no token call', async () => {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await withClockAhead(600_001, () => agent.get(callback));
            assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 0);
          });

          it('a state just under 10 minutes old still works', async () => {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            const res = await withClockAhead(590_000, () => agent.get(callback));
            assert.equal(res.status, 302);
            assert.equal(fx.tt.count('token'), 1);
          });

          it('no session cookie → 400 INVALID_STATE ("login expired"), not 500', async () => {
            const callback = await consent(await startLogin(fx.browser()));
            const res = await request(fx.app.server).get(callback);
            const error = assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(error.message, EXPIRED_MESSAGE);
            assert.equal(fx.tt.count('token'), 0);
          });
        });

        // express-session skips loading sessions while its store reports 'disconnect': the
        // request reaches the strategy without req.session. (An app mounting passport.session()
        // gets passport's own 500 before any strategy runs: tiktokSessionGuard cannot tell that
        // skip from a cookie-path mismatch, see docs/strategy.md.)
        describe('a session store that reports a disconnect', () => {
          const disconnecting = new session.MemoryStore();
          const dx = useLoginFixture({
            express: version,
            store: disconnecting,
            passportSession: false,
          });

          it('→ 503 SERVICE_UNAVAILABLE at the callback, and the same callback completes once it is back', async () => {
            const agent = dx.browser();
            const callback = await consent(await startLogin(agent));
            disconnecting.emit('disconnect');
            try {
              const error = assertErrorJson(await agent.get(callback), 503, 'SERVICE_UNAVAILABLE');
              assert.equal(error.retryable, true);
              assert.equal(dx.tt.count('token'), 0);
            } finally {
              disconnecting.emit('connect');
            }
            assert.equal((await agent.get(callback)).status, 302);
            assert.equal(dx.tt.count('token'), 1);
          });
        });

        describe('the failure log line says why the state was not found', () => {
          const logger = new CaptureLogger();
          const logged = useLoginFixture({ express: version, strategy: { logger } });
          const reasons = (): unknown[] => logger.events('failure').map((l) => l.meta?.reason);

          it('no session cookie came back: names Secure over http, sameSite and another host', async () => {
            logger.lines.length = 0;
            const callback = await consent(await startLogin(logged.browser()));
            const res = await request(logged.app.server).get(callback);
            assertErrorJson(res, 400, 'INVALID_STATE');
            assert.deepEqual(reasons(), [NO_PENDING_LOGIN_REASON]);
            assert.match(NO_PENDING_LOGIN_REASON, /Secure cookie over http/);
            assert.match(NO_PENDING_LOGIN_REASON, /sameSite: strict/);
            assert.match(
              NO_PENDING_LOGIN_REASON,
              /a different host between the start and the callback/,
            );
          });

          it('a session with other pending logins: an unknown state, no cookie hint', async () => {
            logger.lines.length = 0;
            const agent = logged.browser();
            await startLogin(agent);
            await agent.get(`/auth/tiktok/callback?code=abc&state=${'0'.repeat(64)}`);
            assert.deepEqual(reasons(), ['unknown state']);
          });

          it('a reload of the callback after the login: an unknown state, no cookie hint', async () => {
            const agent = logged.browser();
            const callback = await consent(await startLogin(agent));
            assert.equal((await agent.get(callback)).status, 302);
            logger.lines.length = 0;
            await agent.get(callback);
            assert.deepEqual(reasons(), ['unknown state']);
          });

          it('a bare GET of the callback path (a login started on it): the reason says to start logins elsewhere', async () => {
            logger.lines.length = 0;
            await logged.browser().get('/auth/tiktok/callback');
            assert.deepEqual(reasons(), [
              'no callback parameters: /auth/tiktok/callback is the callbackURL, where TikTok sends the browser back; start logins on another route (such as /auth/tiktok)',
            ]);
          });

          it('a bare GET of a callback path that is /auth/tiktok itself: the reason suggests another route', async () => {
            const own = new CaptureLogger();
            const strategy = new TikTokStrategy({
              clientKey: 'aw-key',
              clientSecret: 'secret',
              callbackURL: 'http://127.0.0.1:3000/auth/tiktok',
              logger: own,
            });
            const auth = new passport.Passport();
            auth.use(strategy);
            const app = express();
            app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
            const handler: unknown = auth.authenticate('tiktok', { session: false });
            assert.ok(typeof handler === 'function');
            app.get('/auth/tiktok', handler as RequestHandler);
            await request(app).get('/auth/tiktok');
            const reason = own.events('failure').map((l) => l.meta?.reason);
            assert.deepEqual(reason, [
              'no callback parameters: /auth/tiktok is the callbackURL, where TikTok sends the browser back; start logins on another route (such as /login/tiktok)',
            ]);
          });

          it('an expired state: the reason names stateTtlMs and its value', async () => {
            const agent = logged.browser();
            await startLogin(agent); // another pending login: not a fresh session
            const callback = await consent(await startLogin(agent));
            logger.lines.length = 0;
            await withClockAhead(601_000, () => agent.get(callback));
            assert.deepEqual(reasons(), ['expired state (older than stateTtlMs, 600000 ms)']);
          });

          // The callback's state and code are scrubbed from its lines, and their sender picks them.
          it("a state and code chosen to match the line's message, code or ID do not blank them", async () => {
            logger.lines.length = 0;
            const agent = logged.browser();
            const chosen = await agent
              .get('/auth/tiktok/callback?state=attacker-1234&code=INVALID_STATE')
              .set('X-Correlation-Id', 'attacker-1234');
            assert.equal(
              assertErrorJson(chosen, 400, 'INVALID_STATE').correlationId,
              'attacker-1234',
            );
            await agent.get('/auth/tiktok/callback?state=abcdefabcdef&code=TikTokOAuth');
            const lines = logger.events('failure');
            assert.deepEqual(
              lines.map((l) => [l.message, l.meta?.errorCode]),
              [
                ['[TikTokOAuth] login - failure', 'INVALID_STATE'],
                ['[TikTokOAuth] login - failure', 'INVALID_STATE'],
              ],
            );
            assert.equal(lines[0]?.meta?.correlationId, 'attacker-1234');
          });
        });

        describe('replays', () => {
          it('reloading the callback after login → 400 INVALID_STATE, no second token call', async () => {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            assert.equal((await agent.get(callback)).status, 302);
            const reload = await agent.get(callback);
            assertErrorJson(reload, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 1);
          });

          it("login CSRF: the attacker's code+state in the victim's browser → fail, no token call", async () => {
            const attacker = fx.browser();
            const victim = fx.browser();
            await startLogin(victim);
            const attackersCallback = await consent(await startLogin(attacker));
            const res = await victim.get(attackersCallback);
            assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 0);
            const me = await victim.get('/me');
            assert.equal(field(me.body, 'user'), null);
          });

          it('two concurrent callbacks with the same state → exactly one token call', async () => {
            const agent = fx.browser();
            const callback = await consent(await startLogin(agent));
            // Both requests load the session (each its own copy, state included) before either saves.
            holdNextLoads(store, 2);
            const responses = await Promise.all([agent.get(callback), agent.get(callback)]);
            const statuses = responses.map((r) => r.status).sort();
            assert.deepEqual(statuses, [302, 400]);
            const failed = responses.find((r) => r.status === 400);
            assert.ok(failed !== undefined);
            assertErrorJson(failed, 400, 'INVALID_STATE');
            assert.equal(fx.tt.count('token'), 1);
          });
        });

        describe('several tabs', () => {
          it('start A, start B, finish B then A → both succeed', async () => {
            const agent = fx.browser();
            const tabA = await startLogin(agent);
            const tabB = await startLogin(agent);
            const finishB = await agent.get(await consent(tabB));
            assert.equal(finishB.status, 302);
            const finishA = await agent.get(await consent(tabA));
            assert.equal(finishA.status, 302, finishA.text);
            assert.equal(fx.tt.count('token'), 2);
            const me = await agent.get('/me');
            assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
            assert.equal(field(me.body, 'session', 'tiktok:pending'), undefined);
          });

          it('keeps at most 5 pending logins: the oldest is dropped', async () => {
            const agent = fx.browser();
            const first = await startLogin(agent);
            for (let i = 0; i < 5; i++) await startLogin(agent);
            const res = await agent.get(await consent(first));
            assertErrorJson(res, 400, 'INVALID_STATE');
            const me = await agent.get('/me');
            const pending = field(me.body, 'session', 'tiktok:pending');
            assert.ok(Array.isArray(pending));
            assert.equal(pending.length, 5);
          });
        });
      });
    }
  });
});
