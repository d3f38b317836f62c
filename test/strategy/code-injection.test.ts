import assert from 'node:assert/strict';
import { field } from '../support/json';
import { assertErrorJson, consent, startLogin, stateOf, useLoginFixture } from '../support/login';

/** `code` of a callback path (decoded once). */
function codeOf(callbackPath: string): string {
  const code = new URL(callbackPath, 'http://app.test').searchParams.get('code');
  assert.ok(code !== null && code.length > 0);
  return code;
}

describe('TikTokStrategy', () => {
  describe('callback', () => {
    describe('authorization code injection and replay (RFC 9700 §4.5, §2.1.1)', () => {
      const fx = useLoginFixture();

      it("a stolen code in the attacker's own session → the exchange is refused (PKCE), no login", async () => {
        const victim = fx.browser();
        const stolen = await consent(await startLogin(victim));
        const attacker = fx.browser();
        const attackerState = stateOf(await startLogin(attacker));
        // The attacker's callback: a valid state of their own, the victim's code.
        const injected = `/auth/tiktok/callback?code=${encodeURIComponent(codeOf(stolen))}&state=${attackerState}`;
        const res = await attacker.get(injected).set('Accept', 'application/json');
        const error = assertErrorJson(res, 400, 'VALIDATION_ERROR');
        assert.ok(!error.message.includes(codeOf(stolen)), 'the code is not echoed');
        assert.equal(field((await attacker.get('/me')).body, 'user'), null);
        // Exactly one exchange, with the attacker's verifier: TikTok binds the code to the victim's.
        const exchanges = fx.tt.requests.filter((r) => r.grantType === 'authorization_code');
        assert.equal(exchanges.length, 1);
        assert.equal(exchanges[0]?.form?.code, codeOf(stolen));
        assert.equal(fx.tt.count('userinfo'), 0);
      });

      it("the victim's code and state in the attacker's browser → INVALID_STATE, no token call", async () => {
        const victim = fx.browser();
        const stolen = await consent(await startLogin(victim));
        const attacker = fx.browser();
        await startLogin(attacker);
        assertErrorJson(await attacker.get(stolen), 400, 'INVALID_STATE');
        assert.equal(fx.tt.count('token'), 0);
        // …and the victim, whose state was not touched, still logs in.
        assert.equal((await victim.get(stolen)).status, 302);
        assert.equal(field((await victim.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
      });

      it('a code replayed with a fresh state of the same session → refused by TikTok (single-use)', async () => {
        const agent = fx.browser();
        const first = await consent(await startLogin(agent));
        assert.equal((await agent.get(first)).status, 302);
        const freshState = stateOf(await startLogin(agent));
        const replay = `/auth/tiktok/callback?code=${encodeURIComponent(codeOf(first))}&state=${freshState}`;
        assertErrorJson(await agent.get(replay), 401, 'INVALID_TOKEN');
        assert.equal(fx.tt.count('token', { grantType: 'authorization_code' }), 2);
      });

      it('each login gets its own verifier; the exchange sends the one behind its challenge', async () => {
        const agent = fx.browser();
        const a = await startLogin(agent);
        const b = await startLogin(agent);
        assert.notEqual(a.searchParams.get('code_challenge'), b.searchParams.get('code_challenge'));
        assert.equal(a.searchParams.get('code_challenge_method'), 'S256');
        assert.equal((await agent.get(await consent(b))).status, 302);
        assert.equal((await agent.get(await consent(a))).status, 302);
        const verifiers = fx.tt.requests
          .filter((r) => r.grantType === 'authorization_code')
          .map((r) => r.form?.code_verifier);
        assert.equal(new Set(verifiers).size, 2, 'two logins, two verifiers');
      });
    });
  });
});
