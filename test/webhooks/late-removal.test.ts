import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { field } from '../support/json';
import { browser, CALLBACK_URL, login } from '../support/login';
import { startWebhookApp, type WebhookApp } from '../support/webhook-app';

const OPEN_ID = 'emulator-open-id-1';

describe('tiktokWebhook', () => {
  describe('a late authorization.removed (TikTok retrying after an outage)', () => {
    let tt: TikTokEmulator;
    let app: WebhookApp;

    before(async () => {
      tt = await startTikTokEmulator({
        autoApprove: true,
        redirectUris: [CALLBACK_URL],
        webhookRetry: { attempts: 1, baseDelayMs: 0 },
      });
    });
    beforeEach(async () => {
      tt.reset();
      app = await startWebhookApp({ tt });
    });
    afterEach(() => app.close());
    after(() => tt.close());

    it('user disconnects, logs in again before the delivery lands: the new session and its tokens are kept', async () => {
      const agent = browser(app.server);
      assert.equal((await login(agent)).status, 200);

      // The user disconnects in TikTok; the first delivery does not reach the app (deploy, outage,
      // or just TikTok's queue): TikTok will retry later.
      tt.setWebhookUrl('http://127.0.0.1:9/webhooks/tiktok');
      const [delivery] = await tt.removeAuthorization(OPEN_ID, 1);
      assert.equal(delivery?.status, 'failed');

      // Seconds later the user logs in again (a new grant): new tokens saved, session stamped.
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await login(agent)).status, 200);
      const fresh = await app.tokens.get(OPEN_ID);
      assert.notEqual(fresh, undefined);

      // TikTok's retry of the removal arrives.
      tt.setWebhookUrl(app.webhookUrl);
      assert.ok(delivery);
      const retry = await tt.redeliverWebhook(delivery);
      assert.equal(retry.status, 'delivered');

      // The package itself says this login is after the removal: the session is kept...
      const me = await agent.get('/me').expect(200);
      assert.equal(field(me.body, 'user', 'id'), OPEN_ID, 'session kept (login after removal)');
      // ...so its tokens (a new, valid grant) must be kept as well. docs/webhooks.md: "A login
      // after the removal works normally."
      assert.notEqual(
        await app.tokens.get(OPEN_ID),
        undefined,
        'the tokens of the login made after the removal were deleted',
      );
    });
  });
});
