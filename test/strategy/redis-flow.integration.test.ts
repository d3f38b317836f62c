import assert from 'node:assert/strict';
import { RedisStore } from 'connect-redis';
import request from 'supertest';
import { RedisClaimStore } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { holdNextLoads } from '../support/barrier-store';
import { realNow } from '../support/clock';
import { field } from '../support/json';
import {
  browser,
  CALLBACK_URL,
  consent,
  EXPRESS_VERSIONS,
  login,
  startLogin,
  startLoginApp,
  stateOf,
  type LoginApp,
} from '../support/login';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from '../support/redis';

describe('TikTokStrategy', () => {
  for (const version of EXPRESS_VERSIONS) {
    describe(`login flow with connect-redis sessions (${version})`, function () {
      let redis: TestRedis | undefined;
      let prefix: string;
      let store: RedisStore;
      let tt: TikTokEmulator;
      let instanceA: LoginApp;
      let instanceB: LoginApp;

      before(async function () {
        redis = await connectTestRedis(this);
        prefix = uniquePrefix();
        store = new RedisStore({ client: redis, prefix: `${prefix}sess:` });
        tt = await startTikTokEmulator({
          autoApprove: true,
          clock: realNow,
          redirectUris: [CALLBACK_URL],
        });
        // Two app instances behind one load balancer: same session store, own strategies.
        const claimStore = (): RedisClaimStore =>
          new RedisClaimStore({ client: redis!, prefix: `${prefix}claim:` });
        instanceA = await startLoginApp({
          tt,
          express: version,
          store,
          strategy: { claimStore: claimStore() },
        });
        instanceB = await startLoginApp({
          tt,
          express: version,
          store,
          strategy: { claimStore: claimStore() },
        });
      });
      after(async () => {
        await instanceA?.close();
        await instanceB?.close();
        await tt?.close();
        if (redis?.isOpen) {
          await deleteKeys(redis, prefix);
          assert.equal((await redis.keys(`${prefix}*`)).length, 0);
          redis.destroy();
        }
      });
      beforeEach(() => tt.reset());

      describe('start → consent → callback → logout', () => {
        const agentOf = (): ReturnType<typeof browser> => browser(instanceA.server);
        let agent: ReturnType<typeof browser>;
        before(() => {
          agent = agentOf();
        });

        it('logs in with the session in Redis under the test prefix', async () => {
          const res = await login(agent);
          assert.equal(res.status, 302);
          const me = await agent.get('/me');
          assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
          const stored = await redis!.get(`${prefix}sess:${String(field(me.body, 'sessionID'))}`);
          assert.ok(stored !== null && stored.includes('emulator-open-id-1'));
        });

        it('logs out', async () => {
          assert.deepEqual((await agent.post('/logout')).body, { ok: true });
          assert.equal(field((await agent.get('/me')).body, 'user'), null);
        });
      });

      describe('across instances', () => {
        it('a login started on instance A completes on instance B', async () => {
          const agent = browser(instanceA.server);
          const start = await agent.get('/auth/tiktok');
          const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
          const callback = await consent(new URL(String(start.headers.location)));
          const res = await request(instanceB.server).get(callback).set('Cookie', cookie);
          assert.equal(res.status, 302, res.text);
          assert.equal(tt.count('token'), 1);
        });

        it('concurrent callbacks with one state on A and B → exactly one token call', async () => {
          const agent = browser(instanceA.server);
          const start = await agent.get('/auth/tiktok');
          const cookie = String(start.headers['set-cookie']).split(';')[0] ?? '';
          const authorize = new URL(String(start.headers.location));
          const callback = await consent(authorize);
          holdNextLoads(store, 2);
          const responses = await Promise.all([
            request(instanceA.server).get(callback).set('Cookie', cookie),
            request(instanceB.server).get(callback).set('Cookie', cookie),
          ]);
          assert.deepEqual(responses.map((r) => r.status).sort(), [302, 400]);
          assert.equal(tt.count('token'), 1);
          const claimKeys = await redis!.keys(`${prefix}claim:*`);
          assert.ok(claimKeys.length >= 1);
          assert.ok(
            claimKeys.every((k) => !k.includes(stateOf(authorize))),
            'no raw state in Redis',
          );
        });
      });

      describe('callback input with a Redis session', () => {
        it('reload replay → 400 INVALID_STATE, no second token call', async () => {
          const agent = browser(instanceB.server);
          const callback = await consent(await startLogin(agent));
          assert.equal((await agent.get(callback)).status, 302);
          assert.equal((await agent.get(callback)).status, 400);
          assert.equal(tt.count('token'), 1);
        });
      });
    });
  }
});
