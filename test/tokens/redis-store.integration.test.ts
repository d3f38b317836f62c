import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RESP_TYPES } from 'redis';
import { TikTokAPIError } from '../../lib/errors';
import { TokenCipher } from '../../lib/tokens/cipher';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import { makeTokens } from '../support/token-fixtures';
import { type TestRedis, useTestRedis } from '../support/redis';

const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32).toString('base64');

describe('RedisTokenStore', () => {
  const testRedis = useTestRedis();
  const prefix = testRedis.prefix;
  let redis: TestRedis;
  let n = 0;
  const user = (): string => `redis-user-${++n}`;

  before(() => {
    redis = testRedis.redis;
  });

  /** Everything Redis holds for the record, as one string (for "no token in there" scans). */
  async function rawRecord(store: RedisTokenStore, openId: string): Promise<string> {
    return JSON.stringify(await redis.hGetAll(store.recordKey(openId)));
  }

  describe('constructed', () => {
    it('requires a client, refuses an empty prefix and both key options', () => {
      assert.throws(() => new RedisTokenStore({} as never), /requires a client option/);
      assert.throws(
        () => new RedisTokenStore({ client: redis, prefix: '', allowPlaintext: true }),
        /prefix must be a non-empty string/,
      );
      assert.throws(
        () =>
          new RedisTokenStore({
            client: redis,
            encryptionKey: OLD_KEY,
            keys: { current: OLD_KEY },
          }),
        /either encryptionKey or keys/,
      );
      assert.throws(
        () => new RedisTokenStore({ client: redis, encryptionKey: 'too short' }),
        /encryptionKey must be a 32-byte key/,
      );
      assert.throws(
        () => new RedisTokenStore({ client: redis, keys: { current: OLD_KEY, previous: ['x'] } }),
        /keys.previous\[0\] must be a 32-byte key/,
      );
    });

    it('encrypts by default: without encryptionKey, keys or allowPlaintext: true it throws a TypeError saying how to make a key', () => {
      for (const options of [
        { client: redis },
        { client: redis, prefix: 'p:' },
        { client: redis, allowPlaintext: false },
        { client: redis, encryptionKey: undefined },
      ]) {
        assert.throws(
          () => new RedisTokenStore(options),
          (err: unknown) =>
            err instanceof TypeError &&
            /requires an encryptionKey option/.test(err.message) &&
            err.message.includes('openssl rand -base64 32') &&
            err.message.includes('allowPlaintext: true'),
        );
      }
      assert.throws(
        () => new RedisTokenStore({ client: redis, allowPlaintext: 'yes' as never }),
        /allowPlaintext must be a boolean/,
      );
      assert.equal(
        new RedisTokenStore({ client: redis, allowPlaintext: true }).recordKey('a'),
        'tiktok:tokens:a',
        'plaintext only when asked for',
      );
    });

    it("uses the default prefix 'tiktok:tokens:' and <prefix>lock:<openId> for locks", () => {
      const store = new RedisTokenStore({ client: redis, encryptionKey: OLD_KEY });
      assert.equal(store.recordKey('abc'), 'tiktok:tokens:abc');
      assert.equal(store.lockKey('abc'), 'tiktok:tokens:lock:abc');
    });
  });

  describe('layout', () => {
    it('a hash with version and data under <prefix><openId>, expiring a day after the refresh token', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
      const id = user();
      const tokens = makeTokens(id);
      await store.compareAndSet(id, undefined, tokens);
      const hash = await redis.hGetAll(`${prefix}${id}`);
      assert.deepEqual(Object.keys(hash).sort(), ['data', 'version']);
      const ttl = await redis.pTTL(`${prefix}${id}`);
      const expected = (tokens.refresh_expires_at ?? 0) - Date.now() + 24 * 3600_000;
      assert.ok(Math.abs(ttl - expected) < 5000, `ttl ${ttl} ~ ${expected}`);
    });

    it('a refresh token without a known lifetime: kept a year past the access token, plus the day', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
      const id = user();
      const tokens = makeTokens(id, {
        refresh_expires_at: undefined,
        refresh_expires_in: undefined,
      });
      await store.compareAndSet(id, undefined, tokens);
      const ttl = await redis.pTTL(`${prefix}${id}`);
      const expected = tokens.expires_at - Date.now() + 365 * 24 * 3600_000 + 24 * 3600_000;
      assert.ok(Math.abs(ttl - expected) < 5000, `ttl ${ttl} ~ ${expected}`);
    });

    it('no refresh token: a day after the access token', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
      const id = user();
      const tokens = makeTokens(id, {
        refresh_token: undefined,
        refresh_expires_at: undefined,
        refresh_expires_in: undefined,
      });
      await store.compareAndSet(id, undefined, tokens);
      const ttl = await redis.pTTL(`${prefix}${id}`);
      const expected = tokens.expires_at - Date.now() + 24 * 3600_000;
      assert.ok(Math.abs(ttl - expected) < 5000, `ttl ${ttl} ~ ${expected}`);
    });

    it('the lock is SET with a PX expiry', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
      const id = user();
      await store.acquireLock(id, 3000);
      const ttl = await redis.pTTL(store.lockKey(id));
      assert.ok(ttl > 2000 && ttl <= 3000, `ttl ${ttl}`);
    });

    it('works on a client whose replies are Buffers (a Buffer type mapping): save, read, refresh lock, delete', async () => {
      const buffers = redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const store = new RedisTokenStore({ client: buffers, prefix, encryptionKey: OLD_KEY });
      const id = user();
      const tokens = makeTokens(id);
      assert.equal(await store.compareAndSet(id, undefined, tokens), true);
      const read = await store.get(id);
      assert.deepEqual(read?.tokens, tokens);
      const lock = await store.acquireLock(id, 3000);
      assert.equal(typeof lock, 'string');
      await store.releaseLock(id, lock ?? '');
      assert.equal(await redis.exists(store.lockKey(id)), 0);
      assert.equal(await store.delete(id, read?.version), true);
      assert.equal(await store.get(id), undefined);
    });
  });

  describe('encryption at rest', () => {
    it('the bytes in Redis contain no token; the same store reads them back', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      const tokens = makeTokens(id);
      await store.compareAndSet(id, undefined, tokens);
      const raw = await rawRecord(store, id);
      for (const secret of [tokens.access_token, tokens.refresh_token ?? '?'])
        assert.equal(raw.includes(secret), false);
      assert.match(raw, /A256GCM/);
      assert.deepEqual((await store.get(id))?.tokens, tokens);
    });

    it('without encryption the tokens are plain JSON (so the scan above can fail)', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
      const id = user();
      const tokens = makeTokens(id);
      await store.compareAndSet(id, undefined, tokens);
      assert.equal((await rawRecord(store, id)).includes(tokens.access_token), true);
    });

    it('a wrong key: CONFIGURATION_ERROR naming the key id, no token in the message', async () => {
      const id = user();
      const tokens = makeTokens(id);
      await new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY }).compareAndSet(
        id,
        undefined,
        tokens,
      );
      const wrong = new RedisTokenStore({ client: redis, prefix, encryptionKey: NEW_KEY });
      await assert.rejects(wrong.get(id), (err: unknown) => {
        assert.ok(err instanceof TikTokAPIError);
        assert.equal(err.code, 'CONFIGURATION_ERROR');
        assert.equal(err.statusCode, 500);
        assert.match(
          err.message,
          /encrypted with key id [0-9a-f]{16}, which is neither keys.current nor one of keys.previous/,
        );
        assert.equal(err.message.includes(tokens.access_token), false);
        return true;
      });
    });

    it('rotation: old records stay readable and are re-encrypted with the current key on the next write', async () => {
      const id = user();
      const oldStore = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      await oldStore.compareAndSet(id, undefined, makeTokens(id));
      const kid = async (): Promise<unknown> =>
        (
          JSON.parse((await redis.hGet(oldStore.recordKey(id), 'data')) ?? '{}') as Record<
            string,
            unknown
          >
        ).kid;
      const oldKid = await kid();
      const rotated = new RedisTokenStore({
        client: redis,
        prefix,
        keys: { current: NEW_KEY, previous: [OLD_KEY] },
      });
      const record = await rotated.get(id);
      assert.ok(record !== undefined, 'readable with the previous key');
      const next = makeTokens(id);
      assert.equal(await rotated.compareAndSet(id, record.version, next), true);
      assert.notEqual(await kid(), oldKid);
      const newOnly = new RedisTokenStore({ client: redis, prefix, encryptionKey: NEW_KEY });
      assert.deepEqual(
        (await newOnly.get(id))?.tokens,
        next,
        'the previous key is no longer needed',
      );
      await assert.rejects(oldStore.get(id), { code: 'CONFIGURATION_ERROR' });
    });
  });

  describe('data that is not ours', () => {
    for (const [what, fields] of [
      ['data that is not JSON', { version: 'v', data: 'not json' }],
      [
        'tokens missing a field',
        { version: 'v', data: JSON.stringify({ v: 1, tokens: { access_token: 'x' } }) },
      ],
      ['a hash without version', { data: '{}' }],
    ] as const) {
      it(`${what}: CONFIGURATION_ERROR`, async () => {
        const store = new RedisTokenStore({ client: redis, prefix, allowPlaintext: true });
        const id = user();
        await redis.hSet(store.recordKey(id), fields);
        await assert.rejects(store.get(id), {
          name: 'TikTokAPIError',
          code: 'CONFIGURATION_ERROR',
        });
      });
    }
  });
  describe('decoded-record cache', () => {
    let decrypts = 0;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(this) below
    const original = TokenCipher.prototype.decrypt;
    beforeEach(() => {
      decrypts = 0;
      TokenCipher.prototype.decrypt = function (
        this: TokenCipher,
        ...args: Parameters<TokenCipher['decrypt']>
      ) {
        decrypts += 1;
        return original.apply(this, args);
      };
    });
    afterEach(() => {
      TokenCipher.prototype.decrypt = original;
    });

    it('decrypts a record once while its version and data are unchanged (one HMGET per read)', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      const tokens = makeTokens(id);
      await store.compareAndSet(id, undefined, tokens);
      const reads = await Promise.all([1, 2, 3, 4].map(() => store.get(id)));
      await store.get(id);
      assert.ok(decrypts <= 4, `concurrent first reads may each decrypt, got ${decrypts}`);
      const before = decrypts;
      for (let i = 0; i < 5; i++) assert.deepEqual((await store.get(id))?.tokens, tokens);
      assert.equal(decrypts, before, 'no decryption for an unchanged record');
      assert.deepEqual(reads[0]?.tokens, tokens);
    });

    it('a new write is decrypted again; a caller changing its copy changes nothing', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const first = await store.get(id);
      first!.tokens.access_token = 'mutated-by-caller';
      const second = await store.get(id);
      assert.notEqual(second?.tokens.access_token, 'mutated-by-caller');
      const next = makeTokens(id);
      assert.equal(await store.compareAndSet(id, second?.version, next), true);
      const before = decrypts;
      assert.deepEqual((await store.get(id))?.tokens, next);
      assert.equal(decrypts, before + 1);
    });

    it('a record altered in Redis under the same version is decoded again and refused', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      await store.get(id);
      const data = await redis.hGet(store.recordKey(id), 'data');
      const envelope = JSON.parse(data ?? '{}') as Record<string, string>;
      const ct = Buffer.from(envelope.ct ?? '', 'base64url');
      ct[0] = (ct[0] ?? 0) ^ 1;
      await redis.hSet(
        store.recordKey(id),
        'data',
        JSON.stringify({ ...envelope, ct: ct.toString('base64url') }),
      );
      await assert.rejects(store.get(id), { code: 'CONFIGURATION_ERROR' });
    });

    /** How many decoded records the store's cache holds (its toJSON() view). */
    function cached(store: RedisTokenStore): unknown {
      const view = store.toJSON().recordCache;
      return typeof view === 'object' && view !== null ? Reflect.get(view, 'entries') : view;
    }

    it('a record deleted by another instance: its decrypted tokens leave this one at the next read', async () => {
      const a = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const b = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      await a.compareAndSet(id, undefined, makeTokens(id));
      assert.ok((await b.get(id)) !== undefined);
      assert.equal(cached(b), 1);
      assert.equal(await a.delete(id), true, 'logout on instance A');
      assert.equal(await b.get(id), undefined);
      assert.equal(cached(b), 0, 'no plaintext kept for a record that is gone');
    });

    it('a record altered in Redis: the tokens decoded from its earlier bytes are dropped', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      await store.get(id);
      assert.equal(cached(store), 1);
      await redis.hSet(store.recordKey(id), 'data', JSON.stringify({ v: 1, tokens: {} }));
      await assert.rejects(store.get(id), { code: 'CONFIGURATION_ERROR' });
      assert.equal(cached(store), 0);
    });

    it('a read in flight while this instance deletes the record caches nothing', async () => {
      const store = new RedisTokenStore({ client: redis, prefix, encryptionKey: OLD_KEY });
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      const read = store.get(id); // its HMGET is sent before the delete's script
      const deleted = store.delete(id);
      assert.ok((await read) !== undefined, 'the read saw the record');
      assert.equal(await deleted, true);
      assert.equal(cached(store), 0, 'the deleted record is not put back into memory');
      assert.equal(await store.get(id), undefined);
    });

    it('recordCache: false decrypts on every read', async () => {
      const store = new RedisTokenStore({
        client: redis,
        prefix,
        encryptionKey: OLD_KEY,
        recordCache: false,
      });
      const id = user();
      await store.compareAndSet(id, undefined, makeTokens(id));
      for (let i = 0; i < 3; i++) await store.get(id);
      assert.equal(decrypts, 3);
    });

    it('refuses recordCache options that are not positive integers', () => {
      assert.throws(
        () =>
          new RedisTokenStore({ client: redis, allowPlaintext: true, recordCache: { ttlMs: -1 } }),
        /recordCache.ttlMs must be a positive integer/,
      );
    });
  });
});
