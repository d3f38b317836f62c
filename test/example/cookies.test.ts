import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp, type ExampleApp, type ExampleAppOptions } from '../../example/app';
import { SESSION_COOKIE } from '../../example/session';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { realNow } from '../support/clock';
import { consent } from '../support/login';

const CALLBACK = 'https://example.test/auth/tiktok/callback';

function setCookieOf(res: request.Response): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  return cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

describe('example app: createApp', () => {
  it("refuses a redirect URI whose path is one of the example's pages (no login could start)", () => {
    for (const path of ['/', '/auth/tiktok', '/auth/tiktok/', '/profile', '/login-failed']) {
      assert.throws(
        () =>
          createApp({
            clientKey: 'aw-key',
            clientSecret: 'secret',
            callbackURL: `https://example.test${path}`,
            authorizationURL: 'https://example.test/v2/auth/authorize/',
            tokenURL: 'https://example.test/v2/oauth/token/',
            revokeURL: 'https://example.test/v2/oauth/revoke/',
            userInfoURL: 'https://example.test/v2/user/info/',
            logger: new CaptureLogger(),
          }),
        {
          name: 'TypeError',
          message:
            /^TIKTOK_REDIRECT_URI's path .* is a page of the example app: use a path of its own, such as \/auth\/tiktok\/callback/,
        },
        path,
      );
    }
  });

  describe('the session cookie and page headers', () => {
    let tt: TikTokEmulator;
    const apps: ExampleApp[] = [];

    before(async () => {
      tt = await startTikTokEmulator({
        autoApprove: true,
        clock: realNow,
        redirectUris: [CALLBACK],
      });
    });
    after(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await tt.close();
    });

    function example(options: Partial<ExampleAppOptions>): ExampleApp {
      const made = createApp({
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        callbackURL: CALLBACK,
        ...tt.endpoints,
        sessionSecret: 'example-cookie-test-secret',
        logger: new CaptureLogger(),
        ...options,
      });
      apps.push(made);
      return made;
    }

    it('behind a trusted TLS proxy: HttpOnly; Secure; SameSite=Lax, and a whole login works', async () => {
      const { app } = example({ secureCookies: true, trustProxy: 1 });
      const start = await request(app).get('/auth/tiktok').set('X-Forwarded-Proto', 'https');
      assert.equal(start.status, 302);
      const cookie = setCookieOf(start);
      assert.ok(cookie !== undefined, 'a session cookie');
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; Secure/);
      assert.match(cookie, /; SameSite=Lax/);
      const callback = await request(app)
        .get(await consent(new URL(String(start.headers.location))))
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', cookie.split(';')[0] ?? '');
      assert.equal(callback.status, 302);
      assert.equal(callback.headers.location, '/profile');
      assert.match(setCookieOf(callback) ?? '', /; Secure/);
    });

    it('a Secure cookie is never sent over plain HTTP, nor for a spoofed X-Forwarded-Proto', async () => {
      const { app } = example({ secureCookies: true });
      for (const proto of [undefined, 'https']) {
        const req = request(app).get('/auth/tiktok');
        const res = await (proto === undefined ? req : req.set('X-Forwarded-Proto', proto));
        assert.equal(res.status, 302);
        assert.equal(
          setCookieOf(res),
          undefined,
          `cookie sent (X-Forwarded-Proto ${String(proto)})`,
        );
      }
    });

    it('pages: Referrer-Policy same-origin, no framing, no sniffing, no scripts', async () => {
      const { app } = example({});
      for (const path of [
        '/',
        '/login-failed?error=INVALID_STATE&correlationId=tiktok-1764500000000-0a1b2c3d',
        '/nope',
      ]) {
        const res = await request(app).get(path).set('Accept', 'text/html');
        assert.equal(res.headers['referrer-policy'], 'same-origin', path);
        assert.equal(res.headers['x-frame-options'], 'DENY', path);
        assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
        const csp = String(res.headers['content-security-policy']);
        assert.ok(
          csp.includes("frame-ancestors 'none'") && csp.includes("default-src 'none'"),
          path,
        );
        assert.ok(!res.text.includes('<script'), path);
      }
    });
  });
});
