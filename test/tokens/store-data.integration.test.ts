import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { TikTokClient, TikTokTokenManager, tiktokErrorHandler } from '../../lib';
import { startTikTokEmulator } from '../../lib/testing';
import { UnreadableTokenRecordError } from '../../lib/tokens/store';
import { CaptureLogger } from '../support/capture-logger';
import { browser, CALLBACK_URL, emulatorOptions, login, startLoginApp } from '../support/login';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { field } from '../support/json';
import { trackServers } from '../support/servers';
import { makeTokens } from '../support/token-fixtures';
import { managerHarness, rejectsWith, type ManagerHarness } from '../support/token-harness';
import { type TestRedis, useTestRedis } from '../support/redis';

// Issue #12 item 6: a tampered token record answered 500 showing "RedisTokenStore cannot read …
// key id … configure that key" and logged nothing; a key of the wrong type answered 503 "is
// Redis reachable?", retryable. Now: a generic message for people, the detail on an error log
// line with the correlation ID, and Redis data errors are CONFIGURATION_ERROR, not retryable.
const GENERIC = 'Something is wrong on our side. Please contact support and quote the reference.';

describe('RedisTokenStore', () => {
  describe('corrupt data and foreign keys', () => {
    const server = trackServers();
    const testRedis = useTestRedis();
    const prefix = testRedis.prefix;
    let redis: TestRedis;

    before(() => {
      redis = testRedis.redis;
    });

    function harness(key = randomBytes(32)): { h: ManagerHarness; store: RedisTokenStore } {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: key });
      return { h: managerHarness({ store }), store };
    }

    /** GET /token answers the user's access token through tiktokErrorHandler. */
    function appFor(h: ManagerHarness): ReturnType<typeof createServer> {
      const app = express();
      app.get('/token', (req: Request, res: Response, next: NextFunction) => {
        h.manager
          .getAccessToken(h.openId, { correlationId: 'req-4711' })
          .then(() => res.json({ ok: true }), next);
      });
      app.use(tiktokErrorHandler());
      return createServer(app);
    }

    /** The error log line of the store failure: correlation ID and detail. */
    function storeFailureLine(h: ManagerHarness): Record<string, unknown> {
      const lines = h.logger.lines.filter(
        (l) => l.level === 'error' && l.message === '[TikTokOAuth] token_store - failure',
      );
      assert.equal(lines.length, 1, h.logger.text());
      return lines[0]?.meta ?? {};
    }

    async function assertGenericPages(h: ManagerHarness, internals: RegExp): Promise<void> {
      const s = server(appFor(h));
      const json = await request(s).get('/token').set('Accept', 'application/json');
      assert.equal(json.status, 500);
      assert.equal(json.headers['x-correlation-id'], 'req-4711');
      assert.deepEqual(json.body, {
        error: {
          code: 'CONFIGURATION_ERROR',
          message: GENERIC,
          correlationId: 'req-4711',
          retryable: false,
        },
      });
      const html = await request(s).get('/token').set('Accept', 'text/html');
      assert.equal(html.status, 500);
      assert.ok(html.text.includes(GENERIC));
      for (const res of [json, html]) {
        assert.doesNotMatch(res.text, internals);
        assert.doesNotMatch(res.text, /RedisTokenStore|key id|Redis reachable/);
      }
    }

    it('a tampered record: generic page; the detail is on an error log line with the correlation ID', async () => {
      const { h, store } = harness();
      await h.seed();
      const key = store.recordKey(h.openId);
      const envelope = JSON.parse((await redis.hGet(key, 'data')) ?? '{}') as Record<
        string,
        string
      >;
      const ct = Buffer.from(envelope.ct ?? '', 'base64url');
      ct[0] = (ct[0] ?? 0) ^ 1;
      await redis.hSet(key, 'data', JSON.stringify({ ...envelope, ct: ct.toString('base64url') }));

      const err = await rejectsWith(h.manager.getAccessToken(h.openId), 'CONFIGURATION_ERROR');
      assert.equal(err.retryable, false);
      const line = storeFailureLine(h);
      assert.equal(line.correlationId, err.correlationId);
      assert.equal(line.errorCode, 'CONFIGURATION_ERROR');
      assert.match(String(line.detail), /failed authentication with key id [0-9a-f]{16}/);
      await assertGenericPages(h, /failed authentication|altered/);
    });

    it('a record under a key that is not configured: the same, naming the key id in the log only', async () => {
      const { h: writer } = harness();
      const { h } = harness();
      await writer.manager.save(h.openId, { ...(await writer.seed()), open_id: h.openId });

      await rejectsWith(h.manager.get(h.openId), 'CONFIGURATION_ERROR');
      assert.match(
        String(storeFailureLine(h).detail),
        /encrypted with key id [0-9a-f]{16}, which is neither keys.current nor one of keys.previous/,
      );
      await assertGenericPages(h, /neither keys.current|configure that key/);
    });

    for (const [what, plant] of [
      ['a string', (key: string) => redis.set(key, 'not a hash')],
      ['a list', (key: string) => redis.rPush(key, ['a', 'b'])],
    ] as const) {
      it(`a record key holding ${what} (WRONGTYPE): CONFIGURATION_ERROR, not retryable, not "is Redis reachable?"`, async () => {
        const { h, store } = harness();
        await plant(store.recordKey(h.openId));
        for (const call of [
          () => h.manager.getAccessToken(h.openId), // HMGET
          () => h.seed(), // HMGET before the write
          () => store.compareAndSet(h.openId, 'v1', makeTokens(h.openId)), // the script's HGET
        ]) {
          const err = await rejectsWith(call(), 'CONFIGURATION_ERROR');
          assert.equal(err.retryable, false);
          assert.equal(err.statusCode, 500);
          assert.match(err.message, /holds a value of another type/);
          assert.doesNotMatch(err.message, /reachable/);
        }
        const lines = h.logger.lines.filter((l) => l.message.endsWith('token_store - failure'));
        assert.equal(lines.length, 2, 'one line per manager call');
        for (const line of lines) {
          assert.equal(line.level, 'error');
          assert.match(String(line.meta?.detail), /WRONGTYPE/);
          assert.match(String(line.meta?.correlationId), /^tiktok-\d+-[0-9a-f]{8}$/);
        }
        h.logger.lines.length = 0;
        const s = server(appFor(h));
        const json = await request(s).get('/token').set('Accept', 'application/json');
        assert.equal(json.status, 500);
        assert.equal(json.headers['retry-after'], undefined);
        assert.equal(field(json.body, 'error', 'message'), GENERIC);
        assert.equal(storeFailureLine(h).correlationId, 'req-4711');
      });
    }
  });
  // A record the store cannot read (its key lost or rotated out, or written in the clear before
  // encryption was turned on) used to fail every later login of that user with 500: save() read
  // the record for its compare-and-set version and threw CONFIGURATION_ERROR.
  describe('a record nobody can read, then the user logs in again', () => {
    const testRedis = useTestRedis();
    const prefix = testRedis.prefix;
    let redis: TestRedis;

    before(() => {
      redis = testRedis.redis;
    });

    const encrypted = (): RedisTokenStore =>
      new RedisTokenStore({ client: redis, prefix, encryptionKey: randomBytes(32) });

    for (const [what, writer] of [
      ['encrypted under a key this store does not have', encrypted],
      [
        'written in the clear before encryption was turned on',
        () => new RedisTokenStore({ client: redis, prefix, allowPlaintext: true }),
      ],
    ] as const) {
      it(`${what}: get() is CONFIGURATION_ERROR, save() replaces it and logs why`, async () => {
        const h = managerHarness({ store: encrypted() });
        const old = makeTokens(h.openId, { access_token: 'act.OLD-CANARY' });
        await managerHarness({ store: writer() }).manager.save(h.openId, old);

        const err = await rejectsWith(h.manager.get(h.openId), 'CONFIGURATION_ERROR');
        assert.equal(err.retryable, false);
        const raw = await h.store.get(h.openId).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(raw instanceof UnreadableTokenRecordError, String(raw));
        assert.equal(raw.version, await redis.hGet(`${prefix}${h.openId}`, 'version'));

        const fresh = makeTokens(h.openId, { access_token: 'act.NEW' });
        await h.manager.save(h.openId, fresh, { correlationId: 'login-1' });
        assert.equal((await h.manager.get(h.openId))?.access_token, 'act.NEW');
        const replaced = h.logger.lines.filter((l) =>
          l.message.endsWith('replacing stored tokens that cannot be read'),
        );
        assert.equal(replaced.length, 1, h.logger.text());
        assert.equal(replaced[0]?.level, 'warn');
        assert.equal(replaced[0]?.meta?.correlationId, 'login-1');
        assert.match(String(replaced[0]?.meta?.detail), /key id [0-9a-f]{16}|not encrypted/);
        assert.doesNotMatch(h.logger.text(), /CANARY|act\.NEW/);
      });
    }

    it('a record rewritten between the read and the write: save() reads again and ends with the login tokens', async () => {
      const store = encrypted();
      const h = managerHarness({ store });
      await managerHarness({ store: encrypted() }).manager.save(h.openId, makeTokens(h.openId));
      // The first compare-and-set loses to a write made after the unreadable read.
      const realCas = store.compareAndSet.bind(store);
      let first = true;
      store.compareAndSet = async (openId, version, tokens) => {
        if (first) {
          first = false;
          await realCas(openId, version, makeTokens(openId, { access_token: 'act.RACE' }));
        }
        return realCas(openId, version, tokens);
      };
      await h.manager.save(h.openId, makeTokens(h.openId, { access_token: 'act.LOGIN' }));
      assert.equal((await h.manager.get(h.openId))?.access_token, 'act.LOGIN');
    });

    it('a hash this store did not write (an empty version) is reported by save(), not overwritten', async () => {
      const h = managerHarness({ store: encrypted() });
      await redis.hSet(`${prefix}${h.openId}`, { version: '', data: 'x' });
      const err = await rejectsWith(h.seed(), 'CONFIGURATION_ERROR');
      assert.equal(err.retryable, false);
      assert.equal(await redis.hGet(`${prefix}${h.openId}`, 'data'), 'x');
    });

    it('a hash with neither version nor data is reported by save() as CONFIGURATION_ERROR, not overwritten', async () => {
      const h = managerHarness({ store: encrypted() });
      await redis.hSet(`${prefix}${h.openId}`, { owner: 'another app' });
      assert.equal(await h.manager.get(h.openId), undefined, 'reads as no tokens');
      const err = await rejectsWith(h.seed(), 'CONFIGURATION_ERROR');
      assert.equal(err.retryable, false);
      assert.match(err.message, /lacks version or data/);
      assert.equal(await redis.hGet(`${prefix}${h.openId}`, 'owner'), 'another app');
    });

    it('a plain CONFIGURATION_ERROR (a key of another type) is not overwritten by save()', async () => {
      const h = managerHarness({ store: encrypted() });
      await redis.set(`${prefix}${h.openId}`, "someone else's value");
      await rejectsWith(h.seed(), 'CONFIGURATION_ERROR');
      assert.equal(await redis.get(`${prefix}${h.openId}`), "someone else's value");
    });

    it('end to end: the login of a user whose record is unreadable succeeds and stores new tokens', async () => {
      const tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
      const logger = new CaptureLogger();
      const client = new TikTokClient({
        ...emulatorOptions(tt),
        redirectUri: CALLBACK_URL,
        logger,
      });
      const store = encrypted();
      const manager = new TikTokTokenManager({ client, store, logger });
      const app = await startLoginApp({ tt, strategy: { client, tokenManager: manager } });
      try {
        const openId = 'emulator-open-id-1';
        await new TikTokTokenManager({ client, store: encrypted() }).save(
          openId,
          makeTokens(openId),
        );
        await rejectsWith(manager.get(openId), 'CONFIGURATION_ERROR');
        const res = await login(browser(app.server));
        assert.equal(res.status, 302, res.text);
        assert.match((await manager.get(openId))?.access_token ?? '', /^act\./);
        assert.ok(logger.text().includes('replacing stored tokens that cannot be read'));
      } finally {
        await app.close();
        await tt.close();
      }
    });
  });
});
