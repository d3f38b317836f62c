import assert from 'node:assert/strict';
import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from '../../lib/testing';
import {
  BASE64URL_CHALLENGE,
  REDIRECT_URI,
  authorizeParams,
  authorizeUrl,
  get,
  redirectTarget,
} from './helpers';
import { RedirectUriRegistry } from '../../lib/testing/redirect-uris';
import { browser, login, startLoginApp } from '../support/login';

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/** An attribute value as a browser reads it. */
function unescapeHtml(value: string): string {
  return value.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => HTML_ENTITIES[entity] ?? entity);
}

/**
 * The fields a browser submits from the consent page: hidden inputs, the checked radio and the
 * checked, enabled checkboxes except those of `untick`.
 */
function pageForm(html: string, untick: readonly string[]): URLSearchParams {
  const form = new URLSearchParams();
  for (const [input = ''] of html.matchAll(/<input [^>]*>/g)) {
    const attribute = (name: string): string | undefined => {
      const value = new RegExp(` ${name}="([^"]*)"`).exec(input)?.[1];
      return value === undefined ? undefined : unescapeHtml(value);
    };
    const name = attribute('name');
    const value = attribute('value');
    if (name === undefined || value === undefined) continue;
    const type = attribute('type');
    const checked = / checked[ >]/.test(input) && !/ disabled[ >]/.test(input);
    if (type === 'hidden' || (checked && !untick.includes(value))) form.append(name, value);
  }
  return form;
}

/** The consent form posted as the emulator's page would, the redirect not followed. */
function postConsent(tt: TikTokEmulator, form: URLSearchParams): Promise<Response> {
  return fetch(tt.endpoints.authorizationURL, { method: 'POST', body: form, redirect: 'manual' });
}

describe('emulator: authorize', () => {
  let tt: TikTokEmulator;

  before(async () => {
    tt = await startTikTokEmulator({
      users: [{}, { displayName: 'Second <b>User</b>' }],
      redirectUris: [REDIRECT_URI],
    });
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
      assert.ok(html.includes('<span class="name">Second &lt;b&gt;User&lt;/b&gt;</span>'));
      assert.ok(html.includes('<input type="radio" name="open_id" value="emulator-open-id-2"'));
    });

    it('shows the app name, each user with an avatar and each scope with what it allows', async () => {
      const scope = 'user.info.basic,user.info.stats';
      const html = await (await get(authorizeUrl(tt, { scope }))).text();
      const texts = (pattern: RegExp): string[] =>
        [...html.matchAll(pattern)].map((match) => match[1] ?? '');
      assert.deepEqual(texts(/<h2 id="app-name">([^<]*)<\/h2>/g), ['Emulated TikTok app']);
      assert.deepEqual(texts(/<img src="([^"]*)" alt=""/g), [
        `${tt.url}/emulator/avatar/emulator-open-id-1.svg?size=100`,
        `${tt.url}/emulator/avatar/emulator-open-id-2.svg?size=100`,
      ]);
      assert.deepEqual(texts(/<label for="scope-[^"]*">([^<]*)<code>/g), [
        'Read your profile info (avatar and display name)',
        'Read your statistics (followers, following, likes and video count)',
      ]);
      const visible = html.replace(/<input type="hidden"[^>]*>/g, '');
      assert.ok(!visible.includes(tt.clientKey), 'the app name, not the client key');
      assert.ok(!/<script|<link|@import|url\(/i.test(html), 'no script and no external resource');
      const named = await startTikTokEmulator({
        appName: 'Acme <Video>',
        redirectUris: [REDIRECT_URI],
      });
      try {
        const page = await (await get(authorizeUrl(named))).text();
        assert.ok(page.includes('<h2 id="app-name">Acme &lt;Video&gt;</h2>'));
        assert.ok(
          page.includes('<title>Acme &lt;Video&gt; - Log in with TikTok (emulator)</title>'),
        );
      } finally {
        await named.close();
      }
      await assert.rejects(startTikTokEmulator({ appName: '' }), /option `appName`/);
    });

    it('approves: redirect with a code containing * ! and ., the scopes and the state', async () => {
      const form = authorizeParams(tt, { scope: 'user.info.basic,user.info.profile' });
      form.set('decision', 'approve');
      const response = await postConsent(tt, form);
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
      const response = await postConsent(tt, form);
      assert.equal(redirectTarget(response).searchParams.get('scopes'), 'user.info.basic');
    });

    it('keeps user.info.basic granted when a scripted post leaves it out, as the page cannot', async () => {
      const form = authorizeParams(tt, { scope: 'user.info.basic,user.info.profile' });
      form.append('granted_scope', 'user.info.profile');
      form.set('decision', 'approve');
      const response = await postConsent(tt, form);
      assert.equal(
        redirectTarget(response).searchParams.get('scopes'),
        'user.info.basic,user.info.profile',
      );
    });

    it('grants nothing when the page is posted with every box unticked (user.info.basic not requested)', async () => {
      const scope = 'user.info.profile,video.list';
      const html = await (await get(authorizeUrl(tt, { scope }))).text();
      assert.ok(html.includes('<input type="hidden" name="consent_form" value="1">'));
      const form = pageForm(html, ['user.info.profile', 'video.list']);
      assert.deepEqual(form.getAll('granted_scope'), [], 'a browser posts no box at all');
      form.set('decision', 'approve');
      const target = redirectTarget(await postConsent(tt, form));
      assert.equal(target.searchParams.get('scopes'), '', 'as setConsent({ grantedScopes: [] })');
      const oneTicked = pageForm(html, ['video.list']);
      oneTicked.set('decision', 'approve');
      assert.equal(
        redirectTarget(await postConsent(tt, oneTicked)).searchParams.get('scopes'),
        'user.info.profile',
      );
      // A scripted post without the page's marker and without granted_scope: everything asked.
      const scripted = authorizeParams(tt, { scope });
      scripted.set('decision', 'approve');
      assert.equal(
        redirectTarget(await postConsent(tt, scripted)).searchParams.get('scopes'),
        scope,
      );
    });

    it('denies: redirect with access_denied, errCode -2 and the state', async () => {
      const form = authorizeParams(tt);
      form.set('decision', 'deny');
      const response = await postConsent(tt, form);
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

    it('grants user.info.basic whenever it was requested, even when setConsent leaves it out', async () => {
      tt.setConsent({ decision: 'approve', grantedScopes: ['user.info.profile'] });
      const url = authorizeUrl(tt, { scope: 'user.info.basic,user.info.profile' });
      assert.equal(
        redirectTarget(await get(url)).searchParams.get('scopes'),
        'user.info.basic,user.info.profile',
      );
      tt.setConsent({ decision: 'approve', grantedScopes: [] });
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

    it('accepts base64url challenges here (the code exchange refuses them)', async () => {
      const url = authorizeUrl(tt, { code_challenge: BASE64URL_CHALLENGE });
      assert.ok(redirectTarget(await get(url)).searchParams.has('code'));
    });

    it('refuses unknown users in setConsent', () => {
      assert.throws(() => tt.setConsent({ decision: 'approve', openId: 'x' }), TypeError);
    });
  });

  describe('registered redirect URIs', () => {
    const started: TikTokEmulator[] = [];
    async function emulator(options: TikTokEmulatorOptions): Promise<TikTokEmulator> {
      const emulator = await startTikTokEmulator({ autoApprove: true, ...options });
      started.push(emulator);
      return emulator;
    }
    after(() => Promise.all(started.map((emulator) => emulator.close())));

    async function errorDetails(response: Response): Promise<{ error: string; details: string[] }> {
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null, 'never redirected');
      const html = await response.text();
      const error = /<p id="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? '';
      const list = /<ul id="error-details">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
      const details = [...list.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1] ?? '');
      return { error, details };
    }

    it('none registered (the default): refused with a page that says how to register one', async () => {
      const bare = await emulator({});
      assert.deepEqual(bare.redirectUris, []);
      const uri = 'http://127.0.0.1:3000/cb?x=<b>"';
      const page = await errorDetails(await get(authorizeUrl(bare, { redirect_uri: uri })));
      const escaped = 'http://127.0.0.1:3000/cb?x=&lt;b&gt;&quot;';
      const quoted = '&quot;http://127.0.0.1:3000/cb?x=&lt;b&gt;\\&quot;&quot;';
      assert.deepEqual(page, {
        error: 'redirect_uri is not registered: this app has no redirect URI registered',
        details: [
          `Received: <code>${escaped}</code>`,
          `Register it when starting the emulator: <code>startTikTokEmulator({ redirectUris: [${quoted}] })</code>`,
          `or on the running emulator: <code>tt.registerRedirectUri(${quoted})</code>`,
          'redirectUris: &#39;any&#39; accepts every redirect URI (TikTok never does).',
        ],
      });
      assert.equal(bare.count('authorize'), 1);
    });

    it('accepts only exact matches, and names the received and the registered URIs', async () => {
      const strict = await emulator({ redirectUris: [REDIRECT_URI, 'https://app.example/cb'] });
      assert.equal((await get(authorizeUrl(strict))).status, 302);
      const trailing = `${REDIRECT_URI}/`;
      const page = await errorDetails(await get(authorizeUrl(strict, { redirect_uri: trailing })));
      assert.equal(
        page.error,
        'redirect_uri is not registered for this app (the match is exact, byte for byte)',
      );
      assert.deepEqual(page.details.slice(0, 3), [
        `Received: <code>${trailing}</code>`,
        `Registered: <code>${REDIRECT_URI}</code>`,
        'Registered: <code>https://app.example/cb</code>',
      ]);
      const upper = await get(authorizeUrl(strict, { redirect_uri: REDIRECT_URI.toUpperCase() }));
      assert.equal(upper.status, 400);
    });

    it('registerRedirectUri() adds one later (kept by reset()); bad URIs are a TypeError', async () => {
      const late = await emulator({});
      assert.equal((await get(authorizeUrl(late))).status, 400);
      late.registerRedirectUri(REDIRECT_URI);
      late.registerRedirectUri(REDIRECT_URI);
      assert.deepEqual(late.redirectUris, [REDIRECT_URI]);
      late.reset();
      assert.equal((await get(authorizeUrl(late))).status, 302);
      assert.throws(() => late.registerRedirectUri('/callback'), {
        name: 'TypeError',
        message:
          'TikTokEmulator.registerRedirectUri: "/callback" is not an absolute http(s) URI (https://developers.tiktok.com/doc/login-kit-web)',
      });
      assert.throws(() => late.registerRedirectUri(`${REDIRECT_URI}#x`), /has a fragment/);
      assert.throws(() => late.registerRedirectUri(`${REDIRECT_URI}?tenant=a`), /has a query/);
      assert.deepEqual(late.redirectUris, [REDIRECT_URI]);
    });

    // TikTok's rules for a web app's redirect URIs (https://developers.tiktok.com/doc/login-kit-web).
    describe("TikTok's registration rules", () => {
      const RULES = 'https://developers.tiktok.com/doc/login-kit-web';
      const refusals: [rule: string, uri: string, message: string][] = [
        [
          'static: no query',
          'https://app.example.com/cb?provider=tiktok',
          '"https://app.example.com/cb?provider=tiktok" has a query: TikTok registers static redirect URIs only, parameters are refused',
        ],
        [
          'static: not even an empty query',
          'https://app.example.com/cb?',
          '"https://app.example.com/cb?" has a query: TikTok registers static redirect URIs only, parameters are refused',
        ],
        [
          'under 512 characters',
          `https://app.example.com/${'x'.repeat(512 - 24)}`,
          `"https://app.example.com/${'x'.repeat(76)}…" is 512 characters long: TikTok's limit is under 512`,
        ],
        [
          'no fragment',
          'https://app.example.com/cb#top',
          `"https://app.example.com/cb#top" has a fragment: TikTok's redirect URIs have none`,
        ],
      ];
      for (const [rule, uri, message] of refusals) {
        it(`${rule}: startTikTokEmulator and registerRedirectUri refuse ${uri.slice(0, 40)}`, async () => {
          await assert.rejects(startTikTokEmulator({ redirectUris: [REDIRECT_URI, uri] }), {
            name: 'TypeError',
            message: `startTikTokEmulator: option \`redirectUris\`: ${message} (${RULES})`,
          });
          const late = await emulator({ redirectUris: [REDIRECT_URI] });
          assert.throws(() => late.registerRedirectUri(uri), {
            name: 'TypeError',
            message: `TikTokEmulator.registerRedirectUri: ${message} (${RULES})`,
          });
          assert.deepEqual(late.redirectUris, [REDIRECT_URI]);
        });
      }

      it('accepts https, http (a laptop, a LAN address), and 511 characters', async () => {
        const accepted = [
          'https://app.example.com/auth/tiktok/callback',
          'http://localhost:3000/auth/tiktok/callback',
          'http://192.168.1.20:3000/auth/tiktok/callback',
          'http://127.0.0.2:3000/cb',
          'http://[::1]:3000/cb',
          `https://app.example.com/${'x'.repeat(511 - 24)}`,
        ];
        const ok = await emulator({ redirectUris: accepted });
        assert.deepEqual(ok.redirectUris, accepted);
        const target = redirectTarget(
          await get(authorizeUrl(ok, { redirect_uri: 'http://[::1]:3000/cb' })),
        );
        assert.equal(target.host, '[::1]:3000');
      });

      it('any number of URIs (a suite registers one per app it starts on an ephemeral port)', async () => {
        const many = Array.from({ length: 25 }, (_, i) => `http://127.0.0.1:${40000 + i}/cb`);
        const tt = await emulator({ redirectUris: many.slice(0, 12) });
        for (const uri of many.slice(12)) tt.registerRedirectUri(uri);
        assert.deepEqual(tt.redirectUris, many);
      });
    });

    // TikTok's desktop rules (https://developers.tiktok.com/doc/login-kit-desktop): a wildcard
    // port, for localhost and 127.0.0.1 only.
    describe('a wildcard port (:*)', () => {
      const DESKTOP = 'https://developers.tiktok.com/doc/login-kit-desktop';

      it('matches the URI on any port of 127.0.0.1 or localhost, nothing else', async () => {
        const tt = await emulator({
          redirectUris: ['http://127.0.0.1:*/auth/tiktok/callback', 'https://localhost:*/cb/'],
        });
        for (const uri of [
          'http://127.0.0.1:3000/auth/tiktok/callback',
          'http://127.0.0.1:65535/auth/tiktok/callback',
          'http://127.0.0.1:1/auth/tiktok/callback',
          'https://localhost:54321/cb/',
        ]) {
          const back = redirectTarget(await get(authorizeUrl(tt, { redirect_uri: uri })));
          assert.equal(back.origin + back.pathname, uri, uri);
        }
        const NOT_REGISTERED =
          'redirect_uri is not registered for this app (the match is exact, byte for byte, but for the port of a wildcard)';
        // Not URLs at all: refused before any registration is looked at.
        const NOT_A_URI = 'redirect_uri must be an absolute http(s) URI without fragment';
        const refused: [uri: string, error: string][] = [
          ['http://127.0.0.1/auth/tiktok/callback', NOT_REGISTERED], // TikTok: a port is required
          ['http://127.0.0.1:/auth/tiktok/callback', NOT_REGISTERED],
          ['http://127.0.0.1:0/auth/tiktok/callback', NOT_REGISTERED],
          ['http://127.0.0.1:03000/auth/tiktok/callback', NOT_REGISTERED],
          ['http://127.0.0.1:3000/auth/tiktok/callback/', NOT_REGISTERED],
          ['http://127.0.0.1:3000/auth/tiktok/callbackx', NOT_REGISTERED],
          ['http://127.0.0.1:30/00/auth/tiktok/callback', NOT_REGISTERED],
          ['https://127.0.0.1:3000/auth/tiktok/callback', NOT_REGISTERED],
          ['http://localhost:3000/auth/tiktok/callback', NOT_REGISTERED],
          ['https://localhost:54321/cb', NOT_REGISTERED],
          ['http://127.0.0.1:65536/auth/tiktok/callback', NOT_A_URI],
          ['http://127.0.0.1:3000x/auth/tiktok/callback', NOT_A_URI],
          ['http://127.0.0.1:*/auth/tiktok/callback', NOT_A_URI],
        ];
        for (const [uri, error] of refused) {
          const page = await errorDetails(await get(authorizeUrl(tt, { redirect_uri: uri })));
          assert.equal(page.error, error, uri);
        }
      });

      it('one wildcard registration takes authorize requests for any port', async () => {
        const tt = await emulator({ redirectUris: ['http://127.0.0.1:*/auth/tiktok/callback'] });
        for (const port of [41001, 41002]) {
          const uri = `http://127.0.0.1:${port}/auth/tiktok/callback`;
          const back = redirectTarget(await get(authorizeUrl(tt, { redirect_uri: uri })));
          assert.equal(back.port, String(port));
          assert.match(back.searchParams.get('code') ?? '', /.+/);
        }
        assert.deepEqual(tt.redirectUris, ['http://127.0.0.1:*/auth/tiktok/callback']);
      });

      it('two apps on their own ports complete a login against one wildcard registration', async () => {
        const tt = await emulator({ redirectUris: ['http://127.0.0.1:*/auth/tiktok/callback'] });
        for (const port of [41003, 41004]) {
          const app = await startLoginApp({
            tt,
            strategy: { callbackURL: `http://127.0.0.1:${port}/auth/tiktok/callback` },
          });
          try {
            const res = await login(browser(app.server));
            assert.equal(res.status, 302, res.text);
            assert.equal(res.headers.location, '/');
          } finally {
            await app.close();
          }
        }
        assert.equal(tt.count('token'), 2);
      });

      it('a port is 1 to 65535, written without a leading zero', () => {
        const registry = new RedirectUriRegistry(['http://localhost:*/cb']);
        for (const port of ['1', '80', '65535']) {
          assert.equal(registry.isRegistered(`http://localhost:${port}/cb`), true, port);
        }
        for (const port of ['0', '65536', '99999', '100000', '080', '', '-1', '1e3', '8O']) {
          assert.equal(registry.isRegistered(`http://localhost:${port}/cb`), false, port);
        }
      });

      it('an injected authorize error goes back to a URI the wildcard matches, and nowhere else', async () => {
        const tt = await emulator({ redirectUris: ['http://127.0.0.1:*/cb'] });
        tt.inject('authorize', { tiktokError: { error: 'server_error' }, times: 2 });
        const back = redirectTarget(
          await get(authorizeUrl(tt, { redirect_uri: 'http://127.0.0.1:4321/cb' })),
        );
        assert.equal(back.port, '4321');
        assert.equal(back.searchParams.get('error'), 'server_error');
        const elsewhere = await get(
          authorizeUrl(tt, { redirect_uri: 'http://127.0.0.1:4321/other' }),
        );
        assert.equal(elsewhere.status, 400);
        assert.equal(elsewhere.headers.get('location'), null);
      });

      const refused: [uri: string, message: string][] = [
        [
          'https://app.example.com:*/cb',
          `"https://app.example.com:*/cb" has a wildcard port (:*) on a host other than localhost or 127.0.0.1, or a query or fragment after it: TikTok takes a wildcard port only for those two hosts, with a static path`,
        ],
        [
          'http://[::1]:*/cb',
          `"http://[::1]:*/cb" has a wildcard port (:*) on a host other than localhost or 127.0.0.1, or a query or fragment after it: TikTok takes a wildcard port only for those two hosts, with a static path`,
        ],
        [
          'http://127.0.0.1:*/cb?x=1',
          `"http://127.0.0.1:*/cb?x=1" has a wildcard port (:*) on a host other than localhost or 127.0.0.1, or a query or fragment after it: TikTok takes a wildcard port only for those two hosts, with a static path`,
        ],
        [
          `http://127.0.0.1:*/${'x'.repeat(512 - 19)}`,
          `"http://127.0.0.1:*/${'x'.repeat(81)}…" is 512 characters long: TikTok's limit is under 512`,
        ],
      ];
      for (const [uri, message] of refused) {
        it(`refuses to register ${uri.slice(0, 40)}`, async () => {
          const tt = await emulator({});
          assert.throws(() => tt.registerRedirectUri(uri), {
            name: 'TypeError',
            message: `TikTokEmulator.registerRedirectUri: ${message} (${DESKTOP})`,
          });
          await assert.rejects(startTikTokEmulator({ redirectUris: [uri] }), {
            name: 'TypeError',
            message: `startTikTokEmulator: option \`redirectUris\`: ${message} (${DESKTOP})`,
          });
        });
      }
    });

    it("redirectUris: 'any' appends to a redirect URI that has a query (TikTok registers none)", async () => {
      const any = await emulator({ redirectUris: 'any' });
      const location = (
        await get(authorizeUrl(any, { redirect_uri: `${REDIRECT_URI}?tenant=a` }))
      ).headers.get('location');
      assert.match(
        location ?? '',
        /^http:\/\/127\.0\.0\.1:3000\/auth\/tiktok\/callback\?tenant=a&code=/,
      );
    });

    it("redirectUris: 'any' accepts every absolute http(s) URI, and still no fragment", async () => {
      const any = await emulator({ redirectUris: 'any' });
      assert.equal(any.redirectUris, 'any');
      const target = redirectTarget(
        await get(authorizeUrl(any, { redirect_uri: 'https://anything.example/x' })),
      );
      assert.equal(target.origin + target.pathname, 'https://anything.example/x');
      any.registerRedirectUri(REDIRECT_URI);
      assert.equal(any.redirectUris, 'any');
      const fragment = await get(authorizeUrl(any, { redirect_uri: `${REDIRECT_URI}#x` }));
      assert.equal(fragment.status, 400);
    });

    it('an injected authorize error goes back only to a registered URI', async () => {
      const strict = await emulator({ redirectUris: [REDIRECT_URI] });
      strict.inject('authorize', { tiktokError: { error: 'server_error' }, times: 2 });
      const back = redirectTarget(await get(authorizeUrl(strict)));
      assert.equal(back.searchParams.get('error'), 'server_error');
      const elsewhere = await get(authorizeUrl(strict, { redirect_uri: 'https://evil.example/' }));
      assert.equal(elsewhere.status, 400);
      assert.equal(elsewhere.headers.get('location'), null);
    });

    it("with redirectUris: 'any', an injected authorize error goes back only to a URI authorize accepts", async () => {
      const any = await emulator({ redirectUris: 'any' });
      for (const uri of ['javascript:alert(1)//', `${REDIRECT_URI}#frag`, 'not a uri']) {
        any.inject('authorize', { tiktokError: { error: 'server_error' } });
        const refused = await get(authorizeUrl(any, { redirect_uri: uri }));
        assert.equal(refused.status, 400, uri);
        assert.equal(refused.headers.get('location'), null, uri);
      }
      any.inject('authorize', {
        tiktokError: { error: 'temporarily_unavailable' },
        retryAfter: 7,
        headers: { 'x-test': 'kept' },
      });
      const back = await get(authorizeUrl(any, { redirect_uri: 'https://anything.example/x' }));
      assert.equal(redirectTarget(back).searchParams.get('error'), 'temporarily_unavailable');
      assert.equal(back.headers.get('retry-after'), '7');
      assert.equal(back.headers.get('x-test'), 'kept');
    });

    it('lets requirePkce: false through without a challenge', async () => {
      const lax = await startTikTokEmulator({
        requirePkce: false,
        autoApprove: true,
        redirectUris: [REDIRECT_URI],
      });
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
