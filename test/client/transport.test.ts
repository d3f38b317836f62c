import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { TikTokAPIError, TikTokClient } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { CaptureLogger } from '../support/capture-logger';
import { FAST, REDIRECT_URI } from '../support/emulator';
import { consent, startLogin, useLoginFixture } from '../support/login';
import { selfSignedCert } from '../support/self-signed';

const SECRET = 'canary-secret+/=&7d1e9b';
const SECRET_FORMS = [
  SECRET,
  encodeURIComponent(SECRET),
  new URLSearchParams({ s: SECRET }).toString().slice(2),
];

function containsSecret(text: string): boolean {
  return SECRET_FORMS.some((form) => text.includes(form));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

function isNetworkFailure(err: unknown): boolean {
  return err instanceof TikTokAPIError && err.code === 'NETWORK_ERROR';
}

describe('TikTokClient', () => {
  describe('client authentication and transport (RFC 9700 §2.5, §4.13)', () => {
    describe('TLS certificate verification', () => {
      let tt: TikTokEmulator | undefined;
      let ca = '';

      before(async function () {
        const cert = selfSignedCert();
        if (cert === undefined) {
          if (process.env.CI === 'true') throw new Error('openssl is required under CI=true');
          this.skip();
        }
        ca = cert.cert;
        tt = await startTikTokEmulator({
          tls: cert,
          autoApprove: true,
          redirectUris: [REDIRECT_URI],
        });
      });
      after(() => tt?.close());

      it('an endpoint with an untrusted certificate is refused (NETWORK_ERROR): nothing is sent', async () => {
        assert.ok(tt);
        const logger = new CaptureLogger();
        const client = new TikTokClient({
          clientKey: tt.clientKey,
          clientSecret: tt.clientSecret,
          redirectUri: REDIRECT_URI,
          ...tt.endpoints,
          ...FAST,
          logger,
        });
        const grant = tt.issueTokens(tt.users[0]!.openId);
        await assert.rejects(
          client.exchangeCodeForTokens('a-code-for-tls', { codeVerifier: 'v'.repeat(43) }),
          isNetworkFailure,
        );
        // The handshake failed before any request: the single-use code was never sent, so every
        // attempt is made (not one ambiguous retry only).
        assert.deepEqual(
          logger.events('failure').map((line) => line.meta?.reason),
          ['attempts exhausted'],
        );
        await assert.rejects(client.getUserInfo(grant.access_token), isNetworkFailure);
        await assert.rejects(client.refreshAccessToken(grant.refresh_token), isNetworkFailure);
        assert.equal(tt.requests.length, 0, 'no request (so no code, token or secret) got through');
        // The server itself is fine: a client that trusts its certificate gets answers.
        assert.equal(await httpsStatus(`${tt.endpoints.userInfoURL}?fields=open_id`, ca), 401);
        assert.equal(tt.requests.length, 1);
      });

      it('no source file turns verification off or follows redirects', () => {
        const files = sourceFiles(join(__dirname, '../../lib'));
        assert.ok(files.length > 50);
        const forbidden = [
          /rejectUnauthorized\s*:\s*false/,
          /NODE_TLS_REJECT_UNAUTHORIZED/,
          /checkServerIdentity/,
          /redirect\s*:\s*['"]follow['"]/,
        ];
        for (const file of files) {
          const text = readFileSync(file, 'utf8');
          for (const pattern of forbidden) assert.doesNotMatch(text, pattern, file);
        }
      });
    });

    describe('the client secret', () => {
      const logger = new CaptureLogger();
      const fx = useLoginFixture({ emulator: { clientSecret: SECRET }, strategy: { logger } });

      it('travels only in token/revoke form bodies: never a URL, a header, the browser or a log', async () => {
        const agent = fx.browser();
        const authorizeUrl = await startLogin(agent);
        assert.ok(!containsSecret(authorizeUrl.href), 'not in the authorize URL');
        assert.equal(authorizeUrl.searchParams.get('client_key'), fx.tt.clientKey);
        assert.equal(authorizeUrl.searchParams.has('client_id'), false);
        const done = await agent.get(await consent(authorizeUrl));
        assert.equal(done.status, 302);
        const client = fx.app.strategy.client;
        const grant = fx.tt.issueTokens(fx.tt.users[0]!.openId);
        const rotated = await client.refreshAccessToken(grant.refresh_token);
        await client.getClientAccessToken();
        await client.revokeAccess(rotated.access_token);

        let bodies = 0;
        for (const r of fx.tt.requests) {
          assert.ok(!containsSecret(r.path + JSON.stringify(r.query)), `in the URL of ${r.path}`);
          assert.ok(!containsSecret(JSON.stringify(r.headers)), `in a header of ${r.path}`);
          if (!containsSecret(r.body)) continue;
          bodies += 1;
          assert.equal(r.method, 'POST');
          assert.ok(r.endpoint === 'token' || r.endpoint === 'revoke');
          assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
          assert.equal(r.form?.client_secret, SECRET);
          assert.equal(r.headers.authorization, undefined, 'no Basic authentication either');
        }
        assert.equal(bodies, 4, 'exchange, refresh, client credentials, revoke');
        assert.ok(!containsSecret(done.text + JSON.stringify(done.headers)));
        assert.ok(logger.lines.length > 0 && !containsSecret(logger.text()));
      });
    });
  });
});
