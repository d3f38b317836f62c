import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import { createBenchApp } from '../../bench/app/factory';
import { benchVerify, type StrategyConfig, type StrategyPlugin } from '../../bench/app/plugin';
import { PLUGINS } from '../../bench/app/plugins';
import { ContractSessionStore } from '../../bench/app/plugins/contract-store';
import {
  FloorContractFullStrategy,
  type FullProfile,
  type FullVerify,
} from '../../bench/app/plugins/floor';
import { FloorContractCompleteStrategy } from '../../bench/app/plugins/floor-complete';
import { BENCH_SCOPES } from '../../bench/fields';
import { COMPETITORS, type CompetitorId } from '../../bench/types';
import { registerAppCallback, startUpstream, upstreamOf } from '../../bench/upstream';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';

// The app is driven through supertest; the emulator redirects the "browser" to this URL, whose
// path and query are then requested from the app.
const APP_BASE = 'http://127.0.0.1:1';

type Agent = ReturnType<typeof request.agent>;
type DoneLike = (err: unknown, user?: unknown, info?: object) => void;

/** The bench configuration of a strategy against `tt`. */
function configFor(tt: TikTokEmulator): StrategyConfig {
  return {
    upstream: upstreamOf(tt),
    callbackURL: `${APP_BASE}/auth/tiktok/callback`,
    scopes: BENCH_SCOPES,
    attemptTimeoutMs: 2000,
    deadlineMs: 5000,
  };
}

function appFor(tt: TikTokEmulator, id: CompetitorId, plugin = PLUGINS[id]): Agent {
  return request.agent(createBenchApp(plugin, configFor(tt)));
}

/** Starts a login; returns the callback path the emulator sends the browser back to. */
async function startLogin(
  agent: Agent,
  path = '/auth/tiktok',
): Promise<{ callback: string; setCookie: string }> {
  const start = await agent.get(path).expect(302);
  const authorize = await fetch(String(start.headers.location), { redirect: 'manual' });
  const back = new URL(authorize.headers.get('location') ?? '');
  const cookies: unknown = start.headers['set-cookie'];
  return {
    callback: `${back.pathname}${back.search}`,
    setCookie: Array.isArray(cookies) ? cookies.join('; ') : '',
  };
}

async function completes(agent: Agent, callback: string): Promise<void> {
  await agent.get(callback).expect(302).expect('Location', '/');
  const end = await agent.get('/session/end').expect(200);
  assert.equal(typeof Reflect.get(Object(end.body), 'id'), 'string');
}

/**
 * An emulator of its own for the calling `describe`, which records every request to TikTok (the
 * shared one keeps none): started in `before`, reset after each test, closed in `after`.
 */
function useRecordingEmulator(): () => TikTokEmulator {
  let rec: TikTokEmulator | undefined;
  before(async () => {
    rec = await startTikTokEmulator({
      autoApprove: true,
      requirePkce: false,
      rateLimit: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 },
    });
    registerAppCallback(rec, APP_BASE);
  });
  afterEach(() => {
    rec?.reset();
  });
  after(() => rec?.close());
  return () => {
    assert.ok(rec !== undefined, 'used outside its describe');
    return rec;
  };
}

describe('bench: app/plugins', () => {
  it("every competitor and variant is a row of bench/README.md's Competitors tables", () => {
    const readme = readFileSync(join(__dirname, '../../bench/README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Competitors'));
    const rows = new Set<string>();
    // A table is a header, a delimiter row and the rows right after it (a blank line ends it).
    for (const table of section.matchAll(/^\|.*\|\n\| *-+ *\|.*\n((?:\|.*\n)*)/gm)) {
      for (const id of (table[1] ?? '').matchAll(/^\| `([\w-]+)` +\|/gm)) rows.add(id[1] ?? '');
    }
    assert.deepEqual(
      COMPETITORS.filter((id) => !rows.has(id)),
      [],
    );
  });

  let tt: TikTokEmulator;
  before(async () => {
    tt = await startUpstream(undefined);
    registerAppCallback(tt, APP_BASE);
  });
  after(() => tt.close());

  // passport-tiktok-auth as published cannot log in (bench/README.md): the probe reports it.
  for (const id of COMPETITORS.filter((c) => c !== 'passport-tiktok-auth')) {
    it(`${id} completes a login in the shared app`, async () => {
      const agent = appFor(tt, id);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
    });
  }

  describe('the contract variants do what they stand for', () => {
    const contract: CompetitorId[] = [
      'passport-oauth2-contract',
      'floor-contract',
      'floor-contract-full',
      'floor-contract-complete',
    ];

    for (const id of [...contract, 'passport-oauth2-expiring'] as const) {
      it(`${id}: a session without a user gets a cookie expiring with the state`, async () => {
        const { setCookie } = await startLogin(appFor(tt, id));
        assert.match(setCookie, /Expires=/);
      });
    }

    it('hand-wired passport-oauth2 keeps a browser-session cookie (the variants differ from it)', async () => {
      const { setCookie } = await startLogin(appFor(tt, 'passport-oauth2'));
      assert.doesNotMatch(setCookie, /Expires=/);
    });

    for (const id of contract) {
      it(`${id}: two logins started in one session (two tabs) both stay valid`, async () => {
        const agent = appFor(tt, id);
        const first = await startLogin(agent);
        await startLogin(agent);
        await completes(agent, first.callback);
      });

      it(`${id}: two concurrent callbacks with one state: one logs in, the other is refused`, async () => {
        const agent = appFor(tt, id);
        const { callback } = await startLogin(agent);
        const answers = await Promise.all([agent.get(callback), agent.get(callback)]);
        const statuses = answers.map((r) => r.status).sort();
        assert.deepEqual(statuses, [302, 403]);
      });
    }
  });

  describe('floor-contract-full adds the documented success-path behaviours', () => {
    const id: CompetitorId = 'floor-contract-full';
    const recorder = useRecordingEmulator();

    /** The plugin of `id`, its verify and `req.authInfo` recorded. */
    function recording(): {
      plugin: StrategyPlugin;
      profiles: FullProfile[];
      infos: unknown[];
    } {
      const profiles: FullProfile[] = [];
      const infos: unknown[] = [];
      const base = PLUGINS[id];
      const plugin: StrategyPlugin = {
        ...base,
        create: (c) =>
          new FloorContractFullStrategy(c, (_accessToken, _refreshToken, profile, done) => {
            profiles.push(profile);
            done(null, { id: profile.id });
          }),
        onLogin: (req) => {
          infos.push(req.authInfo);
          base.onLogin?.(req);
        },
      };
      return { plugin, profiles, infos };
    }

    it(`${id}: verify gets the documented profile (displayName, photos, _raw, _json)`, async () => {
      const { plugin, profiles } = recording();
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
      const [user] = recorder().users;
      assert.ok(user !== undefined);
      assert.equal(profiles.length, 1);
      const profile = profiles[0];
      assert.ok(profile !== undefined);
      assert.deepEqual(
        { ...profile, _raw: undefined, _json: undefined },
        {
          provider: 'tiktok',
          id: user.openId,
          unionId: user.unionId,
          username: user.username,
          displayName: user.displayName,
          profileUrl: user.profileDeepLink,
          photos: [{ value: user.avatarLargeUrl }],
          _raw: undefined,
          _json: undefined,
        },
      );
      assert.equal(profile._json.open_id, user.openId);
      assert.equal(profile._raw, JSON.stringify(profile._json));
    });

    it(`${id}: displayName falls back to the username, the photo to the next avatar`, async () => {
      const other = recorder().addUser({ displayName: '', avatarLargeUrl: '' });
      recorder().setConsent({ decision: 'approve', openId: other.openId });
      const { plugin, profiles } = recording();
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
      assert.equal(profiles[0]?.displayName, other.username);
      assert.deepEqual(profiles[0]?.photos, [{ value: other.avatarUrl100 }]);
    });

    const malformed: [string, string][] = [
      ['a duplicated code', 'code=a'],
      ['a code[] parameter', 'code[]=a'],
      ['a duplicated state', 'state=x'],
      ['error together with code', 'error=access_denied'],
    ];
    for (const [what, extra] of malformed) {
      it(`${id}: a callback with ${what} is refused with 400 and makes no token call`, async () => {
        const agent = appFor(recorder(), id);
        const { callback } = await startLogin(agent);
        await agent.get(`${callback}&${extra}`).expect(400);
        assert.equal(recorder().count('token'), 0);
        // The state was not consumed: the login still completes.
        await completes(agent, callback);
        assert.equal(recorder().count('token'), 1);
      });
    }

    it(`${id}: two tabs: the second login completes after the first (carried across the regenerate)`, async () => {
      const agent = appFor(recorder(), id);
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      await agent.get(first.callback).expect(302).expect('Location', '/');
      await completes(agent, second.callback);
    });

    it(`${id}: the success info carries the incoming X-Correlation-Id, sent to TikTok on both calls`, async () => {
      const { plugin, infos } = recording();
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await agent.get(callback).set('X-Correlation-Id', 'req-42:abc.DEF_x').expect(302);
      assert.deepEqual(infos, [
        { correlationId: 'req-42:abc.DEF_x', grantedScopes: [...BENCH_SCOPES] },
      ]);
      const sent = recorder().requests.map((r) => [r.endpoint, r.headers['x-correlation-id']]);
      assert.deepEqual(
        sent.filter(([endpoint]) => endpoint !== 'authorize'),
        [
          ['token', 'req-42:abc.DEF_x'],
          ['userinfo', 'req-42:abc.DEF_x'],
        ],
      );
    });

    it(`${id}: an unsafe X-Correlation-Id is replaced by a fresh one`, async () => {
      const { plugin, infos } = recording();
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await agent.get(callback).set('X-Correlation-Id', 'has space').expect(302);
      const correlationId: unknown = Reflect.get(Object(infos[0]), 'correlationId');
      assert.match(String(correlationId), /^tiktok-\d+-[0-9a-f]{8}$/);
    });

    it(`${id}: the user-info fields follow the scopes granted, not those requested`, async () => {
      recorder().setConsent({ decision: 'approve', grantedScopes: ['user.info.basic'] });
      const { plugin, infos } = recording();
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
      const userinfo = recorder().requests.find((r) => r.endpoint === 'userinfo');
      assert.equal(
        userinfo?.query.fields,
        'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name',
      );
      assert.deepEqual(Reflect.get(Object(infos[0]), 'grantedScopes'), ['user.info.basic']);
    });

    it(`${id}: error=access_denied with a valid state fails with 403, no token call`, async () => {
      recorder().setConsent({ decision: 'deny' });
      const agent = appFor(recorder(), id);
      const { callback } = await startLogin(agent);
      assert.match(callback, /error=access_denied/);
      await agent.get(callback).expect(403);
      assert.equal(recorder().count('token'), 0);
    });

    it(`${id}: a same-origin ?returnTo= comes back in the success info, others are dropped`, async () => {
      const { plugin, infos } = recording();
      for (const returnTo of ['/settings?tab=1', '//evil.example', '/\\evil.example']) {
        const agent = appFor(recorder(), id, plugin);
        const start = `/auth/tiktok?returnTo=${encodeURIComponent(returnTo)}`;
        await completes(agent, (await startLogin(agent, start)).callback);
      }
      assert.equal(Reflect.get(Object(infos[0]), 'returnTo'), '/settings?tab=1');
      assert.equal(infos.length, 3);
      assert.equal(Reflect.get(Object(infos[1]), 'returnTo'), undefined);
      assert.equal(Reflect.get(Object(infos[2]), 'returnTo'), undefined);
    });

    it(`${id}: the session is saved before the redirect (a save error is the login's error)`, async () => {
      const plugin: StrategyPlugin = {
        ...PLUGINS[id],
        create: (c) =>
          new (class extends FloorContractFullStrategy {
            override authenticate(req: Request): void {
              const session = req.session;
              // The first save fails (the strategy's own, before any redirect); later ones work.
              session.save = (cb) => {
                Reflect.deleteProperty(session, 'save');
                cb?.(new Error('store down'));
                return session;
              };
              super.authenticate(req);
            }
          })(c, benchVerify),
      };
      await appFor(recorder(), id, plugin).get('/auth/tiktok').expect(500);
    });
  });

  describe('floor-contract-complete adds the rest of the documented behaviour of every login', () => {
    const id: CompetitorId = 'floor-contract-complete';
    const recorder = useRecordingEmulator();

    it(`${id}: a 503 from the token endpoint is retried, and the login completes`, async () => {
      recorder().inject('token', { status: 503, body: 'busy', times: 1 });
      const agent = appFor(recorder(), id);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
      assert.equal(recorder().count('token'), 2);
    });

    it(`${id}: TikTok's own error in a 200 is not retried`, async () => {
      recorder().inject('token', { tiktokError: { error: 'invalid_grant' }, times: 1 });
      const agent = appFor(recorder(), id);
      const { callback } = await startLogin(agent);
      assert.equal((await agent.get(callback)).status, 500);
      assert.equal(recorder().count('token'), 1);
    });

    it(`${id}: TikTok refusing codes (invalid_grant) is TikTok working: the breaker stays closed`, async () => {
      const agent = appFor(recorder(), id);
      recorder().inject('token', { tiktokError: { error: 'invalid_grant' }, times: 6 });
      for (let i = 0; i < 6; i++) {
        const { callback } = await startLogin(agent);
        assert.equal((await agent.get(callback)).status, 500);
      }
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
      assert.equal(recorder().count('token'), 7);
    });

    it(`${id}: a user-info count that is not a number fails the login`, async () => {
      const agent = appFor(recorder(), id);
      const { callback } = await startLogin(agent);
      recorder().inject('userinfo', {
        body: { data: { user: { open_id: 'x', follower_count: 'twelve' } }, error: { code: 'ok' } },
        times: 1,
      });
      assert.equal((await agent.get(callback)).status, 500);
    });

    it(`${id}: both login answers say Cache-Control: no-store`, async () => {
      const agent = appFor(recorder(), id);
      const start = await agent.get('/auth/tiktok').expect(302);
      assert.equal(start.headers['cache-control'], 'no-store');
      const authorize = await fetch(String(start.headers.location), { redirect: 'manual' });
      const back = new URL(authorize.headers.get('location') ?? '');
      const callback = await agent.get(`${back.pathname}${back.search}`).expect(302);
      assert.equal(callback.headers['cache-control'], 'no-store');
    });

    it(`${id}: req.tiktokCorrelationId holds the login's correlation ID, the one sent to TikTok`, async () => {
      const seen: unknown[] = [];
      const plugin: StrategyPlugin = {
        ...PLUGINS[id],
        onLogin: (req) => seen.push(Reflect.get(req, 'tiktokCorrelationId')),
      };
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await agent.get(callback).set('X-Correlation-Id', 'req-7:xyz').expect(302);
      assert.deepEqual(seen, ['req-7:xyz']);
      const sent = recorder()
        .requests.filter((r) => r.endpoint !== 'authorize')
        .map((r) => r.headers['x-correlation-id']);
      assert.deepEqual(sent, ['req-7:xyz', 'req-7:xyz']);
    });

    it(`${id}: a login whose session save fails leaves nobody logged in behind the error`, async () => {
      const agent = appFor(recorder(), id);
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      // Put back after the login, and called with the store as `this`.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const { set } = session.MemoryStore.prototype;
      let failed = 0;
      // The store refuses the first save that holds passport's user (req.login()'s save).
      session.MemoryStore.prototype.set = function (
        this: session.MemoryStore,
        sid: string,
        data: session.SessionData,
        callback?: (err?: unknown) => void,
      ): void {
        const entry: unknown = Reflect.get(data, 'passport');
        const user: unknown =
          typeof entry === 'object' && entry !== null ? Reflect.get(entry, 'user') : undefined;
        if (failed === 0 && user !== undefined) {
          failed += 1;
          callback?.(new Error('store down'));
          return;
        }
        set.call(this, sid, data, callback);
      };
      try {
        assert.equal((await agent.get(first.callback)).status, 500);
      } finally {
        session.MemoryStore.prototype.set = set;
      }
      assert.equal(failed, 1);
      await agent.get('/session/end').expect(401);
      // The other tab's login is still there, unbound: it completes.
      await completes(agent, second.callback);
    });

    it(`${id}: the other tab's login, bound at the first login, completes as that account`, async () => {
      const agent = appFor(recorder(), id);
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      await agent.get(first.callback).expect(302).expect('Location', '/');
      await completes(agent, second.callback);
    });

    it(`${id}: the other tab's login, bound at the first login, is refused as another account`, async () => {
      const agent = appFor(recorder(), id);
      const first = await startLogin(agent);
      const second = await startLogin(agent);
      await agent.get(first.callback).expect(302).expect('Location', '/');
      const other = recorder().addUser({});
      recorder().setConsent({ decision: 'approve', openId: other.openId });
      // The second tab's consent was given before: its code is for the first account. A new
      // code for the other account in that tab's state stands for the swap.
      const state = new URL(second.callback, APP_BASE).searchParams.get('state') ?? '';
      const again = await fetch(
        `${recorder().endpoints.authorizationURL}?client_key=${recorder().clientKey}&scope=${BENCH_SCOPES.join(',')}&response_type=code&redirect_uri=${encodeURIComponent(`${APP_BASE}/auth/tiktok/callback`)}&state=${state}`,
        { redirect: 'manual' },
      );
      const back = new URL(again.headers.get('location') ?? '');
      await agent.get(`${back.pathname}${back.search}`).expect(400);
    });

    /**
     * The strategy of `id` on both login routes for every method (the bench app routes GETs
     * only), with a session; the callback answers 200 once logged in.
     */
    function anyMethodAgent(): Agent {
      const passport = new Passport();
      passport.use('tiktok', PLUGINS[id].create(configFor(recorder())));
      passport.serializeUser((user, done) => {
        done(null, user);
      });
      const app = express();
      app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
      app.use(passport.initialize());
      app.all(
        ['/auth/tiktok', '/auth/tiktok/callback'],
        passport.authenticate('tiktok') as RequestHandler,
        (_req, res) => {
          res.send('logged in');
        },
      );
      return request.agent(app);
    }

    it(`${id}: a callback that is not a GET is 405 (Allow: GET), spends nothing, and the state stays`, async () => {
      const agent = anyMethodAgent();
      const { callback } = await startLogin(agent);
      await agent.post(callback).expect(405).expect('Allow', 'GET');
      assert.equal(recorder().count('token'), 0);
      await agent.get(callback).expect(200, 'logged in');
      assert.equal(recorder().count('token'), 1);
    });

    it(`${id}: a start that is neither GET nor POST is 405 (Allow: GET, POST)`, async () => {
      await anyMethodAgent().put('/auth/tiktok').expect(405).expect('Allow', 'GET, POST');
    });

    it(`${id}: callback parameters off the callback path are refused with 400, no token call`, async () => {
      const agent = appFor(recorder(), id);
      const { callback } = await startLogin(agent);
      const query = callback.slice(callback.indexOf('?'));
      await agent.get(`/auth/tiktok${query}`).expect(400);
      await agent.get('/auth/tiktok?errCode=1').expect(400);
      assert.equal(recorder().count('token'), 0);
      await completes(agent, callback);
    });

    it(`${id}: a login-only session's cookie lives the state's 10 minutes plus 15 hours; a logged-in one keeps its own`, async () => {
      const agent = appFor(recorder(), id);
      const { callback, setCookie } = await startLogin(agent);
      const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)?.[1] ?? '');
      const ahead = expires - Date.now();
      assert.ok(Math.abs(ahead - (15 * 60 + 10) * 60_000) < 60_000, `${ahead} ms ahead`);
      await agent.get(callback).expect(302);
      const again = await agent.get('/auth/tiktok').expect(302);
      const cookies: unknown = again.headers['set-cookie'];
      assert.doesNotMatch(Array.isArray(cookies) ? cookies.join('; ') : '', /Expires=/);
    });

    /** Runs `body`, collecting the process warnings emitted meanwhile (and a tick after). */
    async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
      const seen: string[] = [];
      const listener = (warning: Error): void => {
        seen.push(warning.message);
      };
      process.on('warning', listener);
      try {
        await body();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', listener);
      }
      return seen;
    }

    it(`${id}: a login started in a session whose user passport did not restore is warned about, once`, async () => {
      // anyMethodAgent() mounts no passport.session(): the logged-in session's user is not restored.
      const agent = anyMethodAgent();
      const { callback } = await startLogin(agent);
      await agent.get(callback).expect(200);
      const seen = await warningsDuring(async () => {
        await agent.get('/auth/tiktok').expect(302);
        await agent.get('/auth/tiktok').expect(302);
      });
      assert.deepEqual(seen, ['the session has a user that passport did not restore']);
    });

    it(`${id}: a login started on another host than the callback's is warned about`, async () => {
      const seen = await warningsDuring(async () => {
        await appFor(recorder(), id).get('/auth/tiktok').set('Host', 'localhost').expect(302);
      });
      assert.deepEqual(seen, ['the session cookie will not come back from TikTok']);
    });

    it(`${id}: a login request without a session is refused before anything is stored`, async () => {
      const passport = new Passport();
      passport.use('tiktok', PLUGINS[id].create(configFor(recorder())));
      const app = express();
      app.get('/auth/tiktok', passport.authenticate('tiktok') as RequestHandler);
      app.use(((err: unknown, _req, res, _next) => {
        res.status(500).send(err instanceof Error ? err.message : 'not an Error');
      }) as ErrorRequestHandler);
      // Refused as such, not a TypeError from reading a session that is not there.
      await request(app).get('/auth/tiktok').expect(500, 'login needs a session');
      assert.equal(recorder().count('authorize'), 0);
    });

    /** The plugin of `id` with its own verify. */
    function withVerify(verify: FullVerify): StrategyPlugin {
      return { ...PLUGINS[id], create: (c) => new FloorContractCompleteStrategy(c, verify) };
    }

    it(`${id}: a verify of five parameters gets the token answer, and its info reaches req.authInfo`, async () => {
      const infos: unknown[] = [];
      const params: unknown[] = [];
      // passport-oauth2's five-parameter shape: `params` (the token answer) before the profile.
      const five = (
        _accessToken: string,
        _refreshToken: string,
        tokens: unknown,
        profile: FullProfile,
        done: DoneLike,
      ): void => {
        params.push(tokens);
        done(null, { id: profile.id }, { via: 'five' });
      };
      const plugin: StrategyPlugin = {
        ...withVerify(five as unknown as FullVerify),
        onLogin: (req) => infos.push(req.authInfo),
      };
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await agent.get(callback).expect(302);
      assert.equal(Reflect.get(Object(infos[0]), 'via'), 'five');
      assert.equal(typeof Reflect.get(Object(params[0]), 'access_token'), 'string');
    });

    it(`${id}: an async verify that declares done and resolves undefined logs in when done is called`, async () => {
      const agent = appFor(
        recorder(),
        id,
        withVerify(async (_accessToken, _refreshToken, profile, done) => {
          await Promise.resolve();
          setTimeout(() => {
            done(null, { id: profile.id });
          }, 10);
        }),
      );
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
    });

    it(`${id}: a verify whose promise rejects, even with no reason, errors the login`, async () => {
      const agent = appFor(
        recorder(),
        id,
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test
        withVerify(() => Promise.reject(undefined)),
      );
      const { callback } = await startLogin(agent);
      await agent.get(callback).expect(500);
    });

    it(`${id}: an async verify's user logs in`, async () => {
      const plugin: StrategyPlugin = {
        ...PLUGINS[id],
        create: (c) =>
          new FloorContractCompleteStrategy(c, async (_accessToken, _refreshToken, profile) => {
            await Promise.resolve();
            return { id: profile.id };
          }),
      };
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      await completes(agent, callback);
    });

    it(`${id}: a __proto__ key in TikTok's user info does not reach the profile`, async () => {
      const profiles: FullProfile[] = [];
      const plugin: StrategyPlugin = {
        ...PLUGINS[id],
        create: (c) =>
          new FloorContractCompleteStrategy(c, (_accessToken, _refreshToken, profile, done) => {
            profiles.push(profile);
            done(null, { id: profile.id });
          }),
      };
      const agent = appFor(recorder(), id, plugin);
      const { callback } = await startLogin(agent);
      const openId = recorder().users[0]?.openId ?? '';
      recorder().inject('userinfo', {
        body: `{"data":{"user":{"open_id":${JSON.stringify(openId)},"__proto__":{"polluted":true}}},"error":{"code":"ok"}}`,
        headers: { 'content-type': 'application/json' },
        times: 1,
      });
      await completes(agent, callback);
      const json = profiles[0]?._json;
      assert.ok(json !== undefined);
      assert.equal(json.open_id, openId);
      assert.equal(Object.hasOwn(json, '__proto__'), false);
      assert.equal(Reflect.get(json, 'polluted'), undefined);
    });
  });

  describe("floor-contract-complete's store", () => {
    /** A request with a session whose saves succeed. */
    function requestWithSession(): Request {
      const session = { cookie: {}, save: (cb: (err?: unknown) => void) => cb() };
      return Object.assign(Object.create(null) as object, { session }) as unknown as Request;
    }

    function stored(store: ContractSessionStore, req: Request): Promise<string> {
      return new Promise((resolve, reject) => {
        store.store(req, { verifier: 'v'.repeat(64) }, undefined, (err, handle) => {
          if (err !== null || handle === undefined) reject(err ?? new Error('no handle'));
          else resolve(handle);
        });
      });
    }

    function verified(store: ContractSessionStore, req: Request, handle: string): Promise<unknown> {
      return new Promise((resolve) => {
        store.verify(req, handle, (_err, ok) => resolve(ok));
      });
    }

    it("consumes only the pending logins of its own callback path (another strategy's are refused)", async () => {
      const req = requestWithSession();
      const handle = await stored(new ContractSessionStore('k', { path: '/a' }), req);
      assert.equal(
        await verified(new ContractSessionStore('k', { path: '/b' }), req, handle),
        false,
      );
      assert.equal(
        await verified(new ContractSessionStore('k', { path: '/a' }), req, handle),
        'v'.repeat(64),
      );
    });

    it("prunes and caps only its own path's entries (another strategy's stay)", async () => {
      const req = requestWithSession();
      await stored(new ContractSessionStore('k', { path: '/a' }), req);
      const [first] = Reflect.get(Object(req.session), 'k') as { createdAt: number }[];
      assert.ok(first !== undefined);
      // Older than the pending logins' 10 minutes: only the store of /a may drop it.
      first.createdAt -= 11 * 60_000;
      const b = new ContractSessionStore('k', { path: '/b' });
      for (let i = 0; i < 6; i++) await stored(b, req);
      const entries = Reflect.get(Object(req.session), 'k') as { path: string }[];
      assert.deepEqual(
        entries.map((p) => p.path),
        ['/a', '/b', '/b', '/b', '/b', '/b'],
      );
    });

    it('claims through a promise, under the SHA-256 of the state, once', async () => {
      const store = new ContractSessionStore('k', { storeClaims: true });
      const req = requestWithSession();
      const handle = await stored(store, req);
      const copy = structuredClone(Reflect.get(Object(req.session), 'k') as unknown);
      assert.equal(await verified(store, req, handle), 'v'.repeat(64));
      const claims: unknown = Reflect.get(store, 'claims');
      assert.ok(claims instanceof Map);
      assert.deepEqual([...claims.keys()], [hash('sha256', handle, 'hex')]);
      // The same state from a copy of the session taken before (a concurrent callback): refused.
      Reflect.set(Object(req.session), 'k', copy);
      assert.equal(await verified(store, req, handle), false);
    });
  });
});
