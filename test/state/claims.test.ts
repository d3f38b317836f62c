import assert from 'node:assert/strict';
import { MemoryClaimStore, RedisClaimStore } from '../../lib';
import { claimKeyForState } from '../../lib/state/claims';

describe('state/claims', () => {
  it('claimKeyForState is the SHA-256 of the state (hex), never the state', () => {
    const key = claimKeyForState('abc');
    assert.equal(key, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  describe('MemoryClaimStore', () => {
    it('the first claim wins until it expires or is released', async () => {
      let now = 1_000;
      const store = new MemoryClaimStore({ now: () => now });
      assert.equal(await store.claim('k', 100), true);
      assert.equal(await store.claim('k', 100), false);
      now = 1_099;
      assert.equal(await store.claim('k', 100), false);
      now = 1_100;
      assert.equal(await store.claim('k', 100), true);
      await store.release('k');
      assert.equal(await store.claim('k', 100), true);
    });

    it('has() tells whether a key is claimed now, without claiming it', async () => {
      let now = 1_000;
      const store = new MemoryClaimStore({ now: () => now });
      assert.equal(await store.has('k'), false);
      assert.equal(store.size, 0, 'has() claimed nothing');
      await store.claim('k', 100);
      assert.equal(await store.has('k'), true);
      now = 1_100;
      assert.equal(await store.has('k'), false, 'expired');
      await store.claim('k', 100);
      await store.release('k');
      assert.equal(await store.has('k'), false);
    });

    it('is bounded: expired claims go first, then the oldest', async () => {
      let now = 0;
      const store = new MemoryClaimStore({ maxEntries: 3, now: () => now });
      await store.claim('a', 10);
      await store.claim('b', 1_000);
      await store.claim('c', 1_000);
      now = 20;
      await store.claim('d', 1_000);
      assert.equal(store.size, 3);
      assert.equal(await store.claim('b', 1_000), false, 'b kept (a had expired)');
      await store.claim('e', 1_000);
      assert.equal(store.size, 3);
      assert.equal(await store.claim('b', 1_000), true, 'b evicted as the oldest');
    });

    it('rejects a bad maxEntries', () => {
      assert.throws(
        () => new MemoryClaimStore({ maxEntries: 0 }),
        /maxEntries must be a positive integer/,
      );
    });
  });

  describe('RedisClaimStore (SET NX PX)', () => {
    it('requires a client', () => {
      assert.throws(() => Reflect.construct(RedisClaimStore, [{}]), /requires a client option/);
    });

    // node-redis v4 reads `{ NX: true, PX }` and ignores v5's `{ condition, expiration }` (and
    // v5 reads its own first): the Redis command each version would send for the claim's options.
    const v4Args = (o: Record<string, unknown>): string[] => [
      ...(typeof o.PX === 'number' ? ['PX', String(o.PX)] : []),
      ...(o.NX === true ? ['NX'] : []),
    ];
    const v5Args = (o: Record<string, unknown>): string[] => {
      const expiration = o.expiration as { type: string; value: number } | undefined;
      const args = expiration === undefined ? [] : [expiration.type, String(expiration.value)];
      if (typeof o.condition === 'string') args.push(o.condition);
      return args;
    };
    for (const [version, argsOf] of [
      ['v4', v4Args],
      ['v5', v5Args],
    ] as const) {
      it(`claims with SET … PX <ttl> NX under node-redis ${version} (never a plain SET that always wins)`, async () => {
        const sent: string[][] = [];
        const held = new Set<string>();
        const client = {
          set: (key: string, _value: string, options: Record<string, unknown>) => {
            const args = argsOf(options);
            sent.push(args);
            if (args.includes('NX') && held.has(key)) return Promise.resolve(null);
            held.add(key);
            return Promise.resolve('OK');
          },
          del: () => Promise.resolve(1),
        };
        const store = new RedisClaimStore({ client });
        assert.equal(await store.claim('k', 1500.2), true);
        assert.equal(await store.claim('k', 1500.2), false, 'the second claim of a key loses');
        assert.deepEqual(sent[0], ['PX', '1501', 'NX']);
      });
    }
  });
});
