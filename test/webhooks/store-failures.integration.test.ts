import assert from 'node:assert/strict';
import express from 'express';
import { RedisClaimStore, RedisRemovalList, tiktokWebhook } from '../../lib';
import { signTikTokWebhook } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { useTestRedis, type TestRedis } from '../support/redis';
import { NOW_MS, NOW_S, postWebhook, webhookBody, WEBHOOK_SECRET } from '../support/webhooks';

const USER = 'open-id-webhook-1';

/**
 * The node-redis client shared by the claim store and the removal list (as docs/webhooks.md
 * mounts them), dropping its connection right after its n-th command reached Redis: every later
 * command fails at once (`disableOfflineQueue`) until `reconnect()`.
 */
function droppingClient(redis: TestRedis, n: number) {
  let down = false;
  let calls = 0;
  const lost = (): Promise<never> => Promise.reject(new Error('The client is closed'));
  const send = async <T>(run: () => Promise<T>): Promise<T> => {
    if (down) return lost();
    const reply = await run();
    calls += 1;
    if (calls === n) down = true;
    return reply;
  };
  return {
    set: (key: string, value: string, options: Parameters<TestRedis['set']>[2]) =>
      send(() => redis.set(key, value, options)),
    del: (key: string) => send(() => redis.del(key)),
    get: (key: string) => send(() => redis.get(key)),
    exists: (key: string) => send(() => redis.exists(key)),
    eval: (script: string, options: { keys: string[]; arguments: string[] }) =>
      send(() => redis.eval(script, options)),
    reconnect: () => {
      down = false;
      calls = Number.NEGATIVE_INFINITY; // no second drop
    },
  };
}

describe('tiktokWebhook', () => {
  describe('on Redis, when the connection drops halfway through a delivery', function () {
    this.timeout(30_000);
    const test = useTestRedis();

    // A delivery sends five commands (lease, done-marker lookup, removal, done marker, lease
    // release): whichever the connection drops after, TikTok's retry leaves the removal applied.
    for (let n = 1; n <= 5; n++) {
      it(`dropped after command ${n}: after TikTok's retry the removal is recorded`, async () => {
        const prefix = `${test.prefix}drop${n}:`;
        const client = droppingClient(test.redis, n);
        const removals = new RedisRemovalList({ client, prefix: `${prefix}removed:` });
        const app = express();
        app.post(
          '/webhooks/tiktok',
          tiktokWebhook({
            clientSecret: WEBHOOK_SECRET,
            removals,
            claimStore: new RedisClaimStore({ client, prefix: `${prefix}claim:` }),
            logger: new CaptureLogger(),
            now: () => NOW_MS,
          }),
        );
        const body = webhookBody();
        const first = await postWebhook(app, body);
        assert.ok([200, 503].includes(first.status), `first answered ${first.status}`);
        client.reconnect();
        // TikTok retries later: by then a lease the drop left behind has run out (deleted here).
        for await (const keys of test.redis.scanIterator({
          MATCH: `${prefix}claim:*:processing`,
        })) {
          for (const key of [keys].flat()) await test.redis.del(key);
        }
        const retry = await postWebhook(
          app,
          body,
          signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S),
        ).expect(200);
        assert.equal(
          await removals.removedAt(USER),
          NOW_MS,
          `removal lost (first ${first.status}, retry duplicate=${String(field(retry.body, 'duplicate'))})`,
        );
        const again = await postWebhook(app, body).expect(200);
        assert.equal(field(again.body, 'duplicate'), true);
      });
    }
  });
});
