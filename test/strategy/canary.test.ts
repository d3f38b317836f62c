import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createTikTokMetrics } from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import {
  startLogin,
  stateOf,
  useLoginFixture,
  type Agent,
  type TestResponse,
} from '../support/login';

// Planted secrets: the emulator's client secret, the authorization codes, the tokens.
const SECRET = 'canary-secret-5b1e0c7d9a';
const CODES = ['canary-code-one*!.a1b2c3', 'canary-code-two*!.d4e5f6', 'canary-code-three.g7h8'];
const ACCESS = 'act.canary-access-0f9e8d7c6b5a';
const REFRESH = 'rft.canary-refresh-1a2b3c4d5e';

const tokenBody = {
  access_token: ACCESS,
  refresh_token: REFRESH,
  open_id: 'emulator-open-id-1',
  scope: 'user.info.basic',
  expires_in: 86400,
  refresh_expires_in: 31536000,
  token_type: 'Bearer',
};
const userBody = {
  data: { user: { open_id: 'emulator-open-id-1', display_name: 'Canary User' } },
  error: { code: 'ok', message: '', log_id: '20240101000000ABCDEF' },
};

describe('TikTokStrategy', () => {
  describe('secrets never leak (canaries)', () => {
    const logger = new CaptureLogger();
    const registry = new Registry();
    const fx = useLoginFixture({
      emulator: { clientSecret: SECRET },
      strategy: { clientSecret: SECRET, logger, metrics: createTikTokMetrics(registry) },
    });
    const observed: string[] = [];
    const captured: string[] = [];

    function keep(res: TestResponse): TestResponse {
      const headers = Object.entries(res.headers).filter(([name]) => name !== 'set-cookie');
      captured.push(res.text, JSON.stringify(headers));
      const cookies: unknown = res.headers['set-cookie'];
      for (const cookie of Array.isArray(cookies) ? cookies.map(String) : []) {
        const value = decodeURIComponent(cookie.split(';')[0]?.split('=')[1] ?? '');
        observed.push(value, value.slice(2).split('.')[0] ?? '');
      }
      return res;
    }

    /** Starts a login (its state is observed) and returns the callback URL with a planted code. */
    async function callbackWith(agent: Agent, code: string): Promise<string> {
      const state = stateOf(await startLogin(agent));
      observed.push(state);
      return `/auth/tiktok/callback?code=${encodeURIComponent(code)}&scopes=user.info.basic&state=${state}`;
    }

    it('a successful login', async () => {
      fx.tt.inject('token', { body: tokenBody });
      fx.tt.inject('userinfo', { body: userBody });
      const agent = fx.browser();
      const res = keep(await agent.get(await callbackWith(agent, CODES[0] ?? '')));
      assert.equal(res.status, 302);
      const verifier = fx.tt.requests.find((r) => r.endpoint === 'token')?.form?.code_verifier;
      assert.equal(verifier?.length, 64);
      observed.push(verifier ?? '');
    });

    it('TikTok echoing the code and secret in an error (JSON and HTML)', async () => {
      const description = `Authorization code ${CODES[1] ?? ''} is expired (client_secret ${SECRET})`;
      for (const accept of ['application/json', 'text/html']) {
        fx.tt.inject('token', { tiktokError: { error: 'invalid_grant', description } });
        const agent = fx.browser();
        const res = keep(
          await agent.get(await callbackWith(agent, CODES[1] ?? '')).set('Accept', accept),
        );
        assert.equal(res.status, 401);
        assert.ok(res.text.includes('Your TikTok login is no longer valid'), 'the fixed message');
        assert.ok(!res.text.includes('is expired'), "none of TikTok's wording");
      }
    });

    it('TikTok echoing the access token in a user-info error', async () => {
      fx.tt.inject('token', { body: tokenBody });
      fx.tt.inject('userinfo', {
        tiktokError: {
          error: 'access_token_invalid',
          description: `token ${ACCESS} is invalid`,
          status: 401,
        },
      });
      const agent = fx.browser();
      const res = keep(await agent.get(await callbackWith(agent, CODES[2] ?? '')));
      assert.equal(res.status, 401);
    });

    it('no canary in any log line, response body or header, or metric', async () => {
      const everything = [logger.text(), await registry.metrics(), ...captured].join('\n');
      assert.ok(logger.text().includes('[TikTokOAuth] token_exchange'), 'logs were captured');
      assert.ok(everything.includes('tiktok_oauth_requests_total'), 'metrics were captured');
      const canaries = [SECRET, ...CODES, ACCESS, REFRESH, ...observed].filter(
        (c) => c.length >= 8,
      );
      assert.ok(canaries.length >= 12, `only ${canaries.length} canaries`);
      for (const canary of canaries) {
        assert.ok(!everything.includes(canary), `leaked: ${canary.slice(0, 12)}…`);
      }
    });
  });
});
