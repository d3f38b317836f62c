import assert from 'node:assert/strict';
import { field } from '../support/json';
import { consent, EXPRESS_VERSIONS, login, startLogin, useLoginFixture } from '../support/login';

const ATTACKS: readonly [string, string][] = [
  ['//evil.com', '//evil.com'],
  ['/\\evil.com', '/\\evil.com'],
  ['https:evil.com', 'https:evil.com'],
  ['https://evil.com/', 'https://evil.com/'],
  ['/%2F%2Fevil.com', '/%2F%2Fevil.com'],
  ['/%5Cevil.com', '/%5Cevil.com'],
  ['javascript:', 'javascript:alert(document.cookie)'],
  ['CRLF', '/ok\r\nSet-Cookie: pwned=1'],
  ['tab', '/\t/evil.com'],
  ['more than 2 KiB', `/${'a'.repeat(2048)}`],
  ['relative path', 'account'],
];

describe('TikTokStrategy', () => {
  for (const version of EXPRESS_VERSIONS) {
    describe(`returnTo and the login session (${version})`, () => {
      const fx = useLoginFixture({ express: version });

      describe('?returnTo= on the start route', () => {
        it('a same-origin path is where the callback sends the browser', async () => {
          const res = await login(
            fx.browser(),
            `/auth/tiktok?returnTo=${encodeURIComponent('/account?tab=1')}`,
          );
          assert.equal(res.status, 302);
          assert.equal(res.headers.location, '/account?tab=1');
        });

        for (const [name, value] of ATTACKS) {
          it(`${name} → /`, async () => {
            const res = await login(
              fx.browser(),
              `/auth/tiktok?returnTo=${encodeURIComponent(value)}`,
            );
            assert.equal(res.status, 302);
            assert.equal(res.headers.location, '/');
          });
        }

        it('a duplicated returnTo → /', async () => {
          const res = await login(fx.browser(), '/auth/tiktok?returnTo=/a&returnTo=/b');
          assert.equal(res.headers.location, '/');
        });
      });

      describe('the login itself', () => {
        it('changes the session id (fixation) and drops pre-login keys; returnTo survives', async () => {
          const agent = fx.browser();
          const poke = await agent.get('/poke');
          const before = field(poke.body, 'sessionID');
          assert.equal(typeof before, 'string');
          const res = await login(agent, '/auth/tiktok?returnTo=/settings');
          assert.equal(res.headers.location, '/settings');
          const me = await agent.get('/me');
          assert.equal(field(me.body, 'user', 'id'), 'emulator-open-id-1');
          assert.notEqual(field(me.body, 'sessionID'), before);
          assert.equal(field(me.body, 'session', 'poke'), undefined);
          assert.equal(field(me.body, 'session', 'tiktok:pending'), undefined);
          // Only passport's user and the login stamp (who, when: what ends the session when
          // TikTok removes the authorization by webhook).
          assert.deepEqual(Object.keys(field(me.body, 'session') ?? {}).sort(), [
            'passport',
            'tiktokLogin',
          ]);
          assert.equal(field(me.body, 'session', 'tiktokLogin', 'openId'), 'emulator-open-id-1');
          const at = field(me.body, 'session', 'tiktokLogin', 'at');
          assert.ok(typeof at === 'number' && Math.abs(at - Date.now()) < 10_000);
        });

        it('the old session id no longer carries the pending login (store side)', async () => {
          const agent = fx.browser();
          const authorize = await startLogin(agent);
          const callback = await consent(authorize);
          await agent.get(callback);
          const replay = await agent.get(callback);
          assert.equal(replay.status, 400);
        });
      });
    });
  }
});
