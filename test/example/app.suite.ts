import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useExampleApp } from '../support/example-app';
import { field } from '../support/json';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

// Planted secrets: the emulator's client secret and the session secret.
const CLIENT_SECRET = 'canary-client-secret-7c1d0e';
const SESSION_SECRET = 'canary-session-secret-4f2a9b';
const OPEN_ID = 'emulator-open-id-1';
const TIKTOK_METRICS = [
  'tiktok_oauth_requests_total',
  'tiktok_oauth_request_duration_seconds',
  'tiktok_oauth_retries_total',
  'tiktok_oauth_timeouts_total',
  'tiktok_oauth_token_refresh_total',
];

export function describeExampleApp(mode: 'memory' | 'redis'): void {
  describe('example app: createApp', () => {
    describe(`with ${mode} sessions`, function () {
      let redis: TestRedis | undefined;
      const prefix = uniquePrefix();
      if (mode === 'redis') {
        before(async function () {
          redis = await connectTestRedis(this);
        });
        after(async () => {
          if (redis?.isOpen !== true) return;
          await deleteKeys(redis, prefix);
          assert.deepEqual(await redis.keys(`${prefix}*`), []);
          redis.destroy();
        });
      }
      const fx = useExampleApp({
        emulator: { clientSecret: CLIENT_SECRET },
        app: () => ({
          sessionSecret: SESSION_SECRET,
          ...(redis === undefined
            ? {}
            : { redis, redisPrefix: prefix, tokenEncryptionKey: randomBytes(32) }),
        }),
      });

      it('home page: a "Log in with TikTok" button to /auth/tiktok, no session yet', async () => {
        const res = fx.keep(await fx.browser().get('/'));
        assert.equal(res.status, 200);
        assert.match(
          res.text,
          /<a class="button" id="login" href="\/auth\/tiktok">Log in with TikTok<\/a>/,
        );
        assert.equal(res.headers['set-cookie'], undefined, 'no session before a login starts');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      });

      it('logs in through the emulator and lands on /profile with an HttpOnly SameSite=Lax cookie', async () => {
        const agent = fx.browser();
        const res = await fx.login(agent);
        assert.equal(res.status, 302);
        assert.equal(res.headers.location, '/profile');
        assert.equal(fx.tt.count('token', { grantType: 'authorization_code' }), 1);
        const start = fx.keep(await fx.browser().get('/auth/tiktok'));
        assert.match(
          String(start.headers['set-cookie']),
          /example\.sid=.*; HttpOnly; SameSite=Lax$/,
        );
        if (redis !== undefined) {
          assert.equal((await redis.keys(`${prefix}sess:*`)).length >= 1, true);
          assert.equal(await redis.exists(`${prefix}tokens:${OPEN_ID}`), 1);
        }
      });

      it('profile: display name, open_id, granted scopes, access-token expiry — never a token', async () => {
        const agent = fx.browser();
        await fx.login(agent);
        const tokens = await fx.example.tokenManager.get(OPEN_ID);
        assert.ok(tokens !== undefined);
        fx.secrets.push(tokens.access_token, tokens.refresh_token ?? 'no refresh token');
        const res = fx.keep(await agent.get('/profile'));
        assert.equal(res.status, 200);
        assert.match(res.text, /<dd id="display-name">Emulator User<\/dd>/);
        assert.match(res.text, /<code id="open-id">emulator-open-id-1<\/code>/);
        assert.match(res.text, /<li>user\.info\.basic<\/li>/);
        assert.ok(res.text.includes(`datetime="${new Date(tokens.expires_at).toISOString()}"`));
        assert.match(res.text, /\(<span id="token-expiry-relative">in 24 hours<\/span>\)/);
        assert.equal(res.headers['cache-control'], 'no-store');
      });

      it('logout: POST /logout → 303 home with a confirmation, and /profile explains and offers the login', async () => {
        const agent = fx.browser();
        await fx.login(agent);
        assert.equal((await agent.get('/profile')).status, 200);
        const out = fx.keep(await agent.post('/logout'));
        assert.equal(out.status, 303);
        assert.equal(out.headers.location, '/?done=logged-out');
        const home = fx.keep(await agent.get('/?done=logged-out')).text;
        assert.match(
          home,
          /<p class="notice" id="confirmation" role="status">You are logged out\.<\/p>/,
        );
        assert.match(home, /id="login"/);
        const profile = fx.keep(await agent.get('/profile'));
        assert.equal(profile.status, 401);
        assert.match(profile.text, /<h1 id="headline">You are not logged in<\/h1>/);
        assert.match(profile.text, /href="\/auth\/tiktok\?returnTo=\/profile"/);
        assert.equal(fx.tt.count('revoke'), 0, 'logout alone keeps the TikTok grant');
      });

      it('disconnect: revokes at TikTok once, deletes the tokens, logs out', async () => {
        const agent = fx.browser();
        await fx.login(agent);
        const res = fx.keep(await agent.post('/disconnect'));
        assert.equal(res.status, 303);
        assert.equal(res.headers.location, '/?done=disconnected');
        assert.equal(fx.tt.count('revoke'), 1);
        assert.equal(await fx.example.tokenManager.get(OPEN_ID), undefined);
        assert.equal((await agent.get('/profile')).status, 401);
        assert.match(
          fx.keep(await agent.get('/?done=disconnected')).text,
          /id="confirmation" role="status">TikTok is disconnected: this app&#39;s access was revoked at TikTok/,
        );
      });

      it('home: an unknown ?done= shows no confirmation (nothing reflected)', async () => {
        const res = fx.keep(await fx.browser().get('/?done=%3Cscript%3E'));
        assert.equal(res.status, 200);
        assert.doesNotMatch(res.text, /id="confirmation"|<script>/);
      });

      it('an expired login link while logged in says you are still logged in and links home', async () => {
        const agent = fx.browser();
        await fx.login(agent);
        const res = fx.keep(
          await agent.get('/login-failed?error=INVALID_STATE&correlationId=tiktok-1-0123abcd'),
        );
        assert.equal(res.status, 200);
        assert.match(
          res.text,
          /<h1 id="headline">This login link has expired — you are still logged in<\/h1>/,
        );
        assert.match(res.text, /<strong id="display-name">Emulator User<\/strong>/);
        assert.match(res.text, /<a class="button" id="home" href="\/">/);
        const loggedOut = fx.keep(
          await fx
            .browser()
            .get('/login-failed?error=INVALID_STATE&correlationId=tiktok-1-0123abcd'),
        );
        assert.match(loggedOut.text, /<h1 id="headline">Your login expired<\/h1>/);
      });

      it('serves a favicon that every page links to', async () => {
        const icon = await fx.browser().get('/favicon.ico');
        assert.equal(icon.status, 200);
        assert.equal(icon.headers['content-type'], 'image/svg+xml; charset=utf-8');
        const svg: unknown = icon.body;
        assert.ok(Buffer.isBuffer(svg));
        assert.match(svg.toString('utf8'), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.match(
          fx.keep(await fx.browser().get('/')).text,
          /<link rel="icon" href="\/favicon\.svg" type="image\/svg\+xml" \/>/,
        );
      });

      it('POST /logout and /disconnect from another origin are refused, same-site ones too', async () => {
        const agent = fx.browser();
        await fx.login(agent);
        const refused: [string, Record<string, string>][] = [
          ['/logout', { 'Sec-Fetch-Site': 'cross-site' }],
          ['/logout', { 'Sec-Fetch-Site': 'same-site', Origin: 'https://other.app.test' }],
          ['/disconnect', { 'Sec-Fetch-Site': 'same-site' }],
          ['/disconnect', { Origin: 'https://evil.example' }],
        ];
        for (const [path, headers] of refused) {
          const res = await agent.post(path).set(headers);
          assert.equal(res.status, 403, `${path} ${JSON.stringify(headers)}`);
        }
        assert.equal((await agent.get('/profile')).status, 200, 'still logged in');
        // A GET (a typed URL, a link) logs nobody out: 405, told to POST.
        for (const path of ['/logout', '/disconnect']) {
          const get = await agent.get(path);
          assert.equal(get.status, 405, path);
          assert.equal(get.headers.allow, 'POST');
        }
        assert.equal((await agent.get('/profile')).status, 200, 'still logged in after the GETs');
        // From the app's own pages: the browser says same-origin.
        const own = await agent.post('/logout').set('Sec-Fetch-Site', 'same-origin');
        assert.equal(own.status, 303);
        assert.equal((await agent.get('/profile')).status, 401);
      });

      it('cancelled on TikTok → /login-failed with the reason and the correlation ID', async () => {
        fx.tt.setConsent({ decision: 'deny' });
        const agent = fx.browser();
        const callback = await fx.login(agent);
        assert.equal(callback.status, 302);
        const location = new URL(String(callback.headers.location), 'http://app.test');
        assert.equal(location.pathname, '/login-failed');
        assert.equal(location.searchParams.get('error'), 'ACCESS_DENIED');
        const correlationId = location.searchParams.get('correlationId') ?? '';
        assert.match(correlationId, /^tiktok-\d+-[0-9a-f]{8}$/);
        assert.equal(callback.headers['x-correlation-id'], correlationId);
        const page = fx.keep(await agent.get(location.pathname + location.search));
        assert.equal(page.status, 200);
        assert.match(page.text, /<h1 id="headline">You cancelled the TikTok login<\/h1>/);
        assert.ok(page.text.includes(`<code id="correlation-id">${correlationId}</code>`));
        assert.equal(fx.tt.count('token'), 0);
        const line = fx.logger.lines.find(
          (l) =>
            field(l.meta, 'path') === '/auth/tiktok/callback' &&
            field(l.meta, 'correlationId') === correlationId,
        );
        assert.ok(line !== undefined, 'the callback request line carries the same correlation ID');
      });

      it('a replayed callback while logged in → "you are still logged in"', async () => {
        const agent = fx.browser();
        const callback = await fx.consent(agent);
        assert.equal(fx.keep(await agent.get(callback)).headers.location, '/profile');
        const again = fx.keep(await agent.get(callback));
        assert.match(
          String(again.headers.location),
          /^\/login-failed\?error=INVALID_STATE&correlationId=/,
        );
        const page = fx.keep(await agent.get(String(again.headers.location)));
        assert.match(page.text, /This login link has expired — you are still logged in/);
        assert.equal(fx.tt.count('token'), 1, 'no second token call');
      });

      it('TikTok down (503 on all 4 login attempts) → "TikTok is unavailable right now"', async () => {
        fx.tt.inject('token', { status: 503, times: 4 });
        const agent = fx.browser();
        const callback = await fx.login(agent);
        assert.match(String(callback.headers.location), /^\/login-failed\?error=API_ERROR&/);
        const page = fx.keep(await agent.get(String(callback.headers.location)));
        assert.match(page.text, /TikTok is unavailable right now/);
        assert.equal(fx.tt.count('token'), 4);
      });

      it('/healthz is ok', async () => {
        const res = fx.keep(await fx.browser().get('/healthz'));
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {
          status: 'ok',
          sessions: mode,
          redis: mode === 'redis' ? 'ok' : 'not used',
          tiktokLogin: 'enabled',
        });
      });

      it('/metrics exposes the tiktok_oauth_* instruments and process metrics after a login', async () => {
        await fx.login(fx.browser());
        const res = fx.keep(await fx.browser().get('/metrics'));
        assert.equal(res.status, 200);
        assert.match(String(res.headers['content-type']), /^text\/plain/);
        for (const name of TIKTOK_METRICS) assert.ok(res.text.includes(`# TYPE ${name} `), name);
        assert.match(
          res.text,
          /^tiktok_oauth_requests_total\{operation="token_exchange",outcome="success"\} [1-9]/m,
        );
        assert.match(res.text, /^process_cpu_user_seconds_total /m);
      });

      it('logs one structured line per request: method, path without query, status, duration, correlation ID', () => {
        const requests = fx.logger.lines.filter((l) => l.message === 'request');
        const callback = requests.find((l) => field(l.meta, 'path') === '/auth/tiktok/callback');
        assert.ok(callback !== undefined);
        assert.deepEqual(Object.keys(callback.meta ?? {}).sort(), [
          'correlationId',
          'durationMs',
          'method',
          'path',
          'status',
        ]);
        assert.equal(field(callback.meta, 'method'), 'GET');
        assert.equal(typeof field(callback.meta, 'durationMs'), 'number');
        assert.ok(requests.every((l) => !String(field(l.meta, 'path')).includes('?')));
      });

      it('no secret (tokens, codes, states, session cookie, client or session secret) in any log line, page or metric', async () => {
        const metrics = await fx.example.registry.metrics();
        const everything = [fx.logger.text(), metrics, ...fx.pages].join('\n');
        const secrets = [CLIENT_SECRET, SESSION_SECRET, ...fx.secrets].filter((s) => s.length >= 8);
        assert.ok(secrets.length >= 20, `only ${secrets.length} secrets observed`);
        for (const secret of secrets)
          assert.ok(!everything.includes(secret), `leaked: ${secret.slice(0, 12)}…`);
      });
    });
  });
}
