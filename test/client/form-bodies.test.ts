import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TikTokClient } from '../../lib';
import { TOKEN_PARAMS } from '../../lib/client/endpoints';

// The four token/revoke bodies are built from pre-encoded parts (credentials, the code grant's
// tail): each must still be exactly what URLSearchParams makes of its fields, in this order.
const REDIRECT = "https://app.example.com/auth/tiktok/callback?a=1&b=x~y(1)!'*";
const TOKENS = JSON.stringify({
  access_token: 'act.example',
  refresh_token: 'rft.example',
  open_id: 'open-1',
  scope: 'user.info.basic',
  expires_in: 86400,
  refresh_expires_in: 31536000,
  token_type: 'Bearer',
});

function capturingClient(
  opts: {
    clientKey?: string | (() => string);
    clientSecret?: string | (() => string);
    redirectUri?: string;
    credentialsTtlMs?: number;
  } = {},
): { client: TikTokClient; bodies: string[] } {
  const bodies: string[] = [];
  const client = new TikTokClient({
    clientKey: opts.clientKey ?? 'awk_key',
    clientSecret: opts.clientSecret ?? 'secret-value-1',
    redirectUri: opts.redirectUri ?? REDIRECT,
    ...(opts.credentialsTtlMs === undefined ? {} : { credentialsTtlMs: opts.credentialsTtlMs }),
    circuitBreaker: false,
    fetch: (_url, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      bodies.push(body);
      // A revoke answers `{}`; the token endpoint answers tokens.
      return Promise.resolve(new Response(body.includes('&token=') ? '{}' : TOKENS));
    },
  });
  return { client, bodies };
}

const encoded = (entries: Array<[string, string]>): string =>
  new URLSearchParams(entries).toString();

// Printable, unicode and the characters the form encoding treats apart from encodeURIComponent.
const value = fc.oneof(
  fc.string({ minLength: 1, unit: 'grapheme' }),
  fc.string({ minLength: 1, unit: 'binary' }), // lone surrogates too: URLSearchParams makes U+FFFD
  fc.stringMatching(/^[a-zA-Z0-9*!'()~ ._%+&=-]{1,40}$/),
);
// Names of extra parameters: integer-like ones (objects list them first), ones that need encoding,
// empty values; never one the client sets itself (those are left out, tested elsewhere).
const extraName = fc
  .oneof(
    fc.stringMatching(/^[0-9]{1,3}$/),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('a b', 'x&y=z'),
  )
  .filter((name) => !TOKEN_PARAMS.has(name));
// Form values a token may hold: visible ASCII (the client refuses anything else).
const token = fc.stringMatching(/^[\x21-\x7e]{1,80}$/);
// Credentials: no whitespace or quotes (the constructor refuses them), form-special characters in.
const credential = fc.stringMatching(/^[A-Za-z0-9*!()~._%+&=/-]{1,40}$/);

describe('TikTokClient', () => {
  describe('form bodies (token and revoke endpoints)', () => {
    it('code exchange: client_key, client_secret, extra, code, grant_type, redirect_uri, code_verifier', async () => {
      await fc.assert(
        fc.asyncProperty(
          value,
          fc.option(value, { nil: undefined }),
          fc.option(fc.dictionary(extraName, fc.oneof(value, fc.constant(''))), {
            nil: undefined,
          }),
          fc.option(value, { nil: undefined }),
          async (code, codeVerifier, extraParams, redirectUri) => {
            const { client, bodies } = capturingClient();
            await client.exchangeCodeForTokens(code, {
              pkce: codeVerifier !== undefined,
              ...(codeVerifier === undefined ? {} : { codeVerifier }),
              ...(extraParams === undefined ? {} : { extraParams }),
              ...(redirectUri === undefined ? {} : { redirectUri }),
            });
            const expected: Array<[string, string]> = [
              ['client_key', 'awk_key'],
              ['client_secret', 'secret-value-1'],
              // An own __proto__ (parsed JSON) is left out: see the test below.
              ...Object.entries(extraParams ?? {}).filter(([name]) => name !== '__proto__'),
              ['code', code],
              ['grant_type', 'authorization_code'],
              ['redirect_uri', redirectUri ?? REDIRECT],
              ...(codeVerifier === undefined
                ? []
                : [['code_verifier', codeVerifier] as [string, string]]),
            ];
            assert.deepEqual(bodies, [encoded(expected)]);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('an own __proto__ extra parameter (parsed JSON) is left out, without an empty field', async () => {
      const { client, bodies } = capturingClient();
      const extraParams = JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>;
      const only = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
      await client.exchangeCodeForTokens('c1', { pkce: false, extraParams });
      await client.exchangeCodeForTokens('c2', { pkce: false, extraParams: only });
      assert.deepEqual(
        bodies.map(
          (b) => b.replace(/^client_key=awk_key&client_secret=secret-value-1&/, '').split('&')[0],
        ),
        ['a=1', 'code=c2'],
      );
      const { url } = await client.getAuthorizationUrl({
        extraParams: only,
        state: 'ab'.repeat(32),
      });
      assert.doesNotMatch(url, /&&|&$|__proto__/);
    });

    it('a per-call redirect URI does not replace the configured one for later exchanges', async () => {
      const { client, bodies } = capturingClient({ redirectUri: 'https://a.example/cb' });
      await client.exchangeCodeForTokens('c1', {
        pkce: false,
        redirectUri: 'https://b.example/cb',
      });
      await client.exchangeCodeForTokens('c2', { pkce: false });
      assert.equal(
        bodies.map((b) => new URLSearchParams(b).get('redirect_uri')).join(' '),
        'https://b.example/cb https://a.example/cb',
      );
    });

    it('refresh, revoke and client token: the credentials, then their own fields', async () => {
      await fc.assert(
        fc.asyncProperty(token, credential, credential, async (t, key, secret) => {
          const { client, bodies } = capturingClient({ clientKey: key, clientSecret: secret });
          await client.refreshAccessToken(t);
          await client.revokeAccess(t);
          await client.getClientAccessToken();
          const creds: Array<[string, string]> = [
            ['client_key', key],
            ['client_secret', secret],
          ];
          assert.deepEqual(bodies, [
            encoded([...creds, ['grant_type', 'refresh_token'], ['refresh_token', t]]),
            encoded([...creds, ['token', t]]),
            encoded([...creds, ['grant_type', 'client_credentials']]),
          ]);
        }),
        { numRuns: 200 },
      );
    });

    it('a secret that changes (a clientSecret function) is sent as it is now, not as first encoded', async () => {
      let current = 'first-secret-aaaa';
      const { client, bodies } = capturingClient({
        clientSecret: () => current,
        credentialsTtlMs: 1,
      });
      await client.refreshAccessToken('rft.one');
      current = 'second/secret+b&c';
      await new Promise((resolve) => setTimeout(resolve, 10)); // the 1 ms lifetime runs out
      await client.refreshAccessToken('rft.two');
      await client.revokeAccess('act.three');
      assert.deepEqual(
        bodies.map((b) => new URLSearchParams(b).get('client_secret')),
        ['first-secret-aaaa', 'second/secret+b&c', 'second/secret+b&c'],
      );
    });

    it('a client key that changes (a clientKey function) is sent as it is now', async () => {
      let current = 'awk_first';
      const { client, bodies } = capturingClient({ clientKey: () => current, credentialsTtlMs: 1 });
      await client.exchangeCodeForTokens('code-1', { pkce: false });
      current = 'awk_second';
      await new Promise((resolve) => setTimeout(resolve, 10)); // the 1 ms lifetime runs out
      await client.exchangeCodeForTokens('code-2', { pkce: false });
      assert.deepEqual(
        bodies.map((b) => new URLSearchParams(b).get('client_key')),
        ['awk_first', 'awk_second'],
      );
    });

    it('a codeVerifier that is not a string (null from JavaScript) is a missing one', async () => {
      const { client, bodies } = capturingClient();
      const lost = { codeVerifier: null } as unknown as { codeVerifier: string };
      await assert.rejects(client.exchangeCodeForTokens('code-1', lost), {
        code: 'VALIDATION_ERROR',
        message: /needs the PKCE codeVerifier/,
      });
      await client.exchangeCodeForTokens('code-2', { ...lost, pkce: false });
      assert.deepEqual(
        bodies.map((b) => new URLSearchParams(b).has('code_verifier')),
        [false],
      );
    });
  });
});
