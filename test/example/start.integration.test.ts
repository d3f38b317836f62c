import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { sessionCookieOf, startLocalExample as start } from '../support/example-app';
import { field } from '../support/json';
import { login } from '../support/login';
import { REDIS_SOCKET_TIMEOUT_MS } from '../../example/redis';
import { SESSION_STORE_TIMEOUT_MS } from '../../example/session';
import {
  connectTestRedis,
  deleteKeys,
  freePort,
  REDIS_URL,
  startRedisServer,
  uniquePrefix,
} from '../support/redis';

describe('example app: startExample', () => {
  it('REDIS_URL: sessions in Redis, /healthz checks it', async function () {
    (await connectTestRedis(this)).destroy(); // skipped without Redis, failed under CI=true
    const { running, printed } = await start({ REDIS_URL });
    try {
      assert.match(printed, /Sessions: Redis at redis:\/\//);
      const health = await fetch(`${running.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), {
        status: 'ok',
        sessions: 'redis',
        redis: 'ok',
        tiktokLogin: 'enabled',
      });
    } finally {
      await running.close();
    }
  });

  it('SESSION_SECRET rotated with SESSION_SECRET_PREVIOUS: sessions signed with the old secret stay logged in', async function () {
    const redis = await connectTestRedis(this);
    const prefix = uniquePrefix();
    const shared = { REDIS_URL, TIKTOK_TOKEN_KEY: randomBytes(32).toString('base64') };
    const profileWith = async (env: Record<string, string>, cookie: string): Promise<number> => {
      const { running } = await start({ ...shared, ...env }, { redisPrefix: prefix });
      try {
        return (await fetch(`${running.url}/profile`, { headers: { Cookie: cookie } })).status;
      } finally {
        await running.close();
      }
    };
    try {
      const { running } = await start(
        { ...shared, SESSION_SECRET: 'the-old-secret' },
        { redisPrefix: prefix, emulator: { autoApprove: true } },
      );
      let cookie: string;
      try {
        const res = await login(request.agent(running.url));
        assert.equal(res.status, 302, res.text);
        cookie = `example.sid=${encodeURIComponent(sessionCookieOf(res) ?? '')}`;
        const profile = await fetch(`${running.url}/profile`, { headers: { Cookie: cookie } });
        assert.equal(profile.status, 200);
      } finally {
        await running.close();
      }
      assert.equal(
        await profileWith(
          { SESSION_SECRET: 'the-new-secret', SESSION_SECRET_PREVIOUS: 'the-old-secret' },
          cookie,
        ),
        200,
        'the old cookie is accepted during the rotation',
      );
      assert.equal(
        await profileWith({ SESSION_SECRET: 'the-new-secret' }, cookie),
        401,
        'without SESSION_SECRET_PREVIOUS, the old cookie is not read',
      );
    } finally {
      await deleteKeys(redis, prefix);
      redis.destroy();
    }
  });

  describe('tokens at rest (TIKTOK_TOKEN_KEY)', () => {
    for (const given of [false, true]) {
      it(`emulator mode with REDIS_URL, ${given ? 'TIKTOK_TOKEN_KEY set: tokens encrypted with it' : 'no TIKTOK_TOKEN_KEY: a random key for the process, said in the banner'}`, async function () {
        const redis = await connectTestRedis(this);
        const prefix = uniquePrefix();
        const key = randomBytes(32).toString('base64');
        const { running, printed } = await start(
          { REDIS_URL, ...(given ? { TIKTOK_TOKEN_KEY: key } : {}) },
          { redisPrefix: prefix, emulator: { autoApprove: true } },
        );
        try {
          assert.match(
            printed,
            given
              ? /Tokens: {3}Redis, encrypted with TIKTOK_TOKEN_KEY\n/
              : /Tokens: {3}Redis, encrypted with a random key made for this process \(set TIKTOK_TOKEN_KEY to keep them across restarts\)/,
          );
          const res = await login(request.agent(running.example.app));
          assert.equal(res.status, 302, res.text);
          const openId = running.emulator?.users[0]?.openId ?? '';
          const tokens = await running.example.tokenManager.get(openId);
          assert.ok(tokens !== undefined, 'the login saved the tokens');
          const raw = JSON.stringify(await redis.hGetAll(`${prefix}tokens:${openId}`));
          assert.match(raw, /A256GCM/);
          assert.equal(raw.includes(tokens.access_token), false, 'no access token in Redis');
          assert.equal(raw.includes(tokens.refresh_token ?? '?'), false, 'no refresh token');
          const withKey = new RedisTokenStore({
            client: redis,
            prefix: `${prefix}tokens:`,
            encryptionKey: key,
          });
          if (given) assert.deepEqual((await withKey.get(openId))?.tokens, tokens);
          else await assert.rejects(withKey.get(openId), { code: 'CONFIGURATION_ERROR' });
        } finally {
          await running.close();
          await deleteKeys(redis, prefix);
          redis.destroy();
        }
      });
    }
  });
  // A Redis that hangs (stopped, or behind a partition that drops packets) keeps its TCP
  // connections open and answers nothing: every request waited until it came back (measured:
  // 25 s, then all at once). node-redis's socketTimeout does not help while requests keep
  // coming (each command written restarts it): the session guard's and the stores' own timeouts
  // bound each request.
  it('a Redis that stops answering: every page answers 503 when the store timeout cuts its session load; recovers without a restart', async function () {
    this.timeout(60_000);
    const server = await startRedisServer(await freePort()).catch((err: unknown) => {
      if (process.env.CI === 'true') throw err;
      this.skip();
    });
    const { running } = await start({ REDIS_URL: server.url }, { emulator: { autoApprove: true } });
    try {
      const agent = request.agent(running.url);
      assert.equal((await login(agent)).status, 302);
      assert.equal((await agent.get('/profile')).status, 200);

      server.freeze();
      // Steady traffic: one request after the other for longer than the socket timeout.
      const until = Date.now() + REDIS_SOCKET_TIMEOUT_MS + 1500;
      let answered = 0;
      while (Date.now() < until) {
        const started = Date.now();
        const res = await agent.get('/profile').set('Accept', 'application/json');
        const ms = Date.now() - started;
        assert.equal(res.status, 503, res.text);
        assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
        // Cut by the session guard's timeout: under traffic node-redis's socketTimeout (3 s,
        // restarted by every command) never fires, so a broken guard would answer later than
        // this, or at once after a dropped connection.
        assert.ok(
          ms >= SESSION_STORE_TIMEOUT_MS - 100 && ms < SESSION_STORE_TIMEOUT_MS + 900,
          `request ${answered + 1}: ${ms} ms`,
        );
        answered++;
      }
      assert.ok(answered >= 2, `${answered} requests answered`);
      assert.equal((await fetch(`${running.url}/healthz`)).status, 503);

      server.thaw();
      const deadline = Date.now() + 15_000;
      while ((await fetch(`${running.url}/healthz`)).status !== 200) {
        assert.ok(Date.now() < deadline, 'Redis back within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await agent.get('/profile')).status, 200, 'the session survived');
      assert.equal((await login(request.agent(running.url))).status, 302);
    } finally {
      await running.close();
      await server.stop();
    }
  });
});
