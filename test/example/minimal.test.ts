import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTikTokEmulator, type TikTokEmulator } from 'passport-tiktok/testing';
import request from 'supertest';
import { createApp } from '../../example/minimal';
import { CaptureLogger } from '../support/capture-logger';
import { withEnv } from '../support/env';
import { consent } from '../support/login';

const ROOT = join(__dirname, '../..');
// As README's test recipe: on the host supertest's requests carry.
const CALLBACK_URL = 'http://127.0.0.1:3000/auth/tiktok/callback';

/** The ```ts block that follows `heading` in README.md. */
function readmeBlockAfter(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README.md has no "${heading}" heading`);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  assert.ok(block?.[1] !== undefined, `no code block after "${heading}"`);
  return block[1];
}

describe('example/minimal.ts', () => {
  describe('the README Quick start as one file', () => {
    let tt: TikTokEmulator;
    before(async () => {
      tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
    });
    afterEach(() => tt.reset());
    after(() => tt.close());

    const app = (): ReturnType<typeof createApp> =>
      createApp({
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        callbackURL: CALLBACK_URL,
        ...tt.endpoints,
      });

    it("is the README's Quick start, byte for byte (plus the lines that listen when run directly)", () => {
      const file = readFileSync(join(ROOT, 'example/minimal.ts'), 'utf8');
      const quickStart = readmeBlockAfter('## Quick start');
      assert.ok(file.startsWith(quickStart), 'README Quick start and example/minimal.ts differ');
      assert.match(file.slice(quickStart.length), /^\n\/\/ Listens only when run directly/);
    });

    it('logs in against the emulator over http, then / greets the user, with no warning logged', async () => {
      const logger = new CaptureLogger();
      const browser = request.agent(
        createApp({
          clientKey: tt.clientKey,
          clientSecret: tt.clientSecret,
          callbackURL: CALLBACK_URL,
          ...tt.endpoints,
          logger,
        }),
      );
      const start = await browser.get('/auth/tiktok').expect(302);
      const callback = await consent(new URL(String(start.headers.location)));
      const done = await browser.get(callback).expect(302);
      assert.equal(done.headers.location, '/');
      const home = await browser.get('/').expect(200);
      assert.equal(home.text, 'You are logged in with TikTok');
      assert.equal(tt.count('token', { grantType: 'authorization_code' }), 1);
      // README's recipe must run clean: a false "cookie will not come back" teaches to ignore it.
      assert.deepEqual(
        logger.lines.filter((line) => line.level === 'warn' || line.level === 'error'),
        [],
      );
    });

    it('a denied login lands on /login with the reason and a correlation ID', async () => {
      tt.setConsent({ decision: 'deny' });
      const browser = request.agent(app());
      const start = await browser.get('/auth/tiktok').expect(302);
      const callback = await consent(new URL(String(start.headers.location)));
      await browser.get(callback).expect(302).expect('Location', '/login');
      const page = await browser.get('/login').expect(200);
      assert.match(page.text, /^Login failed: .+ \(ref tiktok-\d+-[0-9a-f]{8}\)$/);
    });

    it('the session cookie is Secure only with NODE_ENV=production', async () => {
      const cookieOf = async (): Promise<string> => {
        const res = await request(app()).get('/auth/tiktok').expect(302);
        const cookies = res.headers['set-cookie'];
        assert.ok(Array.isArray(cookies) && typeof cookies[0] === 'string');
        return cookies[0];
      };
      const dev = await withEnv({ NODE_ENV: undefined }, cookieOf);
      assert.doesNotMatch(dev, /;\s*Secure/i);
      assert.match(dev, /;\s*HttpOnly/i);
      assert.match(dev, /;\s*SameSite=Lax/i);
      // trust proxy 1: the TLS-terminating proxy says https.
      const prod = await withEnv(
        { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) },
        async () => {
          const res = await request(app())
            .get('/auth/tiktok')
            .set('X-Forwarded-Proto', 'https')
            .expect(302);
          const cookies = res.headers['set-cookie'];
          assert.ok(Array.isArray(cookies) && typeof cookies[0] === 'string');
          return cookies[0];
        },
      );
      assert.match(prod, /;\s*Secure/i);
    });

    it('two apps in one process keep their own strategy (a suite builds one per test)', async () => {
      const options = {
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        callbackURL: CALLBACK_URL,
        ...tt.endpoints,
      };
      const basic = createApp({ ...options, scope: ['user.info.basic'] });
      const other = createApp({ ...options, scope: ['user.info.basic', 'user.info.stats'] });
      const scopeOf = async (app: ReturnType<typeof createApp>): Promise<string | null> => {
        const start = await request(app).get('/auth/tiktok').expect(302);
        return new URL(String(start.headers.location)).searchParams.get('scope');
      };
      assert.equal(await scopeOf(basic), 'user.info.basic');
      assert.equal(await scopeOf(other), 'user.info.basic,user.info.stats');
      // And the first one still logs in, through its own strategy and session.
      const browser = request.agent(basic);
      const start = await browser.get('/auth/tiktok').expect(302);
      const callback = await consent(new URL(String(start.headers.location)));
      await browser.get(callback).expect(302).expect('Location', '/');
      assert.equal((await browser.get('/').expect(200)).text, 'You are logged in with TikTok');
    });

    it('refuses to start in production without SESSION_SECRET (a known secret forges sessions)', () => {
      for (const unset of [undefined, '']) {
        withEnv({ NODE_ENV: 'production', SESSION_SECRET: unset }, () => {
          assert.throws(app, /Set SESSION_SECRET/);
        });
      }
    });
  });
});
