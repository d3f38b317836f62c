import assert from 'node:assert/strict';
import { ErrorReply } from 'redis';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { makeTokens } from '../support/token-fixtures';
import { EXPIRED, managerHarness } from '../support/token-harness';
import { useTestRedis } from '../support/redis';

// Redis refusing writes for a moment while a refresh stores the rotated tokens: TikTok has
// already invalidated the old refresh token, so the write must be retried within the lease.
describe('RedisTokenStore', () => {
  describe('writes refused for a moment during a refresh', () => {
    const test = useTestRedis();

    const refusals: ReadonlyArray<readonly [string, string]> = [
      // Redis before 7 wraps an error raised inside a script in ERR (a demoted primary during a
      // Sentinel or managed failover).
      [
        'READONLY inside a script, as Redis 6 wraps it',
        "ERR Error running script (call to f_1028a5dba704e1d8a01fd96efeba25bb78f62df2): @user_script:8: @user_script: 8: -READONLY You can't write against a read only replica.",
      ],
      [
        'MISCONF (an RDB save failing)',
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled.",
      ],
      // Looks permanent, but a refresh retries whatever the store answers while the lease lasts.
      ['NOPERM for a moment', 'NOPERM this user has no permissions to run the eval command'],
    ];
    for (const [name, message] of refusals) {
      it(`${name} for 200 ms: the rotated tokens are stored and served`, async () => {
        let refuseUntil = 0;
        let refused = 0;
        const { redis } = test;
        const client = {
          hmGet: (key: string, fields: string[]) => redis.hmGet(key, fields),
          set: (key: string, value: string, options: { NX: true; PX: number }) =>
            redis.set(key, value, options),
          eval: (script: string, options: { keys: string[]; arguments: string[] }) => {
            if (Date.now() < refuseUntil && script.includes('HSET')) {
              refused += 1;
              return Promise.reject(new ErrorReply(message));
            }
            return redis.eval(script, options);
          },
        };
        const store = new RedisTokenStore({ client, prefix: test.prefix, allowPlaintext: true });
        const h = managerHarness({ store });
        await h.seed(EXPIRED);
        const fresh = makeTokens(h.openId);
        h.client.onRefresh = () => {
          refuseUntil = Date.now() + 200;
          return Promise.resolve(fresh);
        };
        assert.equal(await h.manager.getAccessToken(h.openId), fresh.access_token);
        assert.ok(refused >= 1, 'the write was refused at least once');
        assert.equal((await store.get(h.openId))?.tokens.refresh_token, fresh.refresh_token);
      });
    }

    it('reads MISCONF, a wrapped READONLY and ERR max number of clients as unavailable (503), WRONGTYPE as configuration', async () => {
      const { redis } = test;
      const failing = (message: string) =>
        new RedisTokenStore({
          client: {
            hmGet: () => Promise.reject(new ErrorReply(message)),
            set: (key, value, options) => redis.set(key, value, options),
            eval: (script, options) => redis.eval(script, options),
          },
          prefix: test.prefix,
          allowPlaintext: true,
        });
      const codeOf = async (message: string): Promise<unknown> => {
        const err: unknown = await failing(message)
          .get('u')
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        return err instanceof Error && 'code' in err ? err.code : 'not a TikTokAPIError';
      };
      assert.equal(
        await codeOf('MISCONF Redis is configured to save RDB snapshots'),
        'not a TikTokAPIError',
      );
      assert.equal(
        await codeOf(
          "ERR Error running script (call to f_1): @user_script:8: -READONLY You can't write",
        ),
        'not a TikTokAPIError',
      );
      // Every connection slot taken: Redis says so with a bare ERR, and it passes.
      assert.equal(await codeOf('ERR max number of clients reached'), 'not a TikTokAPIError');
      // A WAIT (minReplicas) that a failover unblocked.
      assert.equal(
        await codeOf(
          'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
        ),
        'not a TikTokAPIError',
      );
      assert.equal(await codeOf('ERR unknown command'), 'CONFIGURATION_ERROR');
      assert.equal(await codeOf('WRONGTYPE Operation against a key'), 'CONFIGURATION_ERROR');
      assert.equal(
        await codeOf('ERR Error running script (call to f_1): @user_script:3: -WRONGTYPE x'),
        'CONFIGURATION_ERROR',
      );
    });
  });
});
