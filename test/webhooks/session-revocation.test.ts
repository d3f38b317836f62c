import assert from 'node:assert/strict';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import {
  MemoryRemovalList,
  tiktokErrorHandler,
  tiktokSessionRevocation,
  type TikTokRemovalList,
} from '../../lib';
import {
  startTikTokEmulator,
  type EmulatorWebhookDelivery,
  type TikTokEmulator,
} from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { browser, CALLBACK_URL, consent, login, startLogin, type Agent } from '../support/login';
import { startWebhookApp, type WebhookApp } from '../support/webhook-app';

const OPEN_ID = 'emulator-open-id-1';

async function me(agent: Agent): Promise<unknown> {
  const res = await agent.get('/me').expect(200);
  return field(res.body, 'user');
}

describe('tiktokSessionRevocation', () => {
  describe('sessions end after authorization.removed (one instance, memory)', () => {
    let tt: TikTokEmulator;
    let app: WebhookApp;

    before(async () => {
      tt = await startTikTokEmulator({
        autoApprove: true,
        redirectUris: [CALLBACK_URL],
        webhookRetry: { attempts: 2, baseDelayMs: 10 },
      });
    });
    beforeEach(async () => {
      tt.reset();
      app = await startWebhookApp({ tt });
      tt.setWebhookUrl(app.webhookUrl);
    });
    afterEach(() => app.close());
    after(() => tt.close());

    /**
     * `agent` logged in, then the user disconnects in TikTok and the first delivery does not reach
     * the app (deploy, outage, or just TikTok's queue: TikTok retries later); returns that
     * delivery, 1.1 s later (the next login is in a later second than the removal).
     */
    async function removedWhileLoggedIn(agent: Agent): Promise<EmulatorWebhookDelivery> {
      assert.equal((await login(agent)).status, 200);
      tt.setWebhookUrl('http://127.0.0.1:9/webhooks/tiktok');
      const [delivery] = await tt.removeAuthorization(OPEN_ID, 1);
      assert.equal(delivery?.status, 'failed');
      await new Promise((r) => setTimeout(r, 1100));
      return delivery;
    }

    it('user disconnects, logs in again before the delivery lands: the new session and its tokens are kept', async () => {
      const agent = browser(app.server);
      const delivery = await removedWhileLoggedIn(agent);
      // Seconds later the user logs in again (a new grant): new tokens saved, session stamped.
      assert.equal((await login(agent)).status, 200);
      const fresh = await app.tokens.get(OPEN_ID);
      assert.notEqual(fresh, undefined);

      // TikTok's retry of the removal arrives.
      tt.setWebhookUrl(app.webhookUrl);
      const retry = await tt.redeliverWebhook(delivery);
      assert.equal(retry.status, 'delivered');

      // The package itself says this login is after the removal: the session is kept...
      const kept = await agent.get('/me').expect(200);
      assert.equal(field(kept.body, 'user', 'id'), OPEN_ID, 'session kept (login after removal)');
      // ...so its tokens (a new, valid grant) must be kept as well. docs/webhooks.md: "A login
      // after the removal works normally."
      assert.notEqual(
        await app.tokens.get(OPEN_ID),
        undefined,
        'the tokens of the login made after the removal were deleted',
      );
    });

    it('a login started before the delayed delivery lands (the user at the consent page) completes', async () => {
      const agent = browser(app.server);
      const delivery = await removedWhileLoggedIn(agent);
      // "Log in again", still logged in here; while the user is at TikTok the retry lands.
      const callback = await consent(await startLogin(agent));
      tt.setWebhookUrl(app.webhookUrl);
      assert.equal((await tt.redeliverWebhook(delivery)).status, 'delivered');
      // The callback request ends the old session first, then completes the new login.
      const res = await agent.get(callback);
      assert.equal(res.status, 200, res.text);
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
      assert.notEqual(await app.tokens.get(OPEN_ID), undefined);
    });

    it('logs the session out at its next request, deletes the tokens, and a new login works', async () => {
      const agent = browser(app.server);
      const callback = await login(agent);
      assert.equal(callback.status, 200, callback.text);
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
      assert.notEqual(await app.tokens.get(OPEN_ID), undefined);

      const [delivery] = await tt.removeAuthorization(OPEN_ID, 1);
      assert.equal(delivery?.status, 'delivered');
      assert.equal(await app.tokens.get(OPEN_ID), undefined, 'tokens deleted');
      const res = await agent.get('/me').expect(200);
      assert.equal(field(res.body, 'user'), null);
      assert.equal(field(res.body, 'revoked', 'openId'), OPEN_ID);
      assert.equal(await me(agent), null, 'still logged out afterwards');
      assert.equal(app.logger.events('session ended: TikTok authorization removed').length, 1);

      // A login after the removal: its stamp is later than the removal, it stays logged in.
      assert.equal((await login(agent)).status, 200);
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
      assert.notEqual(await app.tokens.get(OPEN_ID), undefined);
    });

    it('a removal TikTok sends while the callback is still in verify ends that session too (its tokens were issued before it)', async () => {
      await app.close();
      let entered: () => void = () => undefined;
      const inVerify = new Promise<void>((resolve) => (entered = resolve));
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      app = await startWebhookApp({
        tt,
        verify: async (_accessToken, _refreshToken, profile) => {
          entered();
          await released;
          return profile;
        },
      });
      tt.setWebhookUrl(app.webhookUrl);
      const agent = browser(app.server);
      const callback = await consent(await startLogin(agent));
      const finishing = agent.get(callback);
      const done = finishing.then((res) => res);
      await inVerify;
      const [delivery] = await tt.removeAuthorization(OPEN_ID, 1);
      assert.equal(delivery?.status, 'delivered');
      release();
      assert.equal((await done).status, 200);
      // The login completed after the removal, but with tokens TikTok issued before it: ended.
      const res = await agent.get('/me').expect(200);
      assert.equal(field(res.body, 'user'), null);
      assert.equal(field(res.body, 'revoked', 'openId'), OPEN_ID);
      assert.equal(await app.tokens.get(OPEN_ID), undefined);
    });

    it("another user's removal leaves the session alone", async () => {
      const agent = browser(app.server);
      await login(agent);
      await app.removals.record('someone-else', Date.now());
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
    });

    it('a removal list that does not answer → 503 SERVICE_UNAVAILABLE, never an unchecked session', async () => {
      let down = false;
      const inner = new MemoryRemovalList();
      const flaky: TikTokRemovalList = {
        record: (id, at) => inner.record(id, at),
        removedAt: (id) => (down ? Promise.reject(new Error('redis down')) : inner.removedAt(id)),
      };
      await app.close();
      app = await startWebhookApp({ tt, removals: flaky });
      const agent = browser(app.server);
      await login(agent);
      down = true;
      const res = await agent.get('/me').set('Accept', 'application/json').expect(503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      down = false;
      assert.equal(field(await me(agent), 'id'), OPEN_ID);
    });
  });

  describe('without a login stamp', () => {
    function appWith(
      openIdOf?: (req: express.Request) => string | undefined,
      store?: session.Store,
      logger: CaptureLogger = new CaptureLogger(),
    ): {
      app: express.Express;
      removals: MemoryRemovalList;
    } {
      const removals = new MemoryRemovalList();
      const app = express();
      app.use(
        session({
          secret: 's',
          resave: false,
          saveUninitialized: false,
          ...(store === undefined ? {} : { store }),
        }),
      );
      app.get('/login', (req, res) => {
        Reflect.set(req.session, 'userId', 'legacy-user');
        res.json({ ok: true });
      });
      app.use(
        tiktokSessionRevocation({
          removals,
          ...(openIdOf === undefined ? {} : { openIdOf }),
          logger,
        }),
      );
      app.get('/me', (req, res) => {
        const userId: unknown = Reflect.get(req.session, 'userId');
        res.json({
          userId: userId ?? null,
          revoked: req.tiktokSessionRevoked !== undefined,
        });
      });
      app.use(tiktokErrorHandler());
      return { app, removals };
    }

    it('openIdOf: an unstamped session of a removed user is ended (its login time is unknown)', async () => {
      const { app, removals } = appWith((req) => {
        const id: unknown = Reflect.get(req.session, 'userId');
        return typeof id === 'string' ? id : undefined;
      });
      const agent = request.agent(app);
      await agent.get('/login').expect(200);
      assert.equal(field((await agent.get('/me')).body, 'userId'), 'legacy-user');
      await removals.record('legacy-user', 1);
      const res = await agent.get('/me');
      assert.deepEqual(res.body, { userId: null, revoked: true });
    });

    it('without openIdOf an unstamped session is not checked', async () => {
      const { app, removals } = appWith();
      const agent = request.agent(app);
      await agent.get('/login').expect(200);
      await removals.record('legacy-user', Date.now());
      assert.equal(field((await agent.get('/me')).body, 'userId'), 'legacy-user');
    });

    it('requires a removals option', () => {
      assert.throws(() => tiktokSessionRevocation({} as never), /requires a removals option/);
    });

    it('refuses an openIdOf that is not a function', () => {
      assert.throws(
        () =>
          tiktokSessionRevocation({
            removals: new MemoryRemovalList(),
            openIdOf: 'userId' as never,
          }),
        /tiktokSessionRevocation option openIdOf must be a function/,
      );
    });

    it('a request without a session passes through unchecked', async () => {
      const removals = new MemoryRemovalList();
      const app = express();
      app.use(tiktokSessionRevocation({ removals, openIdOf: () => 'legacy-user' }));
      app.get('/', (_req, res) => res.json({ ok: true }));
      await removals.record('legacy-user', Date.now());
      assert.deepEqual((await request(app).get('/').expect(200)).body, { ok: true });
    });

    it('a session whose destroy fails → 503 and logged; that session is ended when it comes back', async () => {
      class FailingDestroy extends session.MemoryStore {
        fail = false;
        override destroy(sid: string, cb?: (err?: unknown) => void): void {
          if (this.fail) cb?.(new Error('store down'));
          else super.destroy(sid, cb);
        }
      }
      const store = new FailingDestroy();
      const logger = new CaptureLogger();
      const { app, removals } = appWith(
        (req) => {
          const id: unknown = Reflect.get(req.session, 'userId');
          return typeof id === 'string' ? id : undefined;
        },
        store,
        logger,
      );
      const login = await request(app).get('/login').expect(200);
      const oldCookie = String(login.headers['set-cookie']?.[0]).split(';')[0]!;
      await removals.record('legacy-user', 1);
      store.fail = true;
      const res = await request(app)
        .get('/me')
        .set('Cookie', oldCookie)
        .set('Accept', 'application/json')
        .expect(503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.equal(res.headers['retry-after'], '5');
      const [line] = logger.events('could not check or end the session');
      assert.equal(line?.level, 'error', logger.text());
      assert.equal(line.meta?.openId, 'legacy-user');
      // express-session gave the browser a new, empty session; the old one is still in the store
      // (its destroy failed) and is checked, and ended, whenever its cookie comes back.
      store.fail = false;
      const again = await request(app).get('/me').set('Cookie', oldCookie).expect(200);
      assert.deepEqual(again.body, { userId: null, revoked: true });
    });
  });
});
