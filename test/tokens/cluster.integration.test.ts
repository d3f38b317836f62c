import assert from 'node:assert/strict';
import { RedisStore } from 'connect-redis';
import request from 'supertest';
import { createCluster } from 'redis';
import { RedisClaimStore } from '../../lib';
import { readConfig } from '../../example/config';
import { startExample } from '../../example/start';
import { CaptureLogger } from '../support/capture-logger';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { realNow } from '../support/clock';
import { useRedisCluster } from '../support/cluster-suite';
import { field } from '../support/json';
import {
  browser,
  CALLBACK_URL,
  consent,
  login,
  startLoginApp,
  type LoginApp,
} from '../support/login';
import { runRefreshStorm } from '../support/refresh-storm';
import { makeTokens } from '../support/token-fixtures';
import { rejectsWith } from '../support/token-harness';
import { behavesLikeATokenStore } from '../support/token-store-conformance';
import { uniquePrefix } from '../support/redis';

const KEY = Buffer.alloc(32, 9);
type Cluster = ReturnType<typeof createCluster>;

describe('redis-cluster', () => {
  describe('on a Redis Cluster (3 primaries, 3 replicas)', function () {
    this.timeout(60_000);
    const suite = useRedisCluster();
    let redis: Cluster;

    before(async () => {
      redis = createCluster({
        rootNodes: suite.cluster.rootNodes,
        defaults: { disableOfflineQueue: true },
      });
      redis.on('error', () => undefined);
      await redis.connect();
    });
    after(() => {
      redis?.destroy();
    });

    describe('RedisTokenStore, encrypted (conformance)', () => {
      behavesLikeATokenStore(
        () => new RedisTokenStore({ client: redis, prefix: 'conf:', encryptionKey: KEY }),
      );
    });

    describe('RedisTokenStore, encrypted, minReplicas 1 (conformance)', () => {
      behavesLikeATokenStore(
        () =>
          new RedisTokenStore({
            client: redis,
            prefix: 'conf-wait:',
            encryptionKey: KEY,
            minReplicas: 1,
          }),
      );
    });

    describe('RedisTokenStore', () => {
      it("spreads users over every primary; each user's write, lock and delete work there", async () => {
        const store = new RedisTokenStore({ client: redis, prefix: 'spread:', encryptionKey: KEY });
        const ids = Array.from({ length: 30 }, (_, i) => `spread-user-${i}`);
        const slots = await suite.cluster.keySlots(ids.map((id) => store.recordKey(id)));
        const primaries = new Set(await Promise.all(slots.map((s) => suite.cluster.primaryOf(s))));
        assert.equal(primaries.size, 3, 'records on all three primaries');
        for (const id of ids) {
          const tokens = makeTokens(id);
          assert.equal(await store.compareAndSet(id, undefined, tokens), true);
          const record = await store.get(id);
          assert.deepEqual(record?.tokens, tokens);
          const lock = await store.acquireLock(id, 5000);
          assert.ok(lock !== undefined);
          assert.equal(await store.acquireLock(id, 5000), undefined);
          await store.releaseLock(id, lock);
          assert.equal(await store.delete(id, record?.version), true);
        }
      });

      it('minReplicas above the replicas a shard has: SERVICE_UNAVAILABLE after replicationTimeoutMs', async () => {
        const store = new RedisTokenStore({
          client: redis,
          prefix: 'too-many:',
          encryptionKey: KEY,
          minReplicas: 2,
          replicationTimeoutMs: 200,
        });
        const started = Date.now();
        const err = await rejectsWith(
          store.compareAndSet('u1', undefined, makeTokens('u1')),
          'SERVICE_UNAVAILABLE',
        );
        assert.ok(Date.now() - started >= 190, 'waited for the replicas');
        assert.equal(err.retryable, true);
        assert.match(err.message, /did not confirm the tokens on 2 replica\(s\) within 200 ms/);
        await rejectsWith(store.acquireLock('u1', 5000), 'SERVICE_UNAVAILABLE');
        const unlimited = new RedisTokenStore({
          client: redis,
          prefix: 'too-many:',
          encryptionKey: KEY,
        });
        assert.ok(
          (await unlimited.acquireLock('u1', 5000)) !== undefined,
          'a lock whose replication failed is released again',
        );
      });
    });

    describe('RedisClaimStore', () => {
      it('claims once across instances, and again after release', async () => {
        const a = new RedisClaimStore({ client: redis, prefix: 'claims:' });
        const b = new RedisClaimStore({ client: redis, prefix: 'claims:' });
        assert.equal(await a.claim('state-hash-1', 5000), true);
        assert.equal(await b.claim('state-hash-1', 5000), false);
        assert.equal(await b.claim('state-hash-2', 5000), true);
        await a.release('state-hash-1');
        assert.equal(await b.claim('state-hash-1', 5000), true);
      });
    });

    describe('express-session through connect-redis v9', () => {
      let tt: TikTokEmulator;
      let store: RedisStore;
      let instanceA: LoginApp;
      let instanceB: LoginApp;
      before(async () => {
        tt = await startTikTokEmulator({
          autoApprove: true,
          clock: realNow,
          redirectUris: [CALLBACK_URL],
        });
        store = new RedisStore({ client: redis, prefix: 'sess:' });
        const claimStore = new RedisClaimStore({ client: redis, prefix: 'claim:' });
        instanceA = await startLoginApp({ tt, store, strategy: { claimStore } });
        instanceB = await startLoginApp({ tt, store, strategy: { claimStore } });
      });
      after(async () => {
        await instanceA?.close();
        await instanceB?.close();
        await tt?.close();
      });

      it('logs in with the session in the cluster, and out', async () => {
        const agent = browser(instanceA.server);
        assert.equal((await login(agent)).status, 302);
        const me = await agent.get('/me');
        assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
        const stored = await redis.get(`sess:${String(field(me.body, 'sessionID'))}`);
        assert.ok(stored !== null && stored.includes('emulator-open-id-1'));
        assert.deepEqual((await agent.post('/logout')).body, { ok: true });
        assert.equal(field((await agent.get('/me')).body, 'user'), null);
      });

      it('a login started on instance A completes on instance B', async () => {
        const agent = browser(instanceA.server);
        const start = await agent.get('/auth/tiktok');
        const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
        const callback = await consent(new URL(String(start.headers.location)));
        const res = await request(instanceB.server).get(callback).set('Cookie', cookie);
        assert.equal(res.status, 302, res.text);
        const me = await request(instanceB.server).get('/me').set('Cookie', cookie);
        assert.ok(field(me.body, 'user', 'id') !== null);
      });

      it('NOTE: store.length() scans every primary; store.all() fails with CROSSSLOT', async () => {
        for (let i = 0; i < 5; i++)
          assert.equal((await login(browser(instanceA.server))).status, 302);
        const length: unknown = await store.length();
        assert.ok(typeof length === 'number' && length >= 5, `length ${String(length)}`);
        await assert.rejects(store.all(), /CROSSSLOT/);
      });
    });

    describe('the example app with REDIS_CLUSTER_NODES', () => {
      it('keeps its sessions in the cluster and reports it healthy', async () => {
        let printed = '';
        const running = await startExample(
          readConfig({
            PORT: '0',
            HOST: '127.0.0.1',
            EMULATOR_PORT: '0',
            REDIS_CLUSTER_NODES: suite.cluster.nodesEnv,
          }),
          { logger: new CaptureLogger(), print: (text) => (printed += text) },
        );
        try {
          assert.ok(printed.includes(`Sessions: Redis Cluster via redis://127.0.0.1:`), printed);
          const health = await fetch(`${running.url}/healthz`);
          assert.equal(health.status, 200);
          assert.deepEqual(await health.json(), {
            status: 'ok',
            sessions: 'redis',
            redis: 'ok',
            tiktokLogin: 'enabled',
          });
          const start = await fetch(`${running.url}/auth/tiktok`, { redirect: 'manual' });
          assert.equal(start.status, 302);
          const cookie = decodeURIComponent(start.headers.get('set-cookie') ?? '');
          const sid = /^example\.sid=s:([^.]+)\./.exec(cookie)?.[1];
          assert.ok(sid !== undefined, cookie);
          const stored = await redis.get(`passport-tiktok-example:sess:${sid}`);
          assert.ok(
            stored !== null && stored.includes('tiktok'),
            'the pending login is in the cluster',
          );
        } finally {
          await running.close();
        }
      });
    });

    describe('refresh storm without failures', () => {
      let tt: TikTokEmulator;
      before(async () => {
        tt = await startTikTokEmulator();
      });
      after(async () => {
        await tt?.close();
      });

      it('3 processes × 4 concurrent calls for each of 40 expired users: one refresh per user, one token per user', async () => {
        const report = await runRefreshStorm({
          tt,
          redis: { kind: 'cluster', cluster: suite.cluster },
          prefix: uniquePrefix(),
          users: 40,
          processes: 3,
          callsPerUser: 4,
          minReplicas: 1,
          lockTtlMs: 10_000,
          deadlineMs: 20_000,
          refreshDelayMs: 200,
        });
        const summary = JSON.stringify(report);
        assert.equal(report.calls, 40 * 3 * 4, summary);
        assert.equal(report.refreshCalls, 40, summary);
        assert.equal(report.usersWithWrongToken, 0, summary);
        assert.deepEqual(report.failures, {}, summary);
        assert.equal(report.grantsLost, 0, summary);
      });
    });
  });
});
