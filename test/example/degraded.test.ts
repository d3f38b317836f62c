import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import request from 'supertest';
import { createApp, type ExampleApp } from '../../example/app';
import { SESSION_COOKIE } from '../../example/session';
import { CaptureLogger } from '../support/capture-logger';
import { EXAMPLE_CALLBACK, useExampleApp } from '../support/example-app';
import { field } from '../support/json';
import { freePort } from '../support/redis';

describe('example app: createApp', () => {
  describe('TIKTOK_OAUTH_ENABLED=false', () => {
    const fx = useExampleApp({ app: () => ({ oauthEnabled: false }) });

    it('answers both login routes with a 503 page and calls no TikTok', async () => {
      for (const path of ['/auth/tiktok', '/auth/tiktok/callback?code=c&state=s']) {
        const res = fx.keep(await fx.browser().get(path));
        assert.equal(res.status, 503, path);
        assert.equal(res.headers['retry-after'], '300');
        assert.match(res.text, /<h1 id="headline">Log in with TikTok is turned off<\/h1>/);
      }
      assert.equal(fx.tt.requests.length, 0);
    });

    it('keeps everything else working: home (without the button), healthz, metrics', async () => {
      const home = await fx.browser().get('/');
      assert.equal(home.status, 200);
      assert.match(home.text, /id="login-disabled"/);
      assert.doesNotMatch(home.text, /href="\/auth\/tiktok"/);
      const health = await fx.browser().get('/healthz');
      assert.equal(health.status, 200);
      assert.equal(field(health.body, 'tiktokLogin'), 'disabled');
      assert.equal((await fx.browser().get('/metrics')).status, 200);
      assert.equal((await fx.browser().get('/profile')).status, 401);
    });
  });

  const SESSION_SECRET = 'test-session-secret';

  /** An express-session cookie signed like cookie-signature does: `s:<id>.<base64 HMAC-SHA256>`. */
  function signedSessionCookie(id: string, secret: string): string {
    const mac = createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
    return `${SESSION_COOKIE}=${encodeURIComponent(`s:${id}.${mac}`)}`;
  }

  describe('Redis down', () => {
    let example: ExampleApp;
    const logger = new CaptureLogger();

    before(async () => {
      // A client for a port nobody listens on, never connected: every command fails at once.
      const redis = createClient({
        url: `redis://127.0.0.1:${await freePort()}`,
        disableOfflineQueue: true,
      });
      example = createApp({
        clientKey: 'key',
        clientSecret: 'secret',
        callbackURL: EXAMPLE_CALLBACK,
        redis,
        tokenEncryptionKey: randomBytes(32),
        sessionSecret: SESSION_SECRET,
        logger,
      });
    });
    after(() => example.close());

    it('/healthz answers 503 with redis: down', async () => {
      const res = await request(example.app).get('/healthz');
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, {
        status: 'unavailable',
        sessions: 'redis',
        redis: 'down',
        tiktokLogin: 'enabled',
      });
    });

    it('a login start → the failure page says login is unavailable (no redirect loop)', async () => {
      const start = await request(example.app).get('/auth/tiktok').set('Accept', 'text/html');
      assert.equal(start.status, 302);
      const location = String(start.headers.location);
      assert.match(location, /^\/login-failed\?error=SERVICE_UNAVAILABLE&correlationId=tiktok-/);
      const page = await request(example.app).get(location).set('Accept', 'text/html');
      assert.equal(page.status, 200);
      assert.match(page.text, /Login is unavailable right now/);
    });

    it('a request with a session cookie → 503 SERVICE_UNAVAILABLE (HTML page and JSON)', async () => {
      const cookie = signedSessionCookie('some-session-id', SESSION_SECRET);
      const html = await request(example.app)
        .get('/profile')
        .set('Cookie', cookie)
        .set('Accept', 'text/html');
      assert.equal(html.status, 503);
      assert.match(html.text, /temporarily unavailable/);
      assert.equal(html.headers['retry-after'], '5');
      const json = await request(example.app)
        .get('/')
        .set('Cookie', cookie)
        .set('Accept', 'application/json');
      assert.equal(json.status, 503);
      assert.equal(field(json.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
    });

    it('/metrics and /login-failed still answer', async () => {
      assert.equal((await request(example.app).get('/metrics')).status, 200);
      const page = await request(example.app).get(
        '/login-failed?error=INVALID_STATE&correlationId=tiktok-1764500000000-0a1b2c3d',
      );
      assert.equal(page.status, 200);
      assert.match(page.text, /Your login expired/);
    });
  });
});
