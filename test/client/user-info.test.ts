import assert from 'node:assert/strict';
import { authorize, useEmulator } from '../support/emulator';
import { rejection } from '../support/assertions';
import { fakeFetch, json } from '../support/fake-fetch';
import { TikTokClient } from '../../lib';

const BASIC_FIELDS = 'open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name';

function fieldsAsked(h: ReturnType<typeof useEmulator>): string | string[] | undefined {
  const requests = h.tt.requests.filter((r) => r.endpoint === 'userinfo');
  assert.equal(requests.length, 1);
  return requests[0]!.query.fields;
}

// User info: https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info
describe('TikTokClient', () => {
  describe('#getUserInfo', () => {
    const h = useEmulator();

    it('HTTP 200 with error.code ≠ ok → the mapped error, not a user', async () => {
      const client = h.client();
      const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      h.tt.inject('userinfo', {
        tiktokError: { error: 'scope_not_authorized', description: 'Nope.', status: 200 },
      });
      const err = await rejection(client.getUserInfo(access_token));
      assert.equal(err.code, 'SCOPE_NOT_AUTHORIZED');
      assert.equal(err.statusCode, 403);
      assert.equal(err.upstreamStatus, 200);
      assert.deepEqual(err.tiktokError, { error: 'scope_not_authorized', description: 'Nope.' });
      assert.equal(h.tt.count('userinfo'), 1);
    });

    it('a token without user.info.basic → SCOPE_NOT_AUTHORIZED (HTTP 401 scope_not_authorized)', async () => {
      const client = h.client();
      const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId, ['video.list']);
      const err = await rejection(client.getUserInfo(access_token, { fields: ['open_id'] }));
      assert.equal(err.code, 'SCOPE_NOT_AUTHORIZED');
      assert.equal(err.upstreamStatus, 401);
      assert.equal(err.tiktokError?.error, 'scope_not_authorized');
      assert.equal(h.tt.count('userinfo'), 1);
    });

    it('HTTP 200 with an unknown error.code → API_ERROR, not retried', async () => {
      const client = h.client();
      const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
      h.tt.inject('userinfo', { tiktokError: { error: 'brand_new_error', status: 200 } });
      const err = await rejection(client.getUserInfo(access_token));
      assert.equal(err.code, 'API_ERROR');
      assert.equal(err.retryable, false);
      assert.equal(h.tt.count('userinfo'), 1);
    });

    it('open_id different from the expected one → fails (MALFORMED_RESPONSE)', async () => {
      const client = h.client();
      const other = h.tt.addUser();
      const { access_token } = h.tt.issueTokens(other.openId);
      const err = await rejection(
        client.getUserInfo(access_token, { expectedOpenId: h.tt.users[0]!.openId }),
      );
      assert.equal(err.code, 'MALFORMED_RESPONSE');
      assert.match(err.message, /open_id differs from the one the token was issued for/);
      const user = await client.getUserInfo(access_token, { expectedOpenId: other.openId });
      assert.equal(user.open_id, other.openId);
    });

    it('a revoked or unknown token → INVALID_TOKEN (HTTP 401 access_token_invalid)', async () => {
      const err = await rejection(h.client().getUserInfo('act.never-issued'));
      assert.equal(err.code, 'INVALID_TOKEN');
      assert.equal(err.upstreamStatus, 401);
      assert.equal(err.tiktokError?.error, 'access_token_invalid');
    });

    describe('fields follow the granted scopes', () => {
      it('granted a subset of the requested scopes → only the granted fields are asked', async () => {
        const client = h.client({ scopes: ['user.info.basic', 'user.info.profile'] });
        h.tt.setConsent({ decision: 'approve', grantedScopes: ['user.info.basic'] });
        const { code, codeVerifier, grantedScopes } = await authorize(client);
        assert.deepEqual(grantedScopes, ['user.info.basic']);
        const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
        assert.equal(tokens.scope, 'user.info.basic');
        const user = await client.getUserInfo(tokens.access_token, {
          scopes: tokens.scope.split(','),
        });
        assert.equal(fieldsAsked(h), BASIC_FIELDS);
        assert.equal(user.open_id, h.tt.users[0]!.openId);
        assert.equal(user.display_name, h.tt.users[0]!.displayName);
        assert.equal(user.username, undefined);
      });

      it('asking for the requested (not granted) scopes would fail: SCOPE_NOT_AUTHORIZED', async () => {
        const client = h.client({ scopes: ['user.info.basic', 'user.info.profile'] });
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId, ['user.info.basic']);
        const err = await rejection(client.getUserInfo(access_token));
        assert.equal(err.code, 'SCOPE_NOT_AUTHORIZED');
        assert.equal(err.statusCode, 403);
        assert.equal(err.upstreamStatus, 400);
        assert.equal(err.tiktokError?.error, 'scope_permission_missed');
        assert.equal(
          fieldsAsked(h),
          `${BASIC_FIELDS},bio_description,profile_deep_link,is_verified,username`,
        );
      });

      it('every granted scope → every field, parsed with types', async () => {
        const scopes = ['user.info.basic', 'user.info.profile', 'user.info.stats'];
        const u = h.tt.users[0]!;
        const { access_token } = h.tt.issueTokens(u.openId, scopes);
        const user = await h.client().getUserInfo(access_token, { scopes });
        assert.deepEqual(user, {
          open_id: u.openId,
          union_id: u.unionId,
          avatar_url: u.avatarUrl,
          avatar_url_100: u.avatarUrl100,
          avatar_large_url: u.avatarLargeUrl,
          display_name: u.displayName,
          bio_description: u.bioDescription,
          profile_deep_link: u.profileDeepLink,
          is_verified: u.isVerified,
          username: u.username,
          follower_count: u.followerCount,
          following_count: u.followingCount,
          likes_count: u.likesCount,
          video_count: u.videoCount,
        });
      });

      it('explicit fields win over scopes; open_id is sent as given', async () => {
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const user = await h
          .client()
          .getUserInfo(access_token, { fields: ['open_id', 'display_name'] });
        assert.equal(fieldsAsked(h), 'open_id,display_name');
        assert.deepEqual(Object.keys(user), ['open_id', 'display_name']);
      });

      it('explicit fields without open_id: open_id is asked for first (the answer needs it)', async () => {
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const user = await h.client().getUserInfo(access_token, { fields: ['display_name'] });
        assert.equal(fieldsAsked(h), 'open_id,display_name');
        assert.equal(user.open_id, h.tt.users[0]!.openId);
      });
    });

    describe('a userInfoURL with a query of its own (a proxy)', () => {
      it('keeps the query and adds fields', async () => {
        const client = h.client({ userInfoURL: `${h.tt.endpoints.userInfoURL}?tenant=acme` });
        const { access_token } = h.tt.issueTokens(h.tt.users[0]!.openId);
        const user = await client.getUserInfo(access_token);
        assert.equal(user.open_id, h.tt.users[0]!.openId);
        const [sent] = h.tt.requests;
        assert.deepEqual(sent?.query, { tenant: 'acme', fields: BASIC_FIELDS });
      });

      it('sends its bytes in front, the comma list unescaped, and no fields of its own', async () => {
        const f = fakeFetch(
          json(200, { data: { user: { open_id: 'o-1' } }, error: { code: 'ok', log_id: 'L' } }),
        );
        const client = new TikTokClient({
          clientKey: 'key',
          clientSecret: 'secret',
          redirectUri: 'https://app.example/cb',
          userInfoURL: 'https://proxy.example/info/?tenant=acme&fields=bogus&x=a%20b+c&flag',
          fetch: f.fetch,
        });
        await client.getUserInfo('act.token', { fields: ['display_name', 'username'] });
        await client.getUserInfo('act.token', { fields: ['display_name', 'username'] });
        const url =
          'https://proxy.example/info/?tenant=acme&x=a%20b+c&flag&fields=open_id,display_name,username';
        assert.deepEqual(
          f.calls.map((c) => c.url),
          [url, url],
        );
      });
    });
  });
});
