import assert from 'node:assert/strict';
import { readPendingLogins } from '../../lib/state/pending-logins';
import { decodeTokens } from '../../lib/tokens/redis-codec';
import {
  assertErrorJson,
  EXPRESS_VERSIONS,
  startLogin,
  stateOf,
  useLoginFixture,
} from '../support/login';

// Extra parameters next to a valid state and a (fake) code: ignored, the login goes on to TikTok.
const IGNORED = [
  '__proto__[polluted]=yes',
  'constructor[prototype][polluted]=yes',
  '__proto__.polluted=yes',
];
// The same tricks on a callback parameter: refused before any token call.
const REFUSED = ['state[__proto__][polluted]=yes', 'code[constructor][prototype][polluted]=yes'];

function assertClean(): void {
  assert.equal(Reflect.get(Object.prototype, 'polluted'), undefined);
  assert.equal(Reflect.get({}, 'polluted'), undefined);
}

describe('TikTokStrategy', () => {
  describe('prototype pollution', () => {
    for (const version of EXPRESS_VERSIONS) {
      describe(`through the callback query (${version})`, () => {
        const fx = useLoginFixture({ express: version });

        for (const payload of IGNORED) {
          it(`${payload} is ignored: TikTok's answer decides (401), Object.prototype untouched`, async () => {
            const agent = fx.browser();
            const state = stateOf(await startLogin(agent));
            const res = await agent.get(`/auth/tiktok/callback?code=abc&state=${state}&${payload}`);
            assertErrorJson(res, 401, 'INVALID_TOKEN');
            assertClean();
          });
        }

        for (const payload of REFUSED) {
          it(`${payload} → 400 VALIDATION_ERROR, no token call, Object.prototype untouched`, async () => {
            const agent = fx.browser();
            const state = stateOf(await startLogin(agent));
            const res = await agent.get(`/auth/tiktok/callback?code=abc&state=${state}&${payload}`);
            assertErrorJson(res, 400, 'VALIDATION_ERROR');
            assert.equal(fx.tt.count('token'), 0);
            assertClean();
          });
        }

        it('__proto__ as a returnTo or state value is just a string', async () => {
          const agent = fx.browser();
          await startLogin(agent, '/auth/tiktok?returnTo=__proto__');
          const res = await agent.get('/auth/tiktok/callback?code=a&state=__proto__');
          assertErrorJson(res, 400, 'INVALID_STATE');
          assertClean();
        });
      });
    }

    describe('through data read back from a store', () => {
      it('pending logins with __proto__ keys (a session from the store) yield plain entries', () => {
        const entries: unknown = JSON.parse(
          '[{"state":"s","createdAt":1,"scopes":[],"__proto__":{"polluted":"yes"}}]',
        );
        const session = { save: (done: () => void) => done(), 'tiktok:pending': entries };
        const [login] = readPendingLogins(session);
        assert.equal(login?.state, 's');
        assert.equal(Reflect.get(login ?? {}, 'polluted'), undefined);
        assertClean();
      });

      it('a token record with __proto__ / constructor keys is read field by field, never merged', () => {
        const record =
          '{"v":1,"tokens":{"access_token":"act.x","open_id":"open-1","scope":"user.info.basic",' +
          '"token_type":"Bearer","expires_in":60,"expires_at":1,' +
          '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}';
        const tokens = decodeTokens('open-1', record, undefined);
        assert.equal(tokens.access_token, 'act.x');
        assert.equal(Reflect.get(tokens, 'polluted'), undefined);
        assert.equal(Object.getPrototypeOf(tokens), Object.prototype);
        assertClean();
      });
    });
  });
});
