import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import request from 'supertest';
import type { TikTokEmulator } from '../../lib/testing';
import { LOCAL, startLocalExample as start } from '../support/example-app';
import { consent, startLogin } from '../support/login';
import { freePort, freePorts } from '../support/redis';

const ROOT = join(__dirname, '../..');

/** Resolves once the emulator has received a token request (the login is then in flight). */
async function tokenRequestArrived(tt: TikTokEmulator): Promise<void> {
  while (!tt.requests.some((r) => r.endpoint === 'token')) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('example app: startExample', () => {
  it('emulator mode: prints where to click, shows the consent page (not auto-approved), stops cleanly', async () => {
    const { running, printed } = await start({});
    try {
      assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(printed.includes(`open ${running.url}`));
      assert.ok(running.emulator !== undefined);
      assert.ok(printed.includes(`emulator at ${running.emulator.url}`));
      const startLogin = await fetch(`${running.url}/auth/tiktok`, { redirect: 'manual' });
      const authorize = new URL(startLogin.headers.get('location') ?? '');
      assert.equal(
        authorize.origin + authorize.pathname,
        running.emulator.endpoints.authorizationURL,
      );
      assert.equal(
        authorize.searchParams.get('redirect_uri'),
        `${running.url}/auth/tiktok/callback`,
      );
      const consent = await fetch(authorize, { redirect: 'manual' });
      assert.equal(consent.status, 200);
      assert.match(await consent.text(), /id="approve"[\s\S]*id="deny"/);
    } finally {
      await running.close();
    }
    await assert.rejects(fetch(`${running.url}/healthz`), TypeError);
  });

  it('real TikTok mode: no emulator, /auth/tiktok redirects to tiktok.com with the client key', async () => {
    const { running, printed } = await start({
      TIKTOK_CLIENT_KEY: 'aw-real-key',
      TIKTOK_CLIENT_SECRET: 'aw-real-secret',
      TIKTOK_REDIRECT_URI: 'https://demo.ngrok.app/auth/tiktok/callback',
      TIKTOK_TOKEN_KEY: randomBytes(32).toString('base64'),
    });
    try {
      assert.equal(running.emulator, undefined);
      assert.match(printed, /TikTok: {3}the real one/);
      assert.ok(printed.includes(`open https://demo.ngrok.app (listening on ${running.url})`));
      const res = await fetch(`${running.url}/auth/tiktok`, { redirect: 'manual' });
      const location = new URL(res.headers.get('location') ?? '');
      assert.equal(
        location.origin + location.pathname,
        'https://www.tiktok.com/v2/auth/authorize/',
      );
      assert.equal(location.searchParams.get('client_key'), 'aw-real-key');
      assert.equal(
        location.searchParams.get('redirect_uri'),
        'https://demo.ngrok.app/auth/tiktok/callback',
      );
    } finally {
      await running.close();
    }
  });

  describe('tokens at rest (TIKTOK_TOKEN_KEY)', () => {
    it('real TikTok credentials without TIKTOK_TOKEN_KEY: refuses to start, saying how to make one', async () => {
      const port = String(await freePort());
      const outcome = await start({
        PORT: port,
        TIKTOK_CLIENT_KEY: 'aw-real-key',
        TIKTOK_CLIENT_SECRET: 'aw-real-secret',
        TIKTOK_REDIRECT_URI: 'https://demo.ngrok.app/auth/tiktok/callback',
      }).then(
        async ({ running }) => {
          await running.close();
          return 'started';
        },
        (err: unknown) => err,
      );
      assert.ok(outcome instanceof TypeError, String(outcome));
      assert.match(
        outcome.message,
        /^TIKTOK_TOKEN_KEY is required with real TikTok credentials.*openssl rand -base64 32/,
      );
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), TypeError);
    });
  });

  it('a PORT already in use fails at start saying to free it or set PORT', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    assert.ok(typeof address === 'object' && address !== null);
    try {
      await assert.rejects(start({ PORT: String(address.port) }), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.equal(
          err.message,
          `port ${String(address.port)} is already in use: stop what listens there, or set PORT to a free port (PORT=3002 npm start)`,
        );
        assert.equal(Reflect.get(err, 'code'), 'EADDRINUSE');
        return true;
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('PORT=3002 already in use: the hint suggests another port than the taken one', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    // Taken by this test, or already by something else: either way the example cannot listen.
    await new Promise<void>((resolve) => {
      taken.once('error', () => resolve());
      taken.listen(3002, '127.0.0.1', resolve);
    });
    try {
      await assert.rejects(start({ PORT: '3002' }), (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^port 3002 is already in use: /);
        assert.doesNotMatch(err.message, /PORT=3002/);
        return true;
      });
    } finally {
      if (taken.listening) await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('an unreachable REDIS_URL fails at start with a clear message (password hidden), nothing left listening', async () => {
    // Two distinct ports: the app's must not be the one Redis is (not) listening on.
    const [appPort, redisPort] = await freePorts(2);
    const port = String(appPort);
    const url = `redis://:hunter2@127.0.0.1:${String(redisPort)}`;
    await assert.rejects(start({ REDIS_URL: url, PORT: port }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(
        err.message,
        /^REDIS_URL is set but connecting to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? failed: .*ECONNREFUSED/,
      );
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), TypeError);
  });

  describe('shutdown (close(), on SIGTERM or Ctrl-C)', () => {
    it('lets a login in flight finish (TikTok answering late), then stops listening', async () => {
      const { running } = await start({}, { emulator: { autoApprove: true } });
      const tt = running.emulator;
      assert.ok(tt !== undefined);
      let closed = false;
      try {
        const agent = request.agent(running.url);
        const callback = await consent(await startLogin(agent));
        tt.inject('token', { delayMs: 700 });
        const finished = agent
          .get(callback)
          .set('Accept', 'application/json')
          .then((res) => ({ status: res.status, location: res.get('location') }));
        await tokenRequestArrived(tt);
        const closing = running.close();
        closed = true;
        // Before the fix: the connection was cut at once ("socket hang up"), the code spent.
        assert.deepEqual(await finished, { status: 302, location: '/profile' });
        await closing;
      } finally {
        if (!closed) await running.close();
      }
      await assert.rejects(fetch(`${running.url}/healthz`), TypeError);
    });

    it('cuts what is still running after the grace period (a TikTok that never answers)', async () => {
      const { running } = await start(
        {},
        { emulator: { autoApprove: true }, shutdownGraceMs: 300 },
      );
      const tt = running.emulator;
      assert.ok(tt !== undefined);
      const agent = request.agent(running.url);
      const callback = await consent(await startLogin(agent));
      tt.inject('token', { hang: true });
      const outcome = agent.get(callback).then(
        (res) => `answered ${res.status}`,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      await tokenRequestArrived(tt);
      const started = Date.now();
      await running.close();
      const ms = Date.now() - started;
      assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
      assert.match(await outcome, /socket hang up|ECONNRESET/);
    });
  });

  it('server.ts run directly listens, prints the URL, and exits 0 on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...LOCAL, TIKTOK_LOG_LEVEL: 'silent' };
    for (const name of [
      'TIKTOK_CLIENT_KEY',
      'TIKTOK_CLIENT_SECRET',
      'TIKTOK_REDIRECT_URI',
      'REDIS_URL',
      'NODE_ENV',
    ]) {
      Reflect.deleteProperty(env, name);
    }
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'example/server.ts'], {
      cwd: ROOT,
      env,
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const match = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        child.once('exit', (code) =>
          reject(new Error(`exited ${String(code)} before listening: ${out}`)),
        );
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
