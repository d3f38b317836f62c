import assert from 'node:assert/strict';
import { MemoryTokenStore, type TikTokProfile } from '../../lib';
import { field } from '../support/json';
import {
  assertErrorJson,
  consent,
  getAndDisconnect,
  sessionCookie,
  startLogin,
  useLoginFixture,
} from '../support/login';
import { watchUnhandledRejections } from '../support/unhandled-rejections';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TikTokStrategy', () => {
  describe('callback: the browser disconnecting while the login completes', () => {
    const rejections = watchUnhandledRejections();
    const tokenStore = new MemoryTokenStore();
    let verifyDelayMs = 0;
    let verified: (() => void) | undefined;
    const fixture = useLoginFixture({
      strategy: { tokenStore },
      verify: async (_accessToken, _refreshToken, profile): Promise<TikTokProfile> => {
        await sleep(verifyDelayMs);
        verified?.();
        return profile;
      },
    });
    beforeEach(async () => {
      verifyDelayMs = 0;
      await tokenStore.delete('emulator-open-id-1');
    });

    for (const during of ['token', 'userinfo', 'verify'] as const) {
      it(`during the ${during === 'verify' ? 'verify call' : `${during} request`}: tokens saved, the browser's session kept as it was`, async () => {
        const browser = fixture.browser();
        const start = await browser.get('/auth/tiktok');
        const cookie = `connect.sid=${sessionCookie(start) ?? ''}`;
        const callback = await consent(new URL(String(start.headers.location)));
        const otherTab = await startLogin(browser);
        const before = await browser.get('/me');
        if (during === 'verify') verifyDelayMs = 300;
        else fixture.tt.inject(during, { delayMs: 300 });
        const done = new Promise<void>((resolve) => (verified = resolve));

        await getAndDisconnect(fixture.app, callback, cookie, 100);
        await done;
        await sleep(100); // whatever the login does after verify (passport, the session store)

        assert.deepEqual(rejections.reasons, []);
        assert.equal(fixture.tt.count('token'), 1);
        // The tokens TikTok issued are kept: nothing is lost.
        assert.ok((await tokenStore.get('emulator-open-id-1')) !== undefined);
        // Before: passport logged in a new session the browser never heard of, destroying its
        // own: the next request got an empty session, and the other tab's login was gone.
        const me = await browser.get('/me');
        assert.equal(field(me.body, 'sessionID'), field(before.body, 'sessionID'));
        assert.equal(field(me.body, 'user'), null);
        const pending = field(me.body, 'session', 'tiktok:pending');
        assert.ok(Array.isArray(pending) && pending.length === 1);
        assert.equal(field(pending[0], 'state'), otherTab.searchParams.get('state'));
        // The consumed login stays consumed; the other tab's completes.
        assertErrorJson(
          await browser.get(callback).set('Accept', 'application/json'),
          400,
          'INVALID_STATE',
        );
        const res = await browser.get(await consent(otherTab)).set('Accept', 'application/json');
        assert.equal(res.status, 302);
        assert.equal(field((await browser.get('/me')).body, 'user', 'id'), 'emulator-open-id-1');
      });
    }
  });
});
