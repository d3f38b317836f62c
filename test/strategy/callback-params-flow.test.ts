import assert from 'node:assert/strict';
import { field } from '../support/json';
import {
  assertErrorJson,
  consent,
  EXPRESS_VERSIONS,
  startLogin,
  stateOf,
  useLoginFixture,
  type Agent,
} from '../support/login';

/** A browser with a pending login; `state` is valid for it. */
async function pendingLogin(agent: Agent): Promise<{ state: string; callback: string }> {
  const authorize = await startLogin(agent);
  return { state: stateOf(authorize), callback: await consent(authorize) };
}

describe('TikTokStrategy', () => {
  describe('callback', () => {
    for (const version of EXPRESS_VERSIONS) {
      describe(`parameters (${version})`, () => {
        const fx = useLoginFixture({ express: version });

        describe('malformed parameters → 400 VALIDATION_ERROR without a token call, state kept', () => {
          const cases: [string, (state: string) => string][] = [
            ['?state=a&state=b', (s) => `code=abc&state=${s}&state=${s}`],
            ['state[]=x', (s) => `code=abc&state[]=${s}`],
            ['state[k]=x', (s) => `code=abc&state[k]=${s}`],
            ['state%5B%5D=x (encoded brackets)', (s) => `code=abc&state%5B%5D=${s}`],
            ['duplicated code', (s) => `code=abc&code=def&state=${s}`],
            ['code[]=x', (s) => `code[]=abc&state=${s}`],
            ['empty code', (s) => `code=&state=${s}`],
            ['code over 2 KiB', (s) => `code=${'a'.repeat(2049)}&state=${s}`],
            ['CR/LF in code', (s) => `code=ab%0D%0Acd&state=${s}`],
            ['NUL in code', (s) => `code=ab%00cd&state=${s}`],
            ['non-ASCII in code', (s) => `code=caf%C3%A9&state=${s}`],
            ['CR/LF in state', (s) => `code=abc&state=${s}%0D%0A`],
            ['NUL in state', (s) => `code=abc&state=${s}%00`],
            ['non-ASCII in state', (s) => `code=abc&state=${s}%C3%A9`],
            ['error and code together', (s) => `code=abc&error=access_denied&state=${s}`],
            ['state without code or error', (s) => `state=${s}`],
          ];
          for (const [name, query] of cases) {
            it(name, async () => {
              const agent = fx.browser();
              const { state, callback } = await pendingLogin(agent);
              const res = await agent.get(`/auth/tiktok/callback?${query(state)}`);
              assertErrorJson(res, 400, 'VALIDATION_ERROR');
              assert.equal(fx.tt.count('token'), 0);
              // The state was not consumed: the real callback still works.
              assert.equal((await agent.get(callback)).status, 302);
            });
          }
        });

        describe('TikTok sent error=', () => {
          it('access_denied with a valid state → 403 ACCESS_DENIED, state consumed', async () => {
            const agent = fx.browser();
            const { state } = await pendingLogin(agent);
            const denied = `/auth/tiktok/callback?error=access_denied&error_description=User+cancelled&state=${state}`;
            const res = await agent.get(denied);
            assertErrorJson(res, 403, 'ACCESS_DENIED');
            assert.equal(fx.tt.count('token'), 0);
            assertErrorJson(await agent.get(denied), 400, 'INVALID_STATE');
          });

          for (const error of ['invalid_client', 'unauthorized_client', 'server_error']) {
            it(`${error} with a valid state → 400 VALIDATION_ERROR, never a 5xx a browser could trigger at will`, async () => {
              const agent = fx.browser();
              const { state } = await pendingLogin(agent);
              const res = await agent.get(`/auth/tiktok/callback?error=${error}&state=${state}`);
              assertErrorJson(res, 400, 'VALIDATION_ERROR');
              assert.equal(fx.tt.count('token'), 0);
            });
          }

          it('the emulator denying consent ends the same way', async () => {
            fx.tt.setConsent({ decision: 'deny' });
            const agent = fx.browser();
            const res = await agent.get(await consent(await startLogin(agent)));
            assertErrorJson(res, 403, 'ACCESS_DENIED');
            assert.equal(fx.tt.count('token'), 0);
          });

          it('error with a bad state → generic 400 that does not echo error_description', async () => {
            const agent = fx.browser();
            await pendingLogin(agent);
            const description = 'Call +1-555-0100 to unlock your account';
            const res = await agent.get(
              `/auth/tiktok/callback?error=server_error&error_description=${encodeURIComponent(description)}&state=${'f'.repeat(64)}`,
            );
            const error = assertErrorJson(res, 400, 'INVALID_STATE');
            assert.equal(
              error.message,
              'Your login expired or was already used. Please try again.',
            );
            assert.ok(!res.text.includes('555-0100'));
          });

          it('a 10 KB HTML error_description is never reflected (JSON nor HTML page)', async () => {
            const agent = fx.browser();
            const { state } = await pendingLogin(agent);
            // 10 KB (mostly letters, so that the URL still fits Node's 16 KiB header limit).
            const html = `<script>alert("x")</script><b>${'A'.repeat(10_000)}</b>`;
            const query = `error=access_denied&error_description=${encodeURIComponent(html)}&state=${state}`;
            const res = await agent
              .get(`/auth/tiktok/callback?${query}`)
              .set('Accept', 'text/html');
            assert.equal(res.status, 403);
            assert.match(String(res.headers['content-type']), /^text\/html/);
            assert.ok(!res.text.includes('<script>'));
            assert.ok(!res.text.includes('<b>'));
            assert.ok(!res.text.includes('AAAAAAAAAA'));
            assert.ok(res.text.length < 2000);
          });
        });

        describe('methods other than GET → 405, state not consumed', () => {
          for (const method of ['head', 'post'] as const) {
            it(method.toUpperCase(), async () => {
              const agent = fx.browser();
              const { callback } = await pendingLogin(agent);
              const res = await agent[method](callback);
              assert.equal(res.status, 405);
              assert.equal(res.headers.allow, 'GET');
              if (method === 'post')
                assert.equal(field(res.body, 'error', 'code'), 'METHOD_NOT_ALLOWED');
              assert.equal(fx.tt.count('token'), 0);
              assert.equal((await agent.get(callback)).status, 302);
              assert.equal(fx.tt.count('token'), 1);
            });
          }
        });
      });
    }
  });
});
