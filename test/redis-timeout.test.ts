import assert from 'node:assert/strict';
import { RedisCommandTimeoutError, withinTimeout } from '../lib/redis-timeout';
import { runScript } from './support/script-process';

const never = (): Promise<never> => new Promise<never>(() => undefined);
const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => ({ value }),
    (err: unknown) => err,
  );

describe('redis-timeout', () => {
  describe('withinTimeout', () => {
    it("a command's own outcome wins before the deadline, a rejection that is not an Error is wrapped", async () => {
      assert.deepEqual(await outcome(withinTimeout(Promise.resolve(7), 5000)), { value: 7 });
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a client rejecting with a string
      const err = await outcome(withinTimeout(Promise.reject('READONLY'), 5000));
      assert.ok(err instanceof Error && err.message === 'READONLY');
    });

    it('each hung command fails at its own deadline, whatever answered around it', async () => {
      const started = performance.now();
      const first = outcome(withinTimeout(never(), 60));
      // Thousands answered behind a hung one: they must not wait for it, nor delay later ones.
      const answered = await Promise.all(
        Array.from({ length: 5000 }, (_, i) => withinTimeout(Promise.resolve(i), 60)),
      );
      assert.equal(answered[4999], 4999);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const secondSent = performance.now();
      const second = outcome(withinTimeout(never(), 60));
      const firstErr = await first;
      const firstAt = performance.now() - started;
      assert.ok(firstErr instanceof RedisCommandTimeoutError, String(firstErr));
      assert.match(firstErr.message, /within 60 ms \(commandTimeoutMs\)/);
      const secondErr = await second;
      const secondAt = performance.now() - secondSent;
      assert.ok(secondErr instanceof RedisCommandTimeoutError);
      // Not before the deadline; and the second is not failed together with the first.
      assert.ok(firstAt >= 59, `first failed after ${firstAt} ms`);
      assert.ok(secondAt >= 59, `second failed ${secondAt} ms after it was sent`);
    });

    it('commands of different timeouts keep their own deadlines', async () => {
      const sent = performance.now();
      const long = outcome(withinTimeout(never(), 150));
      const short = outcome(withinTimeout(never(), 20));
      assert.ok((await short) instanceof RedisCommandTimeoutError);
      const shortAt = performance.now() - sent;
      assert.ok((await long) instanceof RedisCommandTimeoutError);
      const longAt = performance.now() - sent;
      assert.ok(shortAt >= 19 && shortAt < 140, `short after ${shortAt} ms`);
      assert.ok(longAt >= 149, `long after ${longAt} ms`);
    });

    it('in a script with nothing else to do, a store call on a command that hangs still fails', async () => {
      // A client whose command waits on nothing the event loop sees (a node-redis client after
      // unref() on a Redis that hangs): the command timeout is what settles the await.
      const outcome = await runScript(`
        const { TikTokTokenManager, RedisTokenStore } = require('./lib');
        const never = () => new Promise(() => undefined);
        const store = new RedisTokenStore({
          client: { hmGet: never, set: never, eval: never },
          allowPlaintext: true,
          commandTimeoutMs: 200,
        });
        const tokens = new TikTokTokenManager({
          client: { refreshAccessToken: never, revokeAccess: never },
          store,
        });
        tokens.getAccessToken('open-id-1')
          .then(() => console.log('resolved'), (err) => console.log(err.code));
      `);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.stdout.trim(), 'SERVICE_UNAVAILABLE', outcome.stderr);
      assert.equal(outcome.code, 0);
    });
  });
});
