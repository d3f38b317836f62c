import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import {
  RedisClaimStore,
  RedisCommandTimeoutError,
  RedisRemovalList,
  TikTokAPIError,
} from '../../lib';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { CaptureLogger } from '../support/capture-logger';
import { freePort, startRedisServer, type RedisServerProcess } from '../support/redis';
import { FakeTokenClient, makeTokens } from '../support/token-fixtures';

type Client = ReturnType<typeof createClient>;

const COMMAND_TIMEOUT_MS = 300;

/** How long `call` takes, and what it threw (undefined when it succeeded). */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await call();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

// A Redis that hangs (SIGSTOP: connections stay open, nothing is answered) under steady traffic.
// node-redis's socketTimeout is reset by every command written, so without the stores' own
// commandTimeoutMs every call waited until Redis answered again.
describe('redis-timeout', () => {
  describe('a Redis that hangs under steady traffic', function () {
    this.timeout(30_000);
    let server: RedisServerProcess;
    let redis: Client;

    before(async function () {
      try {
        server = await startRedisServer(await freePort());
      } catch (err) {
        if (process.env.CI === 'true') throw err;
        this.skip();
      }
      redis = createClient({ url: server.url, disableOfflineQueue: true });
      redis.on('error', () => undefined);
      await redis.connect();
    });
    after(async () => {
      redis?.destroy();
      await server?.stop();
    });

    /**
     * Calls `call` every 100 ms for 1.5 s while Redis is frozen: every call fails within the
     * command timeout (plus slack for a loaded machine) with `check`ed errors; after the thaw it
     * succeeds again.
     */
    async function underFreeze(
      call: () => Promise<unknown>,
      check: (error: unknown) => void,
    ): Promise<void> {
      await call(); // works before
      server.freeze();
      const outcomes: Promise<{ ms: number; error: unknown }>[] = [];
      try {
        for (let i = 0; i < 15; i++) {
          outcomes.push(timed(call));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        for (const { ms, error } of await Promise.all(outcomes)) {
          assert.ok(error !== undefined, 'failed while Redis hangs');
          check(error);
          assert.ok(ms < COMMAND_TIMEOUT_MS + 700, `answered after ${ms} ms`);
        }
      } finally {
        server.thaw();
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { error } = await timed(call);
        if (error === undefined) break;
        assert.ok(Date.now() < deadline, 'works again within 10 s of the thaw');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('TikTokTokenManager on RedisTokenStore: 503 SERVICE_UNAVAILABLE within commandTimeoutMs', async () => {
      const openId = `hang-${randomBytes(4).toString('hex')}`;
      const logger = new CaptureLogger();
      const manager = new TikTokTokenManager({
        client: new FakeTokenClient(openId),
        store: new RedisTokenStore({
          client: redis,
          prefix: 'hang:tokens:',
          encryptionKey: randomBytes(32),
          commandTimeoutMs: COMMAND_TIMEOUT_MS,
          recordCache: false,
        }),
        logger,
      });
      await manager.save(openId, makeTokens(openId));
      await underFreeze(
        () => manager.getAccessToken(openId),
        (error) => {
          assert.ok(error instanceof TikTokAPIError);
          assert.equal(error.code, 'SERVICE_UNAVAILABLE');
          assert.equal(error.retryable, true);
        },
      );
      assert.match(logger.text(), /RedisCommandTimeoutError: Redis did not answer within 300 ms/);
      await redis.del(`hang:tokens:${openId}`);
    });

    it('RedisClaimStore: the claim fails within commandTimeoutMs (the callback answers 503)', async () => {
      const claims = new RedisClaimStore({
        client: redis,
        prefix: 'hang:claim:',
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      await underFreeze(
        () => claims.claim(randomBytes(8).toString('hex'), 60_000),
        // The public class: code calling a store itself can tell a hang from other failures.
        (error) => assert.ok(error instanceof RedisCommandTimeoutError, String(error)),
      );
      for (const key of await redis.keys('hang:claim:*')) await redis.del(key);
    });

    it('a claim or lock whose SET timed out does not land for good once Redis answers', async () => {
      const claims = new RedisClaimStore({
        client: redis,
        prefix: 'hang:late:',
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      const store = new RedisTokenStore({
        client: redis,
        prefix: 'hang:late:tokens:',
        allowPlaintext: true,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      server.freeze();
      try {
        await assert.rejects(claims.claim('state-hash', 600_000), {
          name: 'RedisCommandTimeoutError',
        });
        await assert.rejects(store.acquireLock('user-1', 15_000), {
          name: 'RedisCommandTimeoutError',
        });
      } finally {
        server.thaw();
      }
      // The SETs run when Redis answers again, and the take-backs right after them.
      const deadline = Date.now() + 10_000;
      while ((await timed(() => redis.ping())).error !== undefined) {
        assert.ok(Date.now() < deadline, 'Redis back');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await redis.exists(['hang:late:state-hash', 'hang:late:tokens:lock:user-1']), 0);
      // The login's retry (and TikTok's webhook retry) can claim it; the user's refresh can lock.
      assert.equal(await claims.claim('state-hash', 60_000), true);
      assert.equal(typeof (await store.acquireLock('user-1', 15_000)), 'string');
      await redis.del(['hang:late:state-hash', 'hang:late:tokens:lock:user-1']);
    });

    it('RedisRemovalList: a check fails within commandTimeoutMs', async () => {
      const removals = new RedisRemovalList({
        client: redis,
        prefix: 'hang:removed:',
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      await underFreeze(
        () => removals.removedAt('someone'),
        (error) => assert.equal((error as Error).name, 'RedisCommandTimeoutError'),
      );
    });

    it('commandTimeoutMs must be an integer from 1 to 2^31 - 1', () => {
      for (const commandTimeoutMs of [0, 1.5, 2 ** 31]) {
        assert.throws(
          () => new RedisClaimStore({ client: redis, commandTimeoutMs }),
          /RedisClaimStore option commandTimeoutMs must be an integer from 1 to 2147483647/,
        );
        assert.throws(
          () => new RedisRemovalList({ client: redis, commandTimeoutMs }),
          /RedisRemovalList option commandTimeoutMs/,
        );
        assert.throws(
          () => new RedisTokenStore({ client: redis, allowPlaintext: true, commandTimeoutMs }),
          /RedisTokenStore option commandTimeoutMs/,
        );
      }
    });
  });
});
