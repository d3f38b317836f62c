import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  BASE64URL_CHALLENGE,
  REDIRECT_URI,
  authorizeParams,
  authorizeUrl,
  get,
  redirectTarget,
} from './helpers';

describe('TikTok emulator: authorize', () => {
  let tt: TikTokEmulator;

  before(async () => {
    tt = await startTikTokEmulator({ users: [{}, { displayName: 'Second <b>User</b>' }] });
  });
  after(() => tt.close());
  beforeEach(() => tt.reset());

  async function assertErrorPage(url: string, mention: string): Promise<void> {
    const response = await get(url);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const html = await response.text();
    assert.ok(html.includes(mention), `error page mentions ${mention}: ${html}`);
  }

  describe('stopping on an error page', () => {
    it('refuses client_id instead of client_key', async () => {
      const url = authorizeUrl(tt, { client_key: undefined, client_id: tt.clientKey });
      await assertErrorPage(url, 'client_key is required: TikTok does not read client_id');
    });

    it('refuses a client_secret in the URL', async () => {
      const url = authorizeUrl(tt, { client_secret: tt.clientSecret });
      await assertErrorPage(url, 'client_secret must never be sent');
    });

    it('refuses a wrong client_key', async () => {
      await assertErrorPage(authorizeUrl(tt, { client_key: 'nope' }), 'client_key is invalid');
    });

    it('refuses space-separated scopes', async () => {
      const url = authorizeUrl(tt, { scope: 'user.info.basic user.info.profile' });
      await assertErrorPage(url, 'scope must be comma-separated');
    });

    it('refuses unknown scopes and a missing scope', async () => {
      await assertErrorPage(authorizeUrl(tt, { scope: 'user.email' }), 'unknown scope');
      await assertErrorPage(authorizeUrl(tt, { scope: undefined }), 'scope is required');
    });

    it('refuses a missing PKCE challenge, mentioning code_challenge', async () => {
      const url = authorizeUrl(tt, { code_challenge: undefined, code_challenge_method: undefined });
      await assertErrorPage(url, 'code_challenge is required');
    });

    it('refuses a challenge method other than S256', async () => {
      const url = authorizeUrl(tt, { code_challenge_method: 'plain' });
      await assertErrorPage(url, 'code_challenge_method must be S256');
    });

    it('refuses response_type other than code, and repeated parameters', async () => {
      await assertErrorPage(authorizeUrl(tt, { response_type: 'token' }), 'response_type');
      const doubled = `${authorizeUrl(tt)}&state=again`;
      await assertErrorPage(doubled, 'state must appear only once');
    });

    it('refuses relative redirect URIs and fragments', async () => {
      await assertErrorPage(authorizeUrl(tt, { redirect_uri: '/callback' }), 'redirect_uri');
      const withFragment = authorizeUrl(tt, { redirect_uri: `${REDIRECT_URI}#x` });
      await assertErrorPage(withFragment, 'without fragment');
    });

    it('escapes what it reflects', async () => {
      const url = authorizeUrl(tt, { scope: '<script>alert(1)</script>' });
      const html = await (await get(url)).text();
      assert.ok(!html.includes('<script>alert(1)'));
      assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    });
  });

  describe('the consent page', () => {
    it('lists the scopes and users and has Approve / Deny, escaping the state', async () => {
      const state = '<script>alert("x")</script>';
      const scope = 'user.info.basic,user.info.profile';
      const response = await get(authorizeUrl(tt, { state, scope }));
      assert.equal(response.status, 200);
      const html = await response.text();
      assert.ok(html.includes('<form method="post" action="/v2/auth/authorize/">'));
      assert.ok(
        html.includes('<button type="submit" id="approve" name="decision" value="approve">'),
      );
      assert.ok(html.includes('<button type="submit" id="deny" name="decision" value="deny">'));
      assert.ok(!html.includes(state));
      assert.ok(
        html.includes(
          '<input type="hidden" name="state" value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">',
        ),
      );
      assert.ok(html.includes('name="granted_scope" value="user.info.profile" checked'));
      assert.ok(html.includes('<option value="emulator-open-id-2">Second &lt;b&gt;User'));
    });

    it('approves: redirect with a code containing * ! and ., the scopes and the state', async () => {
      const form = authorizeParams(tt, { scope: 'user.info.basic,user.info.profile' });
      form.set('decision', 'approve');
      const response = await fetch(tt.endpoints.authorizationURL, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      const target = redirectTarget(response);
      assert.equal(`${target.origin}${target.pathname}`, REDIRECT_URI);
      const code = target.searchParams.get('code') ?? '';
      assert.match(code, /^[A-Za-z0-9_-]+\*![A-Za-z0-9_-]+\.\d+$/);
      assert.ok(target.search.includes('%2A%21'), 'the code is percent-encoded in the URL');
      assert.equal(target.searchParams.get('scopes'), 'user.info.basic,user.info.profile');
      assert.equal(target.searchParams.get('state'), 'state-123');
    });

    it('grants only the ticked scopes and logs in the chosen user', async () => {
      const form = authorizeParams(tt, { scope: 'user.info.basic,user.info.profile' });
      form.append('granted_scope', 'user.info.basic');
      form.set('open_id', 'emulator-open-id-2');
      form.set('decision', 'approve');
      const response = await fetch(tt.endpoints.authorizationURL, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      assert.equal(redirectTarget(response).searchParams.get('scopes'), 'user.info.basic');
    });

    it('denies: redirect with access_denied, errCode -2 and the state', async () => {
      const form = authorizeParams(tt);
      form.set('decision', 'deny');
      const response = await fetch(tt.endpoints.authorizationURL, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      assert.equal(
        response.headers.get('location'),
        `${REDIRECT_URI}?error=access_denied&error_description=User%20cancelled%20the%20authorization&errCode=-2&state=state-123`,
      );
    });

    it('refuses a post without a decision or with an unknown user', async () => {
      const noDecision = await fetch(tt.endpoints.authorizationURL, {
        method: 'POST',
        body: authorizeParams(tt),
      });
      assert.equal(noDecision.status, 400);
      const form = authorizeParams(tt);
      form.set('decision', 'approve');
      form.set('open_id', 'stranger');
      const unknownUser = await fetch(tt.endpoints.authorizationURL, {
        method: 'POST',
        body: form,
      });
      assert.equal(unknownUser.status, 400);
    });
  });

  describe('auto-approval', () => {
    beforeEach(() => {
      tt.autoApprove = true;
    });

    it('redirects at once with every requested scope for the first user', async () => {
      const target = redirectTarget(
        await get(authorizeUrl(tt, { scope: 'user.info.basic,video.list' })),
      );
      assert.equal(target.searchParams.get('scopes'), 'user.info.basic,video.list');
      assert.equal(target.searchParams.get('state'), 'state-123');
      assert.ok(target.searchParams.get('code')?.includes('*!'));
    });

    it('grants the setConsent subset', async () => {
      tt.setConsent({ decision: 'approve', grantedScopes: ['user.info.basic', 'video.upload'] });
      const url = authorizeUrl(tt, { scope: 'user.info.basic,user.info.profile' });
      assert.equal(redirectTarget(await get(url)).searchParams.get('scopes'), 'user.info.basic');
    });

    it('denies when setConsent says deny, until the override is cleared', async () => {
      tt.setConsent({ decision: 'deny' });
      assert.equal(
        redirectTarget(await get(authorizeUrl(tt))).searchParams.get('error'),
        'access_denied',
      );
      assert.equal(
        redirectTarget(await get(authorizeUrl(tt))).searchParams.get('error'),
        'access_denied',
      );
      tt.setConsent();
      assert.equal(redirectTarget(await get(authorizeUrl(tt))).searchParams.get('error'), null);
    });

    it('still auto-approves with disable_auto_auth=1, and records it', async () => {
      const target = redirectTarget(await get(authorizeUrl(tt, { disable_auto_auth: '1' })));
      assert.ok(target.searchParams.has('code'));
      assert.equal(tt.requests[0]?.query.disable_auto_auth, '1');
    });

    it('appends to a redirect URI that has a query, and accepts base64url challenges here', async () => {
      const url = authorizeUrl(tt, {
        redirect_uri: 'http://127.0.0.1:3000/cb?tenant=a',
        code_challenge: BASE64URL_CHALLENGE,
      });
      const location = (await get(url)).headers.get('location') ?? '';
      assert.match(location, /^http:\/\/127\.0\.0\.1:3000\/cb\?tenant=a&code=/);
    });

    it('refuses unknown users in setConsent', () => {
      assert.throws(() => tt.setConsent({ decision: 'approve', openId: 'x' }), TypeError);
    });
  });

  describe('registered redirect URIs', () => {
    it('accepts only exact matches', async () => {
      const strict = await startTikTokEmulator({ redirectUris: [REDIRECT_URI], autoApprove: true });
      try {
        const ok = await get(authorizeUrl(strict));
        assert.equal(ok.status, 302);
        const trailing = await get(authorizeUrl(strict, { redirect_uri: `${REDIRECT_URI}/` }));
        assert.equal(trailing.status, 400);
        assert.ok((await trailing.text()).includes('redirect_uri is not registered'));
      } finally {
        await strict.close();
      }
    });

    it('lets requirePkce: false through without a challenge', async () => {
      const lax = await startTikTokEmulator({ requirePkce: false, autoApprove: true });
      try {
        const url = authorizeUrl(lax, {
          code_challenge: undefined,
          code_challenge_method: undefined,
        });
        assert.equal((await get(url)).status, 302);
      } finally {
        await lax.close();
      }
    });
  });
});
