import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  MemoryTokenStore,
  RedisClaimStore,
  RedisRemovalList,
  RedisTokenStore,
  TikTokClient,
  TikTokStrategy,
  TikTokTokenManager,
} from '../lib';
import * as built from 'passport-tiktok';
import { TokenRecordCache } from '../lib/tokens/record-cache';
import { makeTokens } from './support/token-fixtures';

// What a debug line shows of the package's objects: `console.log(strategy)`, a logger given
// `{ strategy }` as meta, `JSON.stringify(store)`. The client secret, the encryption keys and
// the tokens kept in memory must not be in any of them.
const SECRET = `secret-CANARY-${randomBytes(8).toString('hex')}`;
const KEY = randomBytes(32);
const TOKENS = makeTokens('open-canary', { expires_at: Date.now() + 3600_000 });
const REDIS_PASSWORD = `redis-pass-CANARY-${randomBytes(6).toString('hex')}`;

/** Every form in which the canaries could be written out. */
function canaries(): string[] {
  const bytes = [...KEY.subarray(0, 8)];
  return [
    SECRET,
    SECRET.toLowerCase(),
    Buffer.from(SECRET).toString('base64'),
    REDIS_PASSWORD,
    KEY.toString('base64'),
    KEY.toString('hex'),
    bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '), // <Buffer 0c 68 …>
    bytes.join(','), // JSON of a Buffer: {"type":"Buffer","data":[12,104,…]}
    TOKENS.access_token,
    TOKENS.refresh_token ?? 'no refresh token',
  ];
}

/** The canaries found in `util.inspect` (every depth, hidden fields too) and `JSON.stringify`. */
function shown(value: unknown): string[] {
  const texts = [inspect(value, { depth: Infinity, showHidden: true }), JSON.stringify(value)];
  return canaries().filter((c) => texts.some((t) => t.includes(c)));
}

// A node-redis stand-in holding a password in its options, as a real client does: nothing is
// called, the stores are only made and shown.
const fakeRedis = {
  options: { url: `redis://:${REDIS_PASSWORD}@redis.internal:6379` },
  get: () => Promise.resolve(null),
  del: () => Promise.resolve(null),
  hmGet: () => Promise.resolve(null),
  set: () => Promise.resolve(null),
  eval: () => Promise.resolve(null),
};

describe('inspectsAsJson', () => {
  const client = (): TikTokClient =>
    new TikTokClient({
      clientKey: 'awk_canary',
      clientSecret: SECRET,
      redirectUri: 'https://app.example.com/cb',
    });

  it('TikTokClient: the settings and the key, the secret [REDACTED] (the canary is really held)', () => {
    const c = client();
    // The control: without the view, the secret would be shown.
    assert.ok(inspect(Reflect.get(c, 'secret'), { depth: 5 }).includes(SECRET));
    assert.deepEqual(shown(c), []);
    assert.match(inspect(c), /^TikTokClient \{/);
    const json = JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
    assert.equal(json.clientKey, 'awk_canary');
    assert.equal(json.clientSecret, '[REDACTED]');
    assert.equal(json.tokenURL, 'https://open.tiktokapis.com/v2/oauth/token/');
  });

  it('TikTokClient with credential functions: a resolved secret is not shown either', async () => {
    const c = new TikTokClient({
      clientKey: () => 'awk_fn',
      clientSecret: () => Promise.resolve(SECRET),
      redirectUri: 'https://app.example.com/cb',
      fetch: () => Promise.resolve(new Response('{}')),
    });
    await c.revokeAccess('act.some-token').catch(() => undefined); // resolves both functions
    assert.ok(inspect(Reflect.get(c, 'secret'), { depth: 5 }).includes(SECRET));
    assert.deepEqual(shown(c), []);
    assert.equal((JSON.parse(JSON.stringify(c)) as { clientKey: unknown }).clientKey, '(function)');
  });

  it('MemoryTokenStore and TikTokTokenManager: how many users, never their tokens', async () => {
    const store = new MemoryTokenStore();
    const manager = new TikTokTokenManager({ client: client(), store });
    await manager.save(TOKENS.open_id, TOKENS);
    assert.equal((await store.get(TOKENS.open_id))?.tokens.access_token, TOKENS.access_token);
    assert.deepEqual(shown(store), []);
    assert.deepEqual(shown(manager), []);
    assert.equal(inspect(store), 'MemoryTokenStore { users: 1 }');
  });

  it('RedisTokenStore: the prefix and key ids, never the keys, cached tokens or the Redis client', () => {
    const store = new RedisTokenStore({
      client: fakeRedis,
      encryptionKey: KEY.toString('base64'),
      prefix: 'app:tokens:',
    });
    assert.deepEqual(shown(store), []);
    const json = JSON.parse(JSON.stringify(store)) as Record<string, unknown>;
    assert.equal(json.prefix, 'app:tokens:');
    assert.equal(json.encrypted, true);
    assert.match(String((json.keyIds as unknown[])[0]), /^[0-9a-f]{16}$/);
  });

  it("a subclass (an app's own token store) shows its own name, and still no token", async () => {
    class AuditedTokenStore extends MemoryTokenStore {}
    const store = new AuditedTokenStore();
    await store.compareAndSet(TOKENS.open_id, undefined, TOKENS);
    assert.equal(inspect(store), 'AuditedTokenStore { users: 1 }');
    assert.deepEqual(shown(store), []);
  });

  it('TokenRecordCache (decrypted tokens kept for a few seconds): its size and limits only', () => {
    const cache = new TokenRecordCache();
    cache.set('k', 'v1', 'ciphertext', TOKENS);
    assert.equal(cache.get('k', 'v1', 'ciphertext')?.access_token, TOKENS.access_token);
    assert.deepEqual(shown(cache), []);
    assert.equal(inspect(cache), 'TokenRecordCache { entries: 1, maxEntries: 1000, ttlMs: 30000 }');
  });

  it('RedisClaimStore and RedisRemovalList: their prefix, never the Redis client', () => {
    const claims = new RedisClaimStore({ client: fakeRedis });
    const removals = new RedisRemovalList({ client: fakeRedis });
    // The control: the client's own options do hold the password.
    assert.ok(inspect(fakeRedis).includes(REDIS_PASSWORD));
    assert.deepEqual(shown(claims), []);
    assert.deepEqual(shown(removals), []);
    assert.equal(inspect(claims), "RedisClaimStore { prefix: 'tiktok:claim:' }");
  });

  it('the built package (one bundled file) keeps the class names in what it shows', () => {
    assert.equal(inspect(new built.MemoryTokenStore()), 'MemoryTokenStore { users: 0 }');
    assert.equal(
      inspect(new built.RedisClaimStore({ client: fakeRedis })),
      "RedisClaimStore { prefix: 'tiktok:claim:' }",
    );
    const builtClient = new built.TikTokClient({
      clientKey: 'awk_canary',
      clientSecret: SECRET,
      redirectUri: 'https://app.example.com/cb',
    });
    assert.match(inspect(builtClient), /^TikTokClient \{/);
    assert.deepEqual(shown(builtClient), []);
  });

  it('TikTokStrategy with a token manager: nothing secret anywhere under it', async () => {
    const manager = new TikTokTokenManager({ client: client(), store: new MemoryTokenStore() });
    await manager.save(TOKENS.open_id, TOKENS);
    const strategy = new TikTokStrategy(
      {
        clientKey: 'awk_canary',
        clientSecret: SECRET,
        callbackURL: 'https://app.example.com/cb',
        tokenManager: manager,
        claimStore: new RedisClaimStore({ client: fakeRedis }),
      },
      (_accessToken, _refreshToken, profile, done) => {
        done(null, profile);
      },
    );
    assert.deepEqual(shown(strategy), []);
  });
});
