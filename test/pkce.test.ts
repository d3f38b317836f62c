import assert from 'node:assert/strict';
import { codeChallengeForVerifier, generateCodeVerifier, generateState } from '../lib/pkce';

/** What the verifiers are: 64 characters of RFC 7636's unreserved alphabet. */
const VERIFIER_FORMAT = /^[A-Za-z0-9\-._~]{64}$/;

describe('pkce', () => {
  describe('codeChallengeForVerifier', () => {
    // NOTE: TikTok's Android SDK test vector (https://developers.tiktok.com/doc/login-kit-web).
    const VERIFIER = 'gaeCq5mVvbhA8Ce6w5O9XBVIKMkySgv-_9A-rnhm9Ns';

    it('is the lowercase hex SHA-256 of the verifier (TikTok test vector)', () => {
      assert.equal(
        codeChallengeForVerifier(VERIFIER),
        'e6a178b120743d08509508f269652b0bdf91e29332921bc9e9744fd3dd41bfef',
      );
    });

    it('is not the RFC 7636 base64url form TikTok rejects', () => {
      assert.notEqual(
        codeChallengeForVerifier(VERIFIER),
        '5qF4sSB0PQhQlQjyaWUrC9-R4pMykhvJ6XRP091Bv-8',
      );
      assert.match(codeChallengeForVerifier(generateCodeVerifier()), /^[0-9a-f]{64}$/);
    });
  });

  describe('generateCodeVerifier', () => {
    it('is 64 chars of the RFC 7636 alphabet, fresh every time', () => {
      const seen = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const v = generateCodeVerifier();
        assert.match(v, VERIFIER_FORMAT);
        seen.add(v);
      }
      assert.equal(seen.size, 50);
    });
  });

  describe('generateState', () => {
    it('is 64 lowercase hex chars, fresh every time', () => {
      const a = generateState();
      const b = generateState();
      assert.match(a, /^[0-9a-f]{64}$/);
      assert.match(b, /^[0-9a-f]{64}$/);
      assert.notEqual(a, b);
    });
  });

  describe('the CSPRNG pool behind generateState and generateCodeVerifier', () => {
    it('never hands out the same bytes twice, across several refills', () => {
      // 1000 starts use 80 000 bytes: about 15 refills of the 5 KiB pool.
      const seen = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        const state = generateState();
        const codeVerifier = generateCodeVerifier();
        assert.match(state, /^[0-9a-f]{64}$/);
        assert.match(codeVerifier, VERIFIER_FORMAT);
        const bytes = Buffer.concat([
          Buffer.from(state, 'hex'),
          Buffer.from(codeVerifier, 'base64url'),
        ]).toString('hex');
        // Every 16-byte block of every draw is new: a reused pool offset would repeat one.
        for (let at = 0; at < bytes.length; at += 32) {
          const block = bytes.slice(at, at + 32);
          assert.ok(!seen.has(block), `block reused at draw ${i}`);
          seen.add(block);
        }
      }
      assert.equal(seen.size, 5000);
    });

    it('mixed draws (state only, verifier only) stay distinct and well formed', () => {
      const states = new Set<string>();
      const verifiers = new Set<string>();
      for (let i = 0; i < 300; i++) {
        states.add(generateState());
        verifiers.add(generateCodeVerifier());
      }
      assert.equal(states.size, 300);
      assert.equal(verifiers.size, 300);
      for (const v of verifiers) assert.match(v, VERIFIER_FORMAT);
    });
  });
});
