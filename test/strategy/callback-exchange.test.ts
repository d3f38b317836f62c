import assert from 'node:assert/strict';
import {
  TikTokAPIError,
  TikTokStrategy,
  type TikTokStrategyOptions,
  type TikTokTokens,
} from '../../lib';
import { fakeFetch, json, type FakeFetch } from '../support/fake-fetch';
import { field } from '../support/json';
import {
  outcomeOf,
  startIn,
  STRATEGY_BASE,
  useStrategyHarnesses,
  tokenResponse,
  userInfoResponse,
  type Outcome,
} from '../support/strategy-harness';

type Options = Omit<TikTokStrategyOptions, 'passReqToCallback'>;

const BASE = STRATEGY_BASE;
const BASIC_FIELDS = 'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name';

describe('TikTokStrategy', () => {
  describe('callback', () => {
    const harness = useStrategyHarnesses();

    /** One login: start, then the callback with `code` and `extra` query, against `fake`. */
    async function run(
      fake: FakeFetch,
      options: Options = {},
      callback: { code?: string; extra?: string; headers?: Record<string, string> } = {},
    ): Promise<Outcome> {
      const h = harness(new TikTokStrategy({ ...BASE, ...options, fetch: fake.fetch }));
      const agent = h.browser();
      const { state } = await startIn(agent);
      const code = encodeURIComponent(callback.code ?? 'c0de');
      const req = agent.get(
        `/auth/tiktok/callback?code=${code}&state=${state}${callback.extra ?? ''}`,
      );
      for (const [name, value] of Object.entries(callback.headers ?? {})) void req.set(name, value);
      return outcomeOf(await req);
    }

    describe('the code exchange', () => {
      it('posts the code decoded once, the verifier and the callbackURL', async () => {
        const fake = fakeFetch(tokenResponse(), userInfoResponse());
        const result = await run(fake, {}, { code: 'AbC*!.xyz~123' });
        assert.equal(result.outcome, 'success');
        const form = new URLSearchParams(fake.calls[0]?.body);
        assert.equal(form.get('code'), 'AbC*!.xyz~123');
        assert.equal(form.get('redirect_uri'), 'https://app.example/auth/tiktok/callback');
        assert.equal(form.get('code_verifier')?.length, 64);
        assert.equal(form.get('grant_type'), 'authorization_code');
      });

      it('reuses the incoming X-Correlation-Id for TikTok and the login info', async () => {
        const fake = fakeFetch(tokenResponse(), userInfoResponse());
        const result = await run(fake, {}, { headers: { 'X-Correlation-Id': 'corr-777' } });
        assert.equal(field(result.info, 'correlationId'), 'corr-777');
        assert.equal(fake.calls[0]?.headers.get('x-correlation-id'), 'corr-777');
        assert.equal(fake.calls[1]?.headers.get('x-correlation-id'), 'corr-777');
      });

      it('keeps a correlation ID the app set earlier (req.tiktokCorrelationId) over the header', async () => {
        const fake = fakeFetch(tokenResponse(), userInfoResponse());
        const result = await run(
          fake,
          {},
          { headers: { 'X-App-Request-Id': 'app-req-42', 'X-Correlation-Id': 'corr-777' } },
        );
        assert.equal(field(result.info, 'correlationId'), 'app-req-42');
        assert.equal(fake.calls[0]?.headers.get('x-correlation-id'), 'app-req-42');
      });

      it('a TikTok refusal is an error (TikTokAPIError), not a fail', async () => {
        const fake = fakeFetch(json(200, { error: 'invalid_grant', error_description: 'expired' }));
        const result = await run(fake);
        assert.equal(result.outcome, 'error');
        assert.equal(field(result.error, 'name'), 'TikTokAPIError');
        assert.equal(field(result.error, 'code'), 'INVALID_TOKEN');
        assert.equal(fake.calls.length, 1);
      });
    });

    describe('the tokenManager option', () => {
      it('receives (open_id, tokens) after the exchange, before user info', async () => {
        const saved: [string, TikTokTokens][] = [];
        const fake = fakeFetch(tokenResponse(), userInfoResponse());
        const tokenManager = {
          save: (openId: string, tokens: TikTokTokens): Promise<void> => {
            assert.equal(fake.calls.length, 1, 'saved before the user-info call');
            saved.push([openId, tokens]);
            return Promise.resolve();
          },
        };
        const result = await run(fake, { tokenManager });
        assert.equal(result.outcome, 'success');
        assert.equal(saved.length, 1);
        assert.equal(saved[0]?.[0], 'open-1');
        assert.equal(saved[0]?.[1].refresh_token, 'rft.unit-refresh');
      });

      it('a failing store → error SERVICE_UNAVAILABLE; a TikTokAPIError passes through', async () => {
        const down = { save: (): Promise<void> => Promise.reject(new Error('ECONNREFUSED')) };
        const result = await run(fakeFetch(tokenResponse(), userInfoResponse()), {
          tokenManager: down,
        });
        assert.equal(field(result.error, 'code'), 'SERVICE_UNAVAILABLE');
        const typed = {
          save: (): Promise<void> =>
            Promise.reject(
              new TikTokAPIError({ code: 'TOKEN_EXPIRED', message: 'x', correlationId: 'c' }),
            ),
        };
        const second = await run(fakeFetch(tokenResponse(), userInfoResponse()), {
          tokenManager: typed,
        });
        assert.equal(field(second.error, 'code'), 'TOKEN_EXPIRED');
      });
    });

    describe('the profile follows the GRANTED scopes', () => {
      const requested: Options = { scope: ['user.info.basic', 'user.info.profile'] };

      it("the token response's scope wins: basic fields only, no username", async () => {
        const fake = fakeFetch(tokenResponse({ scope: 'user.info.basic' }), userInfoResponse());
        const result = await run(fake, requested, {
          extra: '&scopes=user.info.basic,user.info.profile',
        });
        assert.equal(
          fake.calls[1]?.url,
          `https://open.tiktokapis.com/v2/user/info/?fields=${BASIC_FIELDS}`,
        );
        assert.equal(field(result.user, 'username'), undefined);
        assert.deepEqual(field(result.info, 'grantedScopes'), ['user.info.basic']);
      });

      it("no scope in the token response: the callback's scopes", async () => {
        const fake = fakeFetch(tokenResponse({ scope: '' }), userInfoResponse());
        await run(fake, requested, { extra: '&scopes=user.info.basic' });
        assert.equal(
          fake.calls[1]?.url,
          `https://open.tiktokapis.com/v2/user/info/?fields=${BASIC_FIELDS}`,
        );
      });

      it('neither: the requested scopes', async () => {
        const fake = fakeFetch(
          tokenResponse({ scope: '' }),
          userInfoResponse({ username: 'unit_user' }),
        );
        const result = await run(fake, requested);
        assert.equal(
          fake.calls[1]?.url,
          `https://open.tiktokapis.com/v2/user/info/?fields=${BASIC_FIELDS},bio_description,profile_deep_link,is_verified,username`,
        );
        assert.equal(field(result.user, 'username'), 'unit_user');
      });

      it("neither, on a route with its own scope: that login's scopes", async () => {
        const fake = fakeFetch(tokenResponse({ scope: '' }), userInfoResponse());
        const h = harness(new TikTokStrategy({ ...BASE, fetch: fake.fetch }), {
          scope: 'user.info.basic,user.info.stats',
        });
        const agent = h.browser();
        const { state } = await startIn(agent);
        const result = outcomeOf(await agent.get(`/auth/tiktok/callback?code=c0de&state=${state}`));
        assert.equal(result.outcome, 'success');
        assert.equal(
          fake.calls[1]?.url,
          `https://open.tiktokapis.com/v2/user/info/?fields=${BASIC_FIELDS},follower_count,following_count,likes_count,video_count`,
        );
      });

      it('skipUserProfile: no user-info call, the profile is the open_id', async () => {
        const fake = fakeFetch(tokenResponse());
        const result = await run(fake, { skipUserProfile: true });
        assert.equal(fake.calls.length, 1);
        assert.equal(field(result.user, 'id'), 'open-1');
        assert.equal(field(result.user, 'displayName'), 'open-1');
      });
    });

    describe("passport-oauth2's userProfile() hook", () => {
      it('is served by TikTokClient, not by _oauth2.get', async () => {
        const fake = fakeFetch(userInfoResponse());
        const strategy = new TikTokStrategy({ ...BASE, fetch: fake.fetch });
        const profile = await new Promise<unknown>((resolve, reject) => {
          strategy.userProfile('act.direct', (err, p) =>
            err ? reject(err instanceof Error ? err : new Error('?')) : resolve(p),
          );
        });
        assert.equal(field(profile, 'id'), 'open-1');
        assert.equal(fake.calls[0]?.headers.get('authorization'), 'Bearer act.direct');
      });
    });
  });
});
