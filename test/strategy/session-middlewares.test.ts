import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import cookieSession from 'cookie-session';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import passportModule from 'passport';
import request from 'supertest';
import { TikTokAPIError, tiktokErrorHandler, tiktokSessionGuard, TikTokStrategy } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { realNow } from '../support/clock';
import { field } from '../support/json';
import {
  assertErrorJson,
  browser,
  CALLBACK_URL,
  consent,
  emulatorOptions,
  login,
  sessionCookie,
  startLogin,
  useLoginFixture,
  type LoginFixtureOptions,
} from '../support/login';

/** cookie-session as apps mount it: the whole session in a signed cookie, no server store. */
/**
 * `/me` of a browser logged in as `openId`: its session stamped for it (what
 * tiktokSessionRevocation ends the session by, webhooks.md) and its one other pending login
 * bound to it (what stops a planted pending login from switching the account).
 */
function assertStampedAndBound(me: { body: unknown; text: string }, openId: string): void {
  assert.equal(field(me.body, 'user', 'id'), openId);
  assert.equal(field(me.body, 'session', 'tiktokLogin', 'openId'), openId);
  const pendingLogins: unknown = field(me.body, 'session', 'tiktok:pending');
  assert.ok(Array.isArray(pendingLogins) && pendingLogins.length === 1, me.text);
  assert.equal(field(pendingLogins[0], 'openId'), openId);
}

function cookieSessions(): RequestHandler {
  return cookieSession({ name: 'session', keys: ['test-cookie-session-key'], sameSite: 'lax' });
}

/** The shim apps add after cookie-session for passport >= 0.6: each method calls back at once. */
function shim(methods: readonly ('save' | 'regenerate')[]): RequestHandler {
  return (req, _res, next) => {
    const session: unknown = req.session;
    if (typeof session === 'object' && session !== null) {
      for (const name of methods) {
        if (typeof Reflect.get(session, name) !== 'function') {
          Reflect.set(session, name, (callback: () => void) => callback());
        }
      }
    }
    next();
  };
}

/**
 * An emulator and the app `start` builds on it, for the calling `describe`: started in `before`,
 * closed in `after`; `server()` is the app's listening server.
 */
function useAppOnEmulator(start: (tt: TikTokEmulator) => Promise<Server>): {
  server: () => Server;
} {
  let tt: TikTokEmulator | undefined;
  let server: Server | undefined;
  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      clock: realNow,
      redirectUris: [CALLBACK_URL],
    });
    server = await start(tt);
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await tt?.close();
  });
  return {
    server: () => {
      assert.ok(server !== undefined, 'used outside its describe');
      return server;
    },
  };
}

/**
 * A Passport instance with the strategy on the emulator, users kept whole in the session, and
 * `authenticate(callback?)`: the route middleware, with a custom callback when given one.
 */
function customCallbackPassport(tt: TikTokEmulator): {
  passport: InstanceType<typeof passportModule.Passport>;
  authenticate: (callback?: (err: unknown, user: unknown) => void) => RequestHandler;
} {
  const passport = new passportModule.Passport();
  passport.use(new TikTokStrategy(emulatorOptions(tt)));
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const authenticate = (callback?: (err: unknown, user: unknown) => void): RequestHandler => {
    const handler: unknown = passport.authenticate('tiktok', callback);
    assert.ok(typeof handler === 'function');
    return handler as RequestHandler;
  };
  return { passport, authenticate };
}

/**
 * An app whose callback is a custom callback written for passport < 0.6: it regenerates the
 * session itself, then calls req.login() (which regenerates again).
 */
async function startRegeneratingApp(tt: TikTokEmulator): Promise<Server> {
  const { passport, authenticate } = customCallbackPassport(tt);
  const app = express();
  app.use(tiktokSessionGuard(session({ secret: 's', resave: false, saveUninitialized: false })));
  app.use(passport.session());
  app.get('/auth/tiktok', authenticate());
  app.get('/auth/tiktok/callback', (req, res, next) => {
    authenticate((err, user) => {
      if (err !== null || typeof user !== 'object' || user === null) {
        next(err ?? new Error('no user'));
        return;
      }
      req.session.regenerate((regenerateErr: unknown) => {
        if (regenerateErr !== undefined && regenerateErr !== null) {
          next(regenerateErr);
          return;
        }
        req.login(user, (loginErr: unknown) => (loginErr ? next(loginErr) : res.redirect('/')));
      });
    })(req, res, next);
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, session: req.session });
  });
  app.use(tiktokErrorHandler());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** What {@link startFailingLoginApp}'s app fails at, while set. */
interface LoginFailures {
  /** `serializeUser` (a user database that is down). */
  serializeUser: boolean;
  /** The store's `destroy()` of the old session, in passport's regeneration. */
  destroy: boolean;
}

/**
 * An app on a {@link MapStore} whose `req.login()` fails as `failing` says: passport regenerates
 * the session (the store destroys the old one), then serializes the user, then saves.
 */
async function startFailingLoginApp(tt: TikTokEmulator, failing: LoginFailures): Promise<Server> {
  const passport = new passportModule.Passport();
  passport.use(new TikTokStrategy(emulatorOptions(tt)));
  passport.serializeUser((user, done) => {
    if (failing.serializeUser) done(new Error('the user database is down'));
    else done(null, user);
  });
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  const store = new MapStore('sync');
  const destroy = store.destroy.bind(store);
  store.destroy = (sid, callback) => {
    if (failing.destroy) callback?.(new Error('the store is down'));
    else destroy(sid, callback);
  };
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, store }));
  app.use(passport.session());
  const authenticate: unknown = passport.authenticate('tiktok');
  assert.ok(typeof authenticate === 'function');
  app.get('/auth/tiktok', authenticate as RequestHandler);
  app.get('/auth/tiktok/callback', authenticate as RequestHandler, (_req, res) => {
    res.redirect('/');
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null, session: req.session });
  });
  app.use(tiktokErrorHandler());
  app.use(((_err, _req, res, _next) => {
    res.status(500).json({ error: 'serializeUser' });
  }) as express.ErrorRequestHandler);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * An app on cookie-session with a save() shim only whose callback is a custom callback calling
 * req.login(): at once, or after a tick (as after a database lookup). `calls` records each
 * call of the custom callback, `loginErrors` what req.login() called back with.
 */
async function startCookieSessionCustomCallbackApp(
  tt: TikTokEmulator,
  timing: 'at once' | 'after a tick',
  seen: { calls: unknown[]; loginErrors: unknown[] },
): Promise<Server> {
  const { passport, authenticate } = customCallbackPassport(tt);
  const app = express();
  app.use(cookieSessions(), shim(['save']));
  app.use(passport.session());
  app.get('/auth/tiktok', authenticate());
  app.get('/auth/tiktok/callback', (req, res, next) => {
    authenticate((err, user) => {
      seen.calls.push(err);
      if (err !== null || typeof user !== 'object' || user === null) {
        next(err ?? new Error('no user'));
        return;
      }
      const logIn = (): void => {
        req.login(user, (loginErr: unknown) => {
          seen.loginErrors.push(loginErr);
          if (loginErr) next(loginErr);
          else res.redirect('/');
        });
      };
      if (timing === 'at once') logIn();
      else setImmediate(logIn);
    })(req, res, next);
  });
  app.use(tiktokErrorHandler());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

type LoadCallback = (err: unknown, data?: session.SessionData | null) => void;

/** A store over a Map, through JSON, calling back at once (`sync`) or after 15 ms (`later`). */
class MapStore extends session.Store {
  private readonly data = new Map<string, string>();
  constructor(private readonly timing: 'sync' | 'later') {
    super();
  }
  private answer(run: () => void): void {
    if (this.timing === 'sync') run();
    else setTimeout(run, 15);
  }
  override get(sid: string, callback: LoadCallback): void {
    this.answer(() => {
      const json = this.data.get(sid);
      callback(null, json === undefined ? null : (JSON.parse(json) as session.SessionData));
    });
  }
  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    this.answer(() => {
      this.data.set(sid, JSON.stringify(data));
      callback?.();
    });
  }
  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.answer(() => {
      this.data.delete(sid);
      callback?.();
    });
  }
}

const EXPRESS_SESSION_SETUPS: readonly [string, LoginFixtureOptions][] = [
  ['a store calling back synchronously', { store: new MapStore('sync') }],
  ['a store calling back later', { store: new MapStore('later') }],
  ['rolling: true', { sessionOptions: { rolling: true } }],
  ['resave: true', { sessionOptions: { resave: true } }],
  ['saveUninitialized: true', { sessionOptions: { saveUninitialized: true } }],
  ['a custom genid', { sessionOptions: { genid: () => randomBytes(18).toString('base64url') } }],
  ["the app's cookie.maxAge", { cookie: { maxAge: 7 * 24 * 3600 * 1000 } }],
  ["unset: 'destroy'", { sessionOptions: { unset: 'destroy' } }],
  ['keepSessionInfo: true', { callbackOptions: { keepSessionInfo: true } }],
];

describe('TikTokStrategy', () => {
  describe('express-session setups (docs/strategy.md, Session middlewares)', () => {
    for (const [name, options] of EXPRESS_SESSION_SETUPS) {
      describe(name, () => {
        const fixture = useLoginFixture(options);

        it("logs in with a new session id; the state is single-use; the other tab's login completes; logout", async () => {
          const agent = fixture.browser();
          await agent.get('/poke');
          const tabA = await consent(await startLogin(agent));
          const tabB = await consent(await startLogin(agent, '/auth/tiktok?returnTo=/b'));
          const before = field((await agent.get('/me')).body, 'sessionID');
          const a = await agent.get(tabA).set('Accept', 'application/json');
          assert.equal(a.status, 302, a.text);
          const me = await agent.get('/me');
          assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
          assert.notEqual(field(me.body, 'sessionID'), before);
          assert.equal(field(me.body, 'session', 'tiktokLogin', 'openId'), 'emulator-open-id-1');
          assertErrorJson(
            await agent.get(tabA).set('Accept', 'application/json'),
            400,
            'INVALID_STATE',
          );
          const b = await agent.get(tabB).set('Accept', 'application/json');
          assert.equal(b.status, 302, b.text);
          assert.equal(b.headers.location, '/b');
          assert.equal((await agent.post('/logout')).status, 200);
          assert.equal(field((await agent.get('/me')).body, 'user'), null);
        });
      });
    }
  });

  describe('a custom callback that regenerates the session itself before req.login()', () => {
    const app = useAppOnEmulator(startRegeneratingApp);

    it("stamps the logged-in session and keeps the other tab's login (both were dropped)", async () => {
      const agent = browser(app.server());
      const tabA = await consent(await startLogin(agent));
      const tabB = await consent(await startLogin(agent));
      const a = await agent.get(tabA);
      assert.equal(a.status, 302, a.text);
      assert.ok(sessionCookie(a) !== undefined, 'a new session id at login');
      const me = await agent.get('/me');
      assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
      // The stamp is what tiktokSessionRevocation ends the session by (webhooks.md).
      assert.equal(field(me.body, 'session', 'tiktokLogin', 'openId'), 'emulator-open-id-1');
      const b = await agent.get(tabB);
      assert.equal(b.status, 302, b.text);
      assert.equal(field((await agent.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
    });
  });

  describe("passport's req.login() failing after its regeneration of the session", () => {
    const failing: LoginFailures = { serializeUser: false, destroy: false };
    const app = useAppOnEmulator((tt) => startFailingLoginApp(tt, failing));
    afterEach(() => {
      failing.serializeUser = false;
      failing.destroy = false;
    });

    for (const failure of ['serializeUser', 'destroy'] as const) {
      it(`${failure} failing: nobody logged in, no login stamp; the other tab's login stays unbound and completes`, async () => {
        const agent = browser(app.server());
        const tabA = await consent(await startLogin(agent));
        const tabB = await consent(await startLogin(agent));
        failing[failure] = true;
        const a = await agent.get(tabA);
        assert.equal(a.status, 500, a.text);
        failing[failure] = false;
        const me = await agent.get('/me');
        assert.equal(field(me.body, 'user'), null);
        // No stamp: nobody logged in, so no webhook removal has a session to end.
        assert.equal(field(me.body, 'session', 'tiktokLogin'), undefined);
        // Tab B's login is as it was: not bound to the account whose login failed.
        const pendingLogins: unknown = field(me.body, 'session', 'tiktok:pending');
        assert.ok(Array.isArray(pendingLogins) && pendingLogins.length === 1, me.text);
        assert.equal(field(pendingLogins[0], 'openId'), undefined);
        const b = await agent.get(tabB);
        assert.equal(b.status, 302, b.text);
        const after = await agent.get('/me');
        assert.equal(field(after.body, 'user', 'id'), 'emulator-open-id-1');
        assert.equal(field(after.body, 'session', 'tiktokLogin', 'openId'), 'emulator-open-id-1');
      });
    }
  });

  describe('keepSessionInfo: true on a session logged in as another account', () => {
    const fixture = useLoginFixture({
      emulator: { users: [{}, {}] },
      callbackOptions: { keepSessionInfo: true },
    });

    it("passport's merge of the pre-login session does not bring back its stamp or bindings: the new account's win", async () => {
      const agent = fixture.browser();
      fixture.tt.setConsent({ decision: 'approve', openId: 'emulator-open-id-2' });
      assert.equal((await login(agent)).status, 302);
      fixture.tt.setConsent({ decision: 'approve', openId: 'emulator-open-id-1' });
      const tabA = await consent(await startLogin(agent));
      const tabB = await consent(await startLogin(agent));
      const a = await agent.get(tabA).set('Accept', 'application/json');
      assert.equal(a.status, 302, a.text);
      // The merge copies the pre-login session (stamped for open-id-2) over the new one after
      // the regeneration: the stamp and the binding must be written after it.
      assertStampedAndBound(await agent.get('/me'), 'emulator-open-id-1');
      const b = await agent.get(tabB).set('Accept', 'application/json');
      assert.equal(b.status, 302, b.text);
      assert.equal(field((await agent.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
    });
  });

  describe('session middlewares other than express-session', () => {
    describe('cookie-session without save() or regenerate()', () => {
      const logger = new CaptureLogger();
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions()],
        strategy: { logger },
      });

      it('refuses the start with 500 CONFIGURATION_ERROR naming both methods (it was a retryable 503 "store unreachable")', async () => {
        const res = await fixture.browser().get('/auth/tiktok').set('Accept', 'application/json');
        const error = assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
        assert.equal(error.retryable, false);
        const [line] = logger.events('error');
        assert.ok(line !== undefined);
        assert.equal(line.meta?.errorCode, 'CONFIGURATION_ERROR');
        const detail = String(line.meta?.detail);
        assert.match(detail, /req\.session\.save\(\) and req\.session\.regenerate\(\) missing/);
        assert.match(detail, /cookie-session/);
        assert.match(detail, /docs\/strategy\.md, "cookie-session"/);
      });
    });

    describe('cookie-session with a save() shim only', () => {
      const logger = new CaptureLogger();
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions(), shim(['save'])],
        strategy: { logger },
      });

      it('answers the callback 500 CONFIGURATION_ERROR naming regenerate() (it never answered)', async () => {
        const browser = fixture.browser();
        const callback = await consent(await startLogin(browser));
        const res = await browser
          .get(callback)
          .set('Accept', 'application/json')
          .timeout({ response: 10_000 });
        assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
        const line = logger
          .events('error')
          .find((l) => l.meta?.errorCode === 'CONFIGURATION_ERROR');
        assert.ok(line !== undefined);
        assert.match(String(line.meta?.detail), /^req\.session\.regenerate\(\) missing/);
        assert.equal(logger.events('exception after the outcome').length, 0);
        // Nobody is logged in.
        assert.equal(field((await browser.get('/me')).body, 'user'), null);
      });
    });

    for (const timing of ['at once', 'after a tick'] as const) {
      describe(`cookie-session with a save() shim only, a custom callback calling req.login() ${timing}`, () => {
        const seen = { calls: [] as unknown[], loginErrors: [] as unknown[] };
        const app = useAppOnEmulator((tt) => startCookieSessionCustomCallbackApp(tt, timing, seen));

        it('req.login() calls back with the CONFIGURATION_ERROR; the custom callback is called once', async () => {
          const agent = browser(app.server());
          const callback = await consent(await startLogin(agent));
          const res = await agent
            .get(callback)
            .set('Accept', 'application/json')
            .timeout({ response: 10_000 });
          assertErrorJson(res, 500, 'CONFIGURATION_ERROR');
          assert.equal(seen.calls.length, 1, 'the custom callback is called once, with the user');
          assert.equal(seen.loginErrors.length, 1);
          const [loginErr] = seen.loginErrors;
          assert.ok(loginErr instanceof TikTokAPIError);
          assert.equal(loginErr.code, 'CONFIGURATION_ERROR');
          assert.match(loginErr.message, /^req\.session\.regenerate\(\) missing/);
        });
      });
    }

    describe('cookie-session with save() and regenerate() shims', () => {
      const fixture = useLoginFixture({
        sessionMiddleware: [cookieSessions(), shim(['save', 'regenerate'])],
      });

      it("logs in; the state is single-use; the other tab's login completes; logout works", async () => {
        const browser = fixture.browser();
        const start = await browser.get('/auth/tiktok');
        // The cookie as it was before the callback: a copy stays valid (cookie-session).
        const header: unknown = start.headers['set-cookie'];
        const before = (Array.isArray(header) ? header.map(String) : [])
          .map((c) => c.split(';')[0])
          .join('; ');
        assert.match(before, /session=/);
        const tabA = await consent(new URL(String(start.headers.location)));
        const tabB = await consent(await startLogin(browser, '/auth/tiktok?returnTo=/b'));
        const a = await browser.get(tabA).set('Accept', 'application/json');
        assert.equal(a.status, 302);
        assert.equal(field((await browser.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
        assertErrorJson(
          await browser.get(tabA).set('Accept', 'application/json'),
          400,
          'INVALID_STATE',
        );
        // The old cookie still holds tabA's pending login: the claim store refuses it.
        const replay = await request(fixture.app.server)
          .get(tabA)
          .set('Cookie', before)
          .set('Accept', 'application/json');
        assertErrorJson(replay, 400, 'INVALID_STATE');
        const b = await browser.get(tabB).set('Accept', 'application/json');
        assert.equal(b.status, 302);
        assert.equal(b.headers.location, '/b');
        assert.equal((await browser.post('/logout')).status, 200);
        assert.equal(field((await browser.get('/me')).body, 'user'), null);
        assert.equal((await login(browser)).status, 302);
      });

      it("stamps the login and binds the other tab's login to the account (regenerate() keeps the session object)", async () => {
        const browser = fixture.browser();
        const tabA = await consent(await startLogin(browser));
        const tabB = await consent(await startLogin(browser));
        const a = await browser.get(tabA).set('Accept', 'application/json');
        assert.equal(a.status, 302, a.text);
        assertStampedAndBound(await browser.get('/me'), 'emulator-open-id-1');
        const b = await browser.get(tabB).set('Accept', 'application/json');
        assert.equal(b.status, 302, b.text);
      });
    });
  });
});
