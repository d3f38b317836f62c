import assert from 'node:assert/strict';
import { useEmulator } from '../support/emulator';

// Canaries: a credential function's value must not reach a log line through the function's own
// errors (a secret manager's message may quote the value it was handling).
describe('TikTokClient', () => {
  describe('credential functions: the secret stays out of the logs', () => {
    const h = useEmulator();

    it('a refetch that throws an Error quoting the previous secret is logged without it', async () => {
      const secret = h.tt.clientSecret;
      let fail = false;
      const client = h.client({
        credentialsTtlMs: 20,
        clientSecret: () => {
          if (fail) throw new Error(`vault: lease for value "${secret}" expired`);
          return secret;
        },
      });
      await client.getClientAccessToken();
      fail = true;
      await new Promise((resolve) => setTimeout(resolve, 40));
      const openId = h.tt.users[0]!.openId;
      await client.refreshAccessToken(h.tt.issueTokens(openId).refresh_token);
      const [warned] = h.logger.events('refetch failed, using the previous value');
      assert.ok(warned !== undefined, 'the failed refetch is logged');
      assert.deepEqual(warned.meta?.error, {
        name: 'Error',
        message: 'vault: lease for value "[REDACTED]" expired',
      });
      assert.ok(!h.logger.text().includes(secret), h.logger.text());
    });
  });
});
