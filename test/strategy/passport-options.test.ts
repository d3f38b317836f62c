import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import passportModule from 'passport';
import request from 'supertest';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  MemoryRemovalList,
  TikTokStrategy,
  tiktokErrorHandler,
  tiktokSessionRevocation,
} from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { realNow } from '../support/clock';
import { field } from '../support/json';
import { CALLBACK_URL, consent, emulatorOptions, type Agent } from '../support/login';

const FIRST = 'emulator-open-id-1';
const SECOND = 'emulator-open-id-2';
/** The token-only API's callback (`session: false`). */
const TOKEN_CALLBACK_URL = 'https://app.test/api/tiktok/callback';
/** The "connect your TikTok account" callback (`passport.authorize()`: `assignProperty`). */
const CONNECT_CALLBACK_URL = 'https://app.test/connect/tiktok/callback';
/** The custom-callback route's callback. */
const CUSTOM_CALLBACK_URL = 'https://app.test/custom/tiktok/callback';
/** A custom callback that throws an error quoting the user, whose verify kept the tokens. */
const LEAKY_CALLBACK_URL = 'https://app.test/leaky/tiktok/callback';
/** What the leaky strategy logs. */
const leakyLogger = new CaptureLogger();

function isHandler(value: unknown): value is RequestHandler {
  return typeof value === 'function';
}

function handler(value: unknown): RequestHandler {
  assert.ok(isHandler(value));
  return value;
}

/** Makes the custom callback below throw (an app bug), for one test. */
let customCallbackThrows = false;

/**
 * An app with the routes of a demanding app: a normal login (session), a token-only API
 * (`session: false`), account linking (`passport.authorize()`), and a custom callback that logs
 * in only when `?login=1` was given at the start (kept in the session).
 */
async function startApp(tt: TikTokEmulator, removals: MemoryRemovalList): Promise<Server> {
  const passport = new passportModule.Passport();
  const strategy = (callbackURL: string): TikTokStrategy =>
    new TikTokStrategy({ ...emulatorOptions(tt), callbackURL });
  passport.use(strategy(CALLBACK_URL));
  passport.use('tiktok-token', strategy(TOKEN_CALLBACK_URL));
  passport.use('tiktok-connect', strategy(CONNECT_CALLBACK_URL));
  passport.use('tiktok-custom', strategy(CUSTOM_CALLBACK_URL));
  passport.use(
    'tiktok-leaky',
    new TikTokStrategy(
      { ...emulatorOptions(tt), callbackURL: LEAKY_CALLBACK_URL, logger: leakyLogger },
      (accessToken, refreshToken, profile) =>
        Promise.resolve({ id: profile.id, accessToken, refreshToken }),
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(session({ secret: 'test', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.use(tiktokSessionRevocation({ removals }));
  const ok = (req: Request, res: Response): void => {
    const account: unknown = Reflect.get(req, 'account');
    res.json({ user: req.user ?? null, account: account ?? null, authInfo: req.authInfo ?? null });
  };
  app.get('/auth/tiktok', handler(passport.authenticate('tiktok')));
  app.get(
    '/auth/tiktok-with-state',
    handler(passport.authenticate('tiktok', { state: JSON.stringify({ plan: 'pro' }) })),
  );
  app.get('/auth/tiktok-object-state', (req: Request, res: Response, next: NextFunction) => {
    // passport's typings say string; passport-oauth2 (and this strategy) take any JSON value.
    const state: unknown = req.query.big === '1' ? 'x'.repeat(2000) : { plan: 'pro' };
    const options = { state } as passportModule.AuthenticateOptions;
    handler(passport.authenticate('tiktok', options))(req, res, next);
  });
  app.get('/auth/tiktok-other-callback', (req: Request, res: Response, next: NextFunction) => {
    const options = {
      callbackURL: 'https://app.test/elsewhere',
    } as passportModule.AuthenticateOptions;
    handler(passport.authenticate('tiktok', options))(req, res, next);
  });
  app.get('/auth/tiktok/callback', handler(passport.authenticate('tiktok')), ok);
  app.get('/api/tiktok', handler(passport.authenticate('tiktok-token', { session: false })));
  app.get(
    '/api/tiktok/callback',
    handler(passport.authenticate('tiktok-token', { session: false })),
    ok,
  );
  app.get('/connect/tiktok', handler(passport.authorize('tiktok-connect')));
  app.get('/connect/tiktok/callback', handler(passport.authorize('tiktok-connect')), ok);
  app.get('/custom/tiktok', handler(passport.authenticate('tiktok-custom')));
  app.get('/custom/tiktok/callback', (req: Request, res: Response, next: NextFunction) => {
    const custom: unknown = passport.authenticate(
      'tiktok-custom',
      (err: unknown, user: Express.User | false) => {
        if (err || !user) {
          next(err ?? new Error('no user'));
          return;
        }
        if (customCallbackThrows) throw new Error('app bug in the custom callback');
        // The app's own rule: here, an account it does not let in.
        res.json({ refused: true });
      },
    );
    handler(custom)(req, res, next);
  });
  app.get('/leaky/tiktok', handler(passport.authenticate('tiktok-leaky')));
  app.get('/leaky/tiktok/callback', (req: Request, res: Response, next: NextFunction) => {
    const custom: unknown = passport.authenticate(
      'tiktok-leaky',
      (_err: unknown, user: unknown) => {
        // An app bug whose message quotes the user, tokens included.
        throw new Error(`cannot store ${JSON.stringify(user)}`);
      },
    );
    handler(custom)(req, res, next);
  });
  app.get('/me', (req, res) => {
    const stamp: unknown = Reflect.get(req.session, 'tiktokLogin');
    res.json({
      user: req.user ?? null,
      stamp: stamp ?? null,
      revoked: req.tiktokSessionRevoked ?? null,
    });
  });
  app.use(tiktokErrorHandler());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Start → TikTok consent as `openId` → the app path TikTok sends the browser back to. */
async function approvedCallback(
  tt: TikTokEmulator,
  agent: Agent,
  start: string,
  openId: string,
): Promise<string> {
  const res = await agent.get(start);
  assert.equal(res.status, 302, res.text);
  tt.setConsent({ decision: 'approve', openId });
  try {
    return await consent(new URL(String(res.headers.location)));
  } finally {
    tt.setConsent();
  }
}

describe('TikTokStrategy', () => {
  describe("passport's session: false, assignProperty and custom callbacks (no login session)", () => {
    let tt: TikTokEmulator;
    let server: Server;
    let removals: MemoryRemovalList;
    before(async () => {
      tt = await startTikTokEmulator({
        autoApprove: true,
        clock: realNow,
        users: [{}, {}],
        redirectUris: [
          CALLBACK_URL,
          TOKEN_CALLBACK_URL,
          CONNECT_CALLBACK_URL,
          CUSTOM_CALLBACK_URL,
          LEAKY_CALLBACK_URL,
        ],
      });
    });
    beforeEach(async () => {
      tt.reset();
      removals = new MemoryRemovalList();
      server = await startApp(tt, removals);
    });
    afterEach(() => {
      server.closeAllConnections();
      server.close();
    });
    after(() => tt.close());

    it('session: false stamps no login and binds no other tab to the account', async () => {
      const agent = request.agent(server);
      // Another tab starts a normal login; this one uses the token-only API as FIRST.
      const otherTab = await approvedCallback(tt, agent, '/auth/tiktok', SECOND);
      const api = await agent.get(await approvedCallback(tt, agent, '/api/tiktok', FIRST));
      assert.equal(api.status, 200, api.text);
      assert.equal(field(api.body, 'user', 'id'), FIRST);
      const me = await agent.get('/me');
      assert.equal(field(me.body, 'user'), null);
      assert.equal(field(me.body, 'stamp'), null, 'nobody logged in to this session');
      // Nobody signed in, so the other tab may complete as any account.
      const other = await agent.get(otherTab).set('Accept', 'application/json');
      assert.equal(other.status, 200, other.text);
      assert.equal(field(other.body, 'user', 'id'), SECOND);
    });

    it("session: false keeps a login-only session's short cookie lifetime (nobody is logged in to it)", async () => {
      const agent = request.agent(server);
      const res = await agent.get(await approvedCallback(tt, agent, '/api/tiktok', FIRST));
      assert.equal(res.status, 200, res.text);
      const cookie = [res.headers['set-cookie'] ?? []].flat().join('\n');
      const expires = /Expires=([^;]+)/.exec(cookie)?.[1];
      assert.ok(expires !== undefined, `a cookie with an expiry: ${cookie}`);
      const hours = (Date.parse(expires) - Date.now()) / 3_600_000;
      // stateTtlMs (10 min) plus the 15 h clock-skew margin: not the app's browser-session cookie.
      assert.ok(hours > 14 && hours < 16, `expires in ${hours.toFixed(2)} h`);
    });

    it("passport.authorize() (assignProperty) leaves the session's login stamp to its user", async () => {
      const agent = request.agent(server);
      const first = await agent.get(await approvedCallback(tt, agent, '/auth/tiktok', FIRST));
      assert.equal(field(first.body, 'user', 'id'), FIRST);
      // The logged-in user connects a second TikTok account.
      const connect = await agent.get(await approvedCallback(tt, agent, '/connect/tiktok', SECOND));
      assert.equal(connect.status, 200, connect.text);
      assert.equal(field(connect.body, 'account', 'id'), SECOND);
      assert.equal(field(connect.body, 'user', 'id'), FIRST);
      assert.equal(field((await agent.get('/me')).body, 'stamp', 'openId'), FIRST);
      // TikTok removes the logged-in account's authorization: its session ends.
      await removals.record(FIRST, Date.now() + 1);
      const me = await agent.get('/me');
      assert.equal(field(me.body, 'revoked', 'openId'), FIRST);
      assert.equal(field(me.body, 'user'), null);
    });

    it('a custom callback that does not log the user in stamps nothing', async () => {
      const agent = request.agent(server);
      const res = await agent.get(await approvedCallback(tt, agent, '/custom/tiktok', FIRST));
      assert.deepEqual(res.body, { refused: true });
      assert.equal(field((await agent.get('/me')).body, 'stamp'), null);
    });

    it('a custom callback that throws: the request goes to the error handlers (500), not left unanswered', async () => {
      const agent = request.agent(server);
      const callback = await approvedCallback(tt, agent, '/custom/tiktok', FIRST);
      customCallbackThrows = true;
      try {
        const res = await agent.get(callback).timeout(5000);
        assert.equal(res.status, 500);
      } finally {
        customCallbackThrows = false;
      }
    });

    it("passport-oauth2's state option comes back as req.authInfo.state, never sent to TikTok", async () => {
      for (const [start, expected] of [
        ['/auth/tiktok-with-state', '{"plan":"pro"}'],
        ['/auth/tiktok-object-state', { plan: 'pro' }],
      ] as const) {
        const agent = request.agent(server);
        const callback = await approvedCallback(tt, agent, start, FIRST);
        assert.ok(!callback.includes('plan'), 'not in the URL TikTok got back');
        const res = await agent.get(callback).expect(200);
        assert.deepEqual(field(res.body, 'authInfo', 'state'), expected);
      }
      const authorize = tt.requests.filter((r) => r.endpoint === 'authorize');
      assert.ok(authorize.every((r) => !JSON.stringify(r.query).includes('plan')));
    });

    it('a state the session cannot hold, or a per-request callbackURL, fails the start with CONFIGURATION_ERROR', async () => {
      for (const start of ['/auth/tiktok-object-state?big=1', '/auth/tiktok-other-callback']) {
        const res = await request(server).get(start).set('Accept', 'application/json');
        assert.equal(res.status, 500, start);
        assert.equal(field(res.body, 'error', 'code'), 'CONFIGURATION_ERROR');
      }
      assert.equal(tt.requests.length, 0, 'nobody sent to TikTok');
    });

    it("the login's tokens are scrubbed from an app error logged after the outcome", async () => {
      leakyLogger.lines.length = 0;
      const agent = request.agent(server);
      const callback = await approvedCallback(tt, agent, '/leaky/tiktok', FIRST);
      const res = await agent.get(callback);
      assert.equal(res.status, 500);
      const lines = leakyLogger.events('exception after the outcome');
      assert.equal(lines.length, 1);
      const logged = JSON.stringify(lines[0]?.meta);
      assert.match(logged, /cannot store/);
      const grant = tt.requests.find((r) => r.endpoint === 'userinfo');
      const accessToken = String(grant?.headers.authorization).replace(/^Bearer /, '');
      assert.ok(accessToken.startsWith('act.'), accessToken);
      assert.ok(!logged.includes(accessToken), logged);
    });

    it('a normal login still stamps the session and binds the other tabs (regression)', async () => {
      const agent = request.agent(server);
      const otherTab = await approvedCallback(tt, agent, '/auth/tiktok', SECOND);
      const res = await agent.get(await approvedCallback(tt, agent, '/auth/tiktok', FIRST));
      assert.equal(field(res.body, 'user', 'id'), FIRST);
      assert.equal(field((await agent.get('/me')).body, 'stamp', 'openId'), FIRST);
      // Carried across FIRST's login, the other tab may not complete as SECOND.
      assert.equal((await agent.get(otherTab)).status, 400);
      assert.equal(field((await agent.get('/me')).body, 'user', 'id'), FIRST);
    });
  });
});
