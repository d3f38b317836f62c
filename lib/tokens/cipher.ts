import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isRecord } from '../client/parse';
import { inspectsAsJson } from '../logging';
import { StoredRecordError } from './token-record';

/** A 32-byte key: a Buffer, 64 hex chars, base64/base64url of 32 bytes, or 32 UTF-8 bytes. */
export type TokenEncryptionKey = Buffer | string;

/** The current key encrypts every write; previous keys still decrypt older records. */
export interface TokenEncryptionKeys {
  current: TokenEncryptionKey;
  previous?: TokenEncryptionKey[] | undefined;
}

interface NamedKey {
  readonly id: string;
  readonly key: Buffer;
}

const ALG = 'A256GCM';
/** What {@link keyId} produces; any other `kid` was not written by this package. */
const KEY_ID = /^[0-9a-f]{16}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decodes a key option; anything that is not exactly 32 bytes is a TypeError naming the option. */
export function decodeKey(value: unknown, option: string): Buffer {
  let key: Buffer | undefined;
  if (Buffer.isBuffer(value)) key = value;
  else if (typeof value === 'string') {
    if (/^[0-9a-fA-F]{64}$/.test(value)) key = Buffer.from(value, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) key = Buffer.from(value, 'base64');
    else key = Buffer.from(value, 'utf8');
  }
  if (key?.length !== 32) {
    throw new TypeError(
      `RedisTokenStore: ${option} must be a 32-byte key (a Buffer, 64 hex characters or base64 of 32 bytes, e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return Buffer.from(key);
}

/** A key's id: a short hash, so records name their key without revealing it. */
function keyId(key: Buffer): string {
  return createHash('sha256')
    .update('passport-tiktok token key\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

function field(envelope: Record<string, unknown>, name: string): string {
  const v = envelope[name];
  if (typeof v !== 'string' || v.length === 0) {
    throw new StoredRecordError(`encrypted tokens: envelope field ${name} is missing`);
  }
  return v;
}

/**
 * AES-256-GCM for tokens at rest. Envelope (JSON): `{ v: 1, alg: 'A256GCM', kid, iv, tag, ct }`
 * with a random 12-byte IV per write. The record's key (user) is bound as additional
 * authenticated data, so a ciphertext copied to another user's key fails to decrypt.
 */
export class TokenCipher {
  private readonly keys: readonly NamedKey[];

  constructor(keys: TokenEncryptionKeys) {
    const current = decodeKey(keys.current, 'keys.current');
    const previous = (keys.previous ?? []).map((k, i) => decodeKey(k, `keys.previous[${i}]`));
    this.keys = [current, ...previous].map((key) => ({ id: keyId(key), key }));
  }

  /** What `JSON.stringify()` writes: the key ids, never the keys. */
  toJSON(): Record<string, unknown> {
    return { keyIds: this.keys.map((k) => k.id) };
  }

  /** The id written into new envelopes. */
  get currentKeyId(): string {
    return this.current.id;
  }

  private get current(): NamedKey {
    const first = this.keys[0];
    if (first === undefined) throw new TypeError('RedisTokenStore: no encryption key');
    return first;
  }

  encrypt(plaintext: string, aad: string): Record<string, unknown> {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { v: 1, alg: ALG, kid: id, iv: b64(iv), tag: b64(cipher.getAuthTag()), ct: b64(ct) };
  }

  /** Decrypts an envelope; an unknown key id or a failed authentication is a StoredRecordError. */
  decrypt(envelope: unknown, aad: string): { plaintext: string; keyId: string } {
    if (!isRecord(envelope) || envelope.v !== 1 || envelope.alg !== ALG) {
      throw new StoredRecordError('encrypted tokens: unknown envelope format');
    }
    const kid = field(envelope, 'kid');
    const named = this.keys.find((k) => k.id === kid);
    if (named === undefined && !KEY_ID.test(kid)) {
      // NOTE: the envelope is whatever Redis holds: text that is not a key id is not quoted, so
      // that a planted record cannot put its bytes (line breaks, megabytes) into messages and logs.
      throw new StoredRecordError(
        'stored tokens name something that is not a key id this store writes (16 hex characters): the record was not written by RedisTokenStore',
      );
    }
    if (named === undefined) {
      throw new StoredRecordError(
        `stored tokens are encrypted with key id ${kid}, which is neither keys.current nor one of keys.previous: configure that key (as a previous key while rotating)`,
      );
    }
    const iv = Buffer.from(field(envelope, 'iv'), 'base64url');
    const tag = Buffer.from(field(envelope, 'tag'), 'base64url');
    const ct = Buffer.from(field(envelope, 'ct'), 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new StoredRecordError('encrypted tokens: bad IV or tag length');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', named.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      return { plaintext, keyId: kid };
    } catch (cause) {
      throw new StoredRecordError(
        `stored tokens failed authentication with key id ${kid}: the record was altered, copied from another user, or the key bytes differ`,
        { cause },
      );
    }
  }
}
inspectsAsJson(TokenCipher);
