import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeKey, TokenCipher } from '../../lib/tokens/cipher';
import { decodeTokens, encodeTokens } from '../../lib/tokens/redis-codec';
import { StoredRecordError } from '../../lib/tokens/token-record';
import { makeTokens } from '../support/token-fixtures';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);

describe('tokens/cipher', () => {
  describe('decodeKey', () => {
    it('accepts a 32-byte Buffer, 64 hex chars, base64 and base64url of 32 bytes, and 32 UTF-8 bytes', () => {
      assert.deepEqual(decodeKey(KEY_A, 'k'), KEY_A);
      assert.deepEqual(decodeKey(KEY_A.toString('hex'), 'k'), KEY_A);
      assert.deepEqual(decodeKey(KEY_A.toString('base64'), 'k'), KEY_A);
      assert.deepEqual(decodeKey(KEY_A.toString('base64url'), 'k'), KEY_A);
      assert.deepEqual(
        decodeKey('0123456789abcdefghijklmnopqrstuv', 'k'),
        Buffer.from('0123456789abcdefghijklmnopqrstuv'),
      );
    });

    for (const bad of [randomBytes(16), 'short', 'a'.repeat(33), 42, undefined]) {
      it(`refuses ${Buffer.isBuffer(bad) ? '16 bytes' : (JSON.stringify(bad) ?? 'undefined')} naming the option`, () => {
        assert.throws(() => decodeKey(bad, 'encryptionKey'), {
          name: 'TypeError',
          message: /RedisTokenStore: encryptionKey must be a 32-byte key/,
        });
      });
    }
  });

  describe('envelope', () => {
    it('is AES-256-GCM JSON with a key id and a fresh 12-byte IV per write', () => {
      const cipher = new TokenCipher({ current: KEY_A });
      const one = cipher.encrypt('secret text', 'aad');
      const two = cipher.encrypt('secret text', 'aad');
      assert.equal(one.v, 1);
      assert.equal(one.alg, 'A256GCM');
      assert.equal(one.kid, cipher.currentKeyId);
      assert.match(cipher.currentKeyId, /^[0-9a-f]{16}$/);
      assert.equal(Buffer.from(String(one.iv), 'base64url').length, 12);
      assert.notEqual(one.iv, two.iv);
      assert.notEqual(one.ct, two.ct);
      assert.equal(cipher.decrypt(one, 'aad').plaintext, 'secret text');
    });

    it('the key id does not reveal the key', () => {
      const id = new TokenCipher({ current: KEY_A }).currentKeyId;
      assert.equal(KEY_A.toString('hex').includes(id), false);
    });

    it('a tampered ciphertext fails authentication with a clear error', () => {
      const cipher = new TokenCipher({ current: KEY_A });
      const envelope = cipher.encrypt('secret text', 'aad');
      const ct = Buffer.from(String(envelope.ct), 'base64url');
      ct[0] = (ct[0] ?? 0) ^ 1;
      assert.throws(() => cipher.decrypt({ ...envelope, ct: ct.toString('base64url') }, 'aad'), {
        name: 'StoredRecordError',
        message: /failed authentication/,
      });
    });

    it('unknown envelope shapes are refused', () => {
      const cipher = new TokenCipher({ current: KEY_A });
      for (const bad of [
        null,
        [],
        { v: 2, alg: 'A256GCM' },
        { v: 1, alg: 'A128CBC' },
        { v: 1, alg: 'A256GCM', kid: cipher.currentKeyId },
      ]) {
        assert.throws(() => cipher.decrypt(bad, 'aad'), StoredRecordError);
      }
    });
  });

  describe('key rotation', () => {
    it('previous keys decrypt old records; new writes use the current key', () => {
      const before = new TokenCipher({ current: KEY_A });
      const old = before.encrypt('old record', 'aad');
      const after = new TokenCipher({ current: KEY_B, previous: [KEY_A] });
      assert.deepEqual(after.decrypt(old, 'aad'), {
        plaintext: 'old record',
        keyId: before.currentKeyId,
      });
      assert.equal(after.encrypt('new', 'aad').kid, after.currentKeyId);
      assert.notEqual(after.currentKeyId, before.currentKeyId);
    });

    it('a record under a key that is not configured: an error naming its key id', () => {
      const old = new TokenCipher({ current: KEY_A });
      const envelope = old.encrypt('x', 'aad');
      assert.throws(() => new TokenCipher({ current: KEY_B }).decrypt(envelope, 'aad'), {
        name: 'StoredRecordError',
        message: new RegExp(
          `key id ${old.currentKeyId}, which is neither keys.current nor one of keys.previous`,
        ),
      });
    });
    it('a key id that is not one of ours is not quoted (stored bytes never reach messages)', () => {
      const cipher = new TokenCipher({ current: KEY_A });
      const envelope = cipher.encrypt('x', 'aad');
      const planted = `${cipher.currentKeyId}\n{"level":"info","message":"forged"}${'A'.repeat(5000)}`;
      assert.throws(
        () => cipher.decrypt({ ...envelope, kid: planted }, 'aad'),
        (err: unknown) => {
          assert.ok(err instanceof StoredRecordError);
          assert.equal(err.message.includes('forged'), false, err.message.slice(0, 200));
          assert.equal(err.message.includes('\n'), false);
          assert.ok(err.message.length < 300, `${err.message.length} characters`);
          assert.match(err.message, /not a key id this store writes/);
          return true;
        },
      );
    });
  });

  describe('records (encodeTokens / decodeTokens)', () => {
    const cipher = new TokenCipher({ current: KEY_A });

    it('round-trip; the encoded record contains no token', () => {
      const tokens = makeTokens('user-1');
      const data = encodeTokens('user-1', tokens, cipher);
      assert.equal(data.includes(tokens.access_token), false);
      assert.equal(data.includes(tokens.refresh_token ?? '?'), false);
      assert.deepEqual(decodeTokens('user-1', data, cipher), tokens);
    });

    it("a ciphertext copied to another user's key does not decrypt (bound as AAD)", () => {
      const data = encodeTokens('victim', makeTokens('victim'), cipher);
      assert.throws(() => decodeTokens('attacker', data, cipher), /failed authentication/);
    });

    it('a clear record where a key is configured is refused (it could have been planted)', () => {
      const clear = encodeTokens('user-1', makeTokens('user-1'), undefined);
      assert.throws(
        () => decodeTokens('user-1', clear, cipher),
        /not encrypted but RedisTokenStore is configured with a key/,
      );
    });

    it('an encrypted record without a configured key is refused', () => {
      const data = encodeTokens('user-1', makeTokens('user-1'), cipher);
      assert.throws(
        () => decodeTokens('user-1', data, undefined),
        /encrypted but RedisTokenStore has no encryptionKey/,
      );
    });

    it('a clear record of another open_id is refused', () => {
      const clear = encodeTokens('user-1', makeTokens('user-1'), undefined);
      assert.throws(() => decodeTokens('user-2', clear, undefined), /belong to another open_id/);
    });
  });
});
