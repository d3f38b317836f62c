import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  addPendingLogin,
  findPendingLogin,
  type PendingLogin,
} from '../../lib/state/pending-logins';
import type { SessionLike } from '../../lib/state/session';
import { generateState } from '../../lib/pkce';

function session(): SessionLike {
  return { save: (callback) => callback() };
}

function login(state: string, createdAt: number): PendingLogin {
  return { state, createdAt, scopes: ['user.info.basic'], codeVerifier: 'v'.repeat(64) };
}

/** Runs `fn` with node:crypto's timingSafeEqual counted (the module object is shared). */
function countingTimingSafeEqual(fn: () => void): number {
  const original = crypto.timingSafeEqual;
  let calls = 0;
  Reflect.set(crypto, 'timingSafeEqual', (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls += 1;
    return original(a, b);
  });
  try {
    fn();
  } finally {
    Reflect.set(crypto, 'timingSafeEqual', original);
  }
  return calls;
}

describe('state/pending-logins', () => {
  describe('the callback state (RFC 9700 §4.7)', () => {
    const now = 1_700_000_000_000;
    const limits = { max: 5, ttlMs: 600_000, now };

    it('is compared with crypto.timingSafeEqual against every pending login, with no early exit', () => {
      const s = session();
      const states = Array.from({ length: 5 }, () => generateState());
      for (const state of states) addPendingLogin(s, login(state, now), limits);
      for (const wanted of [states[0]!, states[4]!, generateState()]) {
        let found = false;
        const calls = countingTimingSafeEqual(() => {
          found = findPendingLogin(s, wanted, limits).found;
        });
        assert.equal(calls, 5, 'one constant-time comparison per pending login, match or not');
        assert.equal(found, states.includes(wanted));
      }
    });

    it('is 256 bits from the CSPRNG, fresh per login (64 lowercase hex)', () => {
      const seen = new Set(Array.from({ length: 1000 }, () => generateState()));
      assert.equal(seen.size, 1000);
      for (const state of seen) assert.match(state, /^[0-9a-f]{64}$/);
    });

    it('a state of another length never reaches a comparison that could throw or match', () => {
      const s = session();
      const state = generateState();
      addPendingLogin(s, login(state, now), limits);
      for (const probe of [state.slice(0, 63), `${state}0`, state.toUpperCase(), '']) {
        assert.equal(findPendingLogin(s, probe, limits).found, false);
      }
    });
  });
});
