import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { emulatorClient, expiredGrant, waitFor } from '../support/token-fixtures';
import { TokenWorker } from '../support/token-processes';
import {
  connectTestRedis,
  deleteKeys,
  REDIS_URL,
  uniquePrefix,
  type TestRedis,
} from '../support/redis';
import type { TokenWorkerConfig } from '../support/token-worker';

const KEY_HEX = 'ab'.repeat(32);
const isRefresh = (r: { grantType?: string }): boolean => r.grantType === 'refresh_token';

describe('TikTokTokenManager', () => {
  describe('across processes sharing Redis', function () {
    this.timeout(20_000);
    let tt: TikTokEmulator;
    let redis: TestRedis;
    let store: RedisTokenStore;
    const prefix = uniquePrefix();
    const workers: TokenWorker[] = [];

    before(async function () {
      redis = await connectTestRedis(this);
      store = new RedisTokenStore({ client: redis, prefix, encryptionKey: KEY_HEX });
      tt = await startTikTokEmulator();
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      await tt?.close();
      if (redis === undefined) return;
      await deleteKeys(redis, prefix);
      await redis.close();
    });
    beforeEach(() => tt.reset());

    function worker(openId: string, extra: Partial<TokenWorkerConfig> = {}): TokenWorker {
      const w = new TokenWorker({
        redisUrl: REDIS_URL,
        prefix,
        encryptionKeyHex: KEY_HEX,
        openId,
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        tokenURL: tt.endpoints.tokenURL,
        revokeURL: tt.endpoints.revokeURL,
        calls: 50,
        lockTtlMs: 15_000,
        ...extra,
      });
      workers.push(w);
      return w;
    }

    const refreshCalls = (): number => tt.count('token', { grantType: 'refresh_token' });

    it('two processes × 50 concurrent getAccessToken for one expired user: one refresh call', async () => {
      const openId = tt.addUser().openId;
      const manager = new TikTokTokenManager({ client: emulatorClient(tt), store });
      await manager.save(openId, expiredGrant(tt, openId));
      // A slow TikTok makes the overlap certain: the second process must find the lock taken,
      // even when a busy machine starts it a few hundred ms after the first.
      tt.inject('token', { delayMs: 1500, match: isRefresh });
      const pair = [worker(openId), worker(openId)];
      await Promise.all(pair.map((w) => w.ready()));
      for (const w of pair) w.go();
      const [a, b] = await Promise.all(pair.map((w) => w.result()));
      assert.ok(a !== undefined && b !== undefined);
      assert.equal(refreshCalls(), 1);
      assert.deepEqual([...a.errors, ...b.errors], []);
      const stored = (await store.get(openId))?.tokens.access_token;
      assert.deepEqual(new Set([...a.tokens, ...b.tokens]), new Set([stored]));
      assert.equal(a.tokens.length + b.tokens.length, 100);
      const outcomes = [a.outcomes, b.outcomes];
      assert.equal(
        outcomes.reduce((n, o) => n + (o.success ?? 0), 0),
        1,
        'one process refreshed',
      );
      assert.deepEqual(
        outcomes.flatMap((o) => Object.keys(o)).sort(),
        ['shared', 'success'],
        'the other shared its result',
      );
    });

    it('a lock holder killed mid-refresh: the lock expires, another refreshes, the stale CAS fails', async () => {
      const openId = tt.addUser().openId;
      const lockTtlMs = 1500;
      const manager = new TikTokTokenManager({ client: emulatorClient(tt), store, lockTtlMs });
      await manager.save(openId, expiredGrant(tt, openId));
      const before = await store.get(openId);
      assert.ok(before !== undefined);
      tt.inject('token', { hang: true, match: isRefresh });
      const holder = worker(openId, { calls: 1, lockTtlMs });
      await holder.ready();
      holder.go();
      await waitFor(() => refreshCalls() === 1, 10_000, "the holder's refresh request");
      assert.equal(await redis.exists(store.lockKey(openId)), 1, 'the holder has the lock');
      await holder.kill(); // dies holding the lock, its TikTok request unanswered

      const lockLeft = await redis.pTTL(store.lockKey(openId));
      assert.ok(lockLeft > 0, 'the dead holder still has the lock');
      const started = Date.now();
      const access = await manager.getAccessToken(openId);
      const waited = Date.now() - started;
      assert.ok(
        waited >= lockLeft - 50,
        `waited for the lock to expire (${waited} ms >= ${lockLeft} ms)`,
      );
      assert.ok(waited < lockTtlMs + 2000, `took over soon after (${waited} ms)`);
      assert.equal(refreshCalls(), 2);
      const after = await store.get(openId);
      assert.equal(after?.tokens.access_token, access);
      assert.equal((await emulatorClient(tt).getUserInfo(access)).open_id, openId);

      // The dead holder's write, had it come back, is refused: the version it read is gone.
      assert.equal(await store.compareAndSet(openId, before.version, before.tokens), false);
      assert.deepEqual((await store.get(openId))?.tokens, after?.tokens);
    });
  });
});
