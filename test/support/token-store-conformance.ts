import assert from 'node:assert/strict';
import type { TokenStore } from '../../lib/tokens/store';
import { makeTokens, sleep } from './token-fixtures';

/** How a conformance run gets a store: a fresh one (or a fresh key space) per call. */
export type StoreFactory = () => TokenStore;

/**
 * The TokenStore contract, run for every implementation (MemoryTokenStore, RedisTokenStore) so
 * they cannot drift apart. Call inside a `describe`; `factory` is called in each test.
 */
export function behavesLikeATokenStore(factory: StoreFactory): void {
  let n = 0;
  const user = (): string => `conformance-user-${++n}-${Math.random().toString(36).slice(2)}`;

  describe('records', () => {
    it('get of an unknown user is undefined', async () => {
      assert.equal(await factory().get(user()), undefined);
    });

    it('compareAndSet(undefined) creates; get returns the same tokens and a version', async () => {
      const store = factory();
      const id = user();
      const tokens = makeTokens(id);
      assert.equal(await store.compareAndSet(id, undefined, tokens), true);
      const record = await store.get(id);
      assert.ok(record !== undefined);
      assert.deepEqual(record.tokens, tokens);
      assert.equal(typeof record.version, 'string');
      assert.ok(record.version.length > 0);
    });

    it('compareAndSet(undefined) refuses when a record exists', async () => {
      const store = factory();
      const id = user();
      const first = makeTokens(id);
      await store.compareAndSet(id, undefined, first);
      assert.equal(await store.compareAndSet(id, undefined, makeTokens(id)), false);
      assert.deepEqual((await store.get(id))?.tokens, first);
    });

    it('writes with the current version, and every write changes the version', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const v1 = (await store.get(id))?.version;
      const second = makeTokens(id);
      assert.equal(await store.compareAndSet(id, v1, second), true);
      const record = await store.get(id);
      assert.deepEqual(record?.tokens, second);
      assert.notEqual(record?.version, v1);
    });

    it('a stale writer (old version) is refused and changes nothing', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const stale = (await store.get(id))?.version;
      const winner = makeTokens(id);
      assert.equal(await store.compareAndSet(id, stale, winner), true);
      assert.equal(await store.compareAndSet(id, stale, makeTokens(id)), false);
      assert.deepEqual((await store.get(id))?.tokens, winner);
    });

    it('of concurrent writers with the same version exactly one wins', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const version = (await store.get(id))?.version;
      const candidates = Array.from({ length: 10 }, () => makeTokens(id));
      const results = await Promise.all(candidates.map((t) => store.compareAndSet(id, version, t)));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = candidates[results.indexOf(true)];
      assert.deepEqual((await store.get(id))?.tokens, winner);
    });

    it('a version does not come back after delete and re-create (no ABA)', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const old = (await store.get(id))?.version;
      assert.equal(await store.delete(id), true);
      await store.compareAndSet(id, undefined, makeTokens(id));
      assert.notEqual((await store.get(id))?.version, old);
      assert.equal(await store.compareAndSet(id, old, makeTokens(id)), false);
    });

    it('delete removes; delete of nothing returns false', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      assert.equal(await store.delete(id), true);
      assert.equal(await store.get(id), undefined);
      assert.equal(await store.delete(id), false);
    });

    it('delete with an expected version only deletes that version', async () => {
      const store = factory();
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const old = (await store.get(id))?.version;
      await store.compareAndSet(id, old, makeTokens(id));
      assert.equal(await store.delete(id, old), false);
      assert.notEqual(await store.get(id), undefined);
      assert.equal(await store.delete(id, (await store.get(id))?.version), true);
      assert.equal(await store.get(id), undefined);
    });

    it('keeps users apart', async () => {
      const store = factory();
      const [a, b] = [user(), user()];
      const ta = makeTokens(a);
      await store.compareAndSet(a, undefined, ta);
      assert.equal(await store.get(b), undefined);
      await store.delete(b);
      assert.deepEqual((await store.get(a))?.tokens, ta);
    });

    it('keeps optional fields absent, not undefined or null', async () => {
      const store = factory();
      const id = user();
      const tokens = makeTokens(id);
      delete tokens.refresh_token;
      delete tokens.refresh_expires_in;
      delete tokens.refresh_expires_at;
      await store.compareAndSet(id, undefined, tokens);
      const read = (await store.get(id))?.tokens;
      assert.deepEqual(read, tokens);
      assert.equal(read !== undefined && 'refresh_token' in read, false);
    });
  });

  describe('locks', () => {
    it('one holder at a time; a second acquire gets undefined', async () => {
      const store = factory();
      const id = user();
      const token = await store.acquireLock(id, 5000);
      assert.equal(typeof token, 'string');
      assert.equal(await store.acquireLock(id, 5000), undefined);
    });

    it('of concurrent acquirers exactly one gets the lock', async () => {
      const store = factory();
      const id = user();
      const tokens = await Promise.all(
        Array.from({ length: 20 }, () => store.acquireLock(id, 5000)),
      );
      assert.equal(tokens.filter((t) => t !== undefined).length, 1);
    });

    it('release frees it for the next holder', async () => {
      const store = factory();
      const id = user();
      const token = await store.acquireLock(id, 5000);
      assert.ok(token !== undefined);
      await store.releaseLock(id, token);
      assert.equal(typeof (await store.acquireLock(id, 5000)), 'string');
    });

    it('expires on its own after the TTL (a dead holder cannot block forever)', async () => {
      const store = factory();
      const id = user();
      // 500 ms: long enough that the second attempt (after a SET and a WAIT for a replica on a
      // cluster) comes while the first lock is held, on a busy machine too.
      assert.ok((await store.acquireLock(id, 500)) !== undefined);
      assert.equal(await store.acquireLock(id, 500), undefined);
      await sleep(600);
      assert.equal(typeof (await store.acquireLock(id, 5000)), 'string');
    });

    it("a stale holder's release does not free the new holder's lock", async () => {
      const store = factory();
      const id = user();
      const stale = await store.acquireLock(id, 50);
      assert.ok(stale !== undefined);
      await sleep(100);
      const current = await store.acquireLock(id, 5000);
      assert.ok(current !== undefined);
      await store.releaseLock(id, stale);
      assert.equal(
        await store.acquireLock(id, 5000),
        undefined,
        'still held by the current holder',
      );
    });

    it("extendLock renews the holder's lease, and nobody else's", async () => {
      const store = factory();
      assert.ok(store.extendLock !== undefined, 'the store can extend its locks');
      const id = user();
      const token = await store.acquireLock(id, 400);
      assert.ok(token !== undefined);
      assert.equal(await store.extendLock(id, 'not-the-holder', 5000), false);
      assert.equal(await store.extendLock(id, token, 5000), true);
      await sleep(600); // past the first lease: still held, renewed
      assert.equal(await store.acquireLock(id, 5000), undefined);
      await store.releaseLock(id, token);
      assert.equal(await store.extendLock(id, token, 5000), false, 'released: nothing to extend');
    });

    it('locks are per user', async () => {
      const store = factory();
      assert.ok((await store.acquireLock(user(), 5000)) !== undefined);
      assert.ok((await store.acquireLock(user(), 5000)) !== undefined);
    });
  });
}
