import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { createTikTokMetrics, TikTokAPIError, type TikTokClient } from '../../lib';
import { authorize, useEmulator } from '../support/emulator';
import { losingFetch } from '../support/fetch-wrappers';
import { memoryWinston, teeLogger } from '../support/log-sinks';
import { refusedOrigin } from '../support/net';

const CLIENT_SECRET = `CANARY-SECRET-${randomBytes(12).toString('hex')}`;

/** Percent-encoding as in a callback URL: `*` and `!` too (codes contain them: docs/tiktok-api.md). */
function percentEncoded(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Pieces of a canary long enough to be unmistakable: the whole value and every 16-char window
 * (step 4), so a secret cut in half by a truncation is caught too.
 */
function fragments(canary: string): string[] {
  if (canary.length <= 16) return [canary];
  const out = [canary];
  for (let i = 0; i + 16 <= canary.length; i += 4) out.push(canary.slice(i, i + 16));
  return out;
}

// docs/operations.md, "Logs and correlation IDs": plant canaries, run successes
// and every failure kind, scan every captured byte.
describe('TikTokClient', () => {
  describe('secrets never leak (canary scan)', () => {
    const h = useEmulator({ clientSecret: CLIENT_SECRET });
    const winstonSink = memoryWinston();
    const registry = new Registry();
    const canaries = new Set<string>([CLIENT_SECRET]);
    const errors: TikTokAPIError[] = [];
    let logText = '';
    let secretSent = false;

    /** Runs a call that must fail; keeps the error for the scans. */
    async function failing(call: Promise<unknown>, code?: string): Promise<void> {
      try {
        await call;
      } catch (err) {
        assert.ok(err instanceof TikTokAPIError, String(err));
        if (code !== undefined) assert.equal(err.code, code, err.message);
        errors.push(err);
        return;
      }
      assert.fail('expected a failure');
    }

    /** A code with its verifier and state, all planted as canaries. */
    async function plantedCode(
      client: TikTokClient,
    ): Promise<{ code: string; codeVerifier: string }> {
      const a = await authorize(client);
      canaries.add(a.code).add(a.state);
      if (a.codeVerifier !== undefined) canaries.add(a.codeVerifier);
      return { code: a.code, codeVerifier: a.codeVerifier ?? '' };
    }

    /** A grant minted by the emulator, its tokens planted as canaries. */
    function plantedTokens(): { access_token: string; refresh_token: string } {
      const t = h.tt.issueTokens(h.tt.users[0]!.openId, ['user.info.basic', 'user.info.profile']);
      canaries.add(t.access_token).add(t.refresh_token);
      return t;
    }

    before(async function runEverything() {
      const logger = teeLogger(h.logger, winstonSink.logger);
      const metrics = createTikTokMetrics(registry);
      // One client goes through every fault below: with its circuit breaker and retry budget on,
      // the token breaker opened and the budget ran dry midway, so the later faults failed fast
      // with CIRCUIT_OPEN and never sent the canaries. This scan is about secrets: both off.
      const make = (o: Parameters<typeof h.client>[0] = {}): TikTokClient =>
        h.client({
          logger,
          metrics,
          timeoutMs: 100,
          maxAttempts: 2,
          circuitBreaker: false,
          retryBudget: false,
          ...o,
        });

      // Successes: the whole flow.
      const client = make({ scopes: ['user.info.basic', 'user.info.profile'] });
      const { code, codeVerifier } = await plantedCode(client);
      const tokens = await client.exchangeCodeForTokens(code, { codeVerifier });
      canaries.add(tokens.access_token).add(tokens.refresh_token ?? '');
      await client.getUserInfo(tokens.access_token, { scopes: tokens.scope.split(',') });
      const rotated = await client.refreshAccessToken(tokens.refresh_token ?? '');
      canaries.add(rotated.access_token).add(rotated.refresh_token ?? '');
      canaries.add((await client.getClientAccessToken()).access_token);
      await client.revokeAccess(rotated.access_token);
      secretSent = h.tt.requests.some((r) => r.form?.client_secret === CLIENT_SECRET);

      // TikTok refusing, its error_description echoing every secret of the request.
      for (const description of [
        (c: string, v: string) =>
          `bad code ${c} with client_secret=${CLIENT_SECRET} and verifier ${v}`,
        (c: string, v: string) => `${'x'.repeat(180)} ${c} ${CLIENT_SECRET} ${v}`, // straddles the 200-char cut
        (c: string, v: string) =>
          `code=${percentEncoded(c)}&code_verifier=${v}\r\nclient_secret=${CLIENT_SECRET}`,
      ]) {
        const p = await plantedCode(client);
        h.tt.inject('token', {
          tiktokError: {
            error: 'invalid_request',
            description: description(p.code, p.codeVerifier),
          },
        });
        await failing(
          client.exchangeCodeForTokens(p.code, { codeVerifier: p.codeVerifier }),
          'VALIDATION_ERROR',
        );
      }
      const g = plantedTokens();
      h.tt.inject('token', {
        tiktokError: {
          error: 'invalid_grant',
          description: `refresh_token ${g.refresh_token} is dead; secret ${CLIENT_SECRET}`,
        },
      });
      await failing(client.refreshAccessToken(g.refresh_token), 'INVALID_TOKEN');
      h.tt.inject('userinfo', {
        tiktokError: {
          error: 'access_token_invalid',
          description: `token ${g.access_token} expired`,
          status: 200,
        },
      });
      await failing(client.getUserInfo(g.access_token), 'INVALID_TOKEN');
      h.tt.inject('revoke', {
        tiktokError: {
          error: 'invalid_grant',
          description: `cannot revoke ${g.access_token}`,
          status: 400,
        },
      });
      await failing(client.revokeAccess(g.access_token), 'INVALID_TOKEN');
      h.tt.inject('token', {
        tiktokError: {
          error: 'invalid_client',
          description: `secret ${CLIENT_SECRET} is wrong`,
          status: 401,
        },
      });
      await failing(make().getClientAccessToken(), 'INVALID_CREDENTIALS');
      h.tt.inject('token', {
        body: {
          error: 'server_error',
          error_description: `oops ${CLIENT_SECRET}`,
          echo: CLIENT_SECRET,
        },
        status: 500,
        times: Infinity,
      });
      await failing(client.refreshAccessToken(g.refresh_token), 'API_ERROR');
      h.tt.reset();

      // The real emulator refusing: wrong verifier, used code, wrong secret, revoked token.
      const p1 = await plantedCode(client);
      await failing(
        client.exchangeCodeForTokens(p1.code, { codeVerifier: `${p1.codeVerifier}x` }),
        'VALIDATION_ERROR',
      );
      await failing(
        client.exchangeCodeForTokens(p1.code, { codeVerifier: p1.codeVerifier }),
        'INVALID_TOKEN',
      );
      const wrongSecret = `CANARY-SECRET-wrong-${randomBytes(8).toString('hex')}`;
      canaries.add(wrongSecret);
      await failing(
        make({ clientSecret: wrongSecret }).getClientAccessToken(),
        'INVALID_CREDENTIALS',
      );
      await failing(client.getUserInfo(rotated.access_token), 'INVALID_TOKEN');

      // Transport failures and odd answers, on every operation that carries a secret.
      const faults = [
        { status: 503, body: 'busy', times: Infinity },
        { status: 429, retryAfter: 120, times: Infinity },
        { hang: true, times: Infinity },
        { reset: 'before-headers', times: Infinity },
        { reset: 'mid-body', times: Infinity },
        { trickle: { intervalMs: 1000 }, times: Infinity },
        { malformed: 'html', times: Infinity },
        { malformed: 'truncated', times: Infinity },
        { malformed: 'oversized', times: Infinity },
        {
          redirect: `${h.tt.url}/elsewhere/?code=${encodeURIComponent(code)}&secret=${CLIENT_SECRET}`,
          times: Infinity,
        },
      ] as const;
      for (const fault of faults) {
        const p = await plantedCode(client);
        h.tt.inject('token', fault);
        await failing(client.exchangeCodeForTokens(p.code, { codeVerifier: p.codeVerifier }));
        const t = plantedTokens();
        h.tt.inject('token', fault);
        await failing(client.refreshAccessToken(t.refresh_token));
        h.tt.inject('userinfo', fault);
        await failing(client.getUserInfo(t.access_token));
        h.tt.inject('revoke', fault);
        await failing(client.revokeAccess(t.access_token));
        h.tt.inject('token', fault);
        await failing(make().getClientAccessToken());
        h.tt.reset();
      }

      // A lost answer (the code consumed), a wrong path, a refused connection, a foreign open_id.
      const lossy = make({ fetch: losingFetch(1) });
      const lost = await plantedCode(lossy);
      await failing(
        lossy.exchangeCodeForTokens(lost.code, { codeVerifier: lost.codeVerifier }),
        'INVALID_TOKEN',
      );
      const noSlash = make({ tokenURL: h.tt.endpoints.tokenURL.slice(0, -1) });
      const p2 = await plantedCode(noSlash);
      await failing(
        noSlash.exchangeCodeForTokens(p2.code, { codeVerifier: p2.codeVerifier }),
        'CONFIGURATION_ERROR',
      );
      const origin = await refusedOrigin();
      const refused = make({
        tokenURL: `${origin}/v2/oauth/token/`,
        userInfoURL: `${origin}/v2/user/info/`,
      });
      const p3 = await plantedCode(refused);
      await failing(
        refused.exchangeCodeForTokens(p3.code, { codeVerifier: p3.codeVerifier }),
        'NETWORK_ERROR',
      );
      const t3 = plantedTokens();
      await failing(refused.getUserInfo(t3.access_token), 'NETWORK_ERROR');
      await failing(
        client.getUserInfo(t3.access_token, { expectedOpenId: 'someone-else' }),
        'MALFORMED_RESPONSE',
      );

      logText = h.logger.text();
    });

    it('ran for real: the canaries reached TikTok and the logs are not empty', () => {
      assert.ok(canaries.size > 60, `${canaries.size} canaries`);
      assert.ok(errors.length > 50, `${errors.length} errors`);
      assert.ok(secretSent, 'the secret was sent in the form bodies');
      assert.ok(
        logText.includes('[TikTokOAuth] token_exchange - response'),
        'debug lines were captured',
      );
      assert.ok(winstonSink.text().includes('"level":"debug"'), 'winston wrote debug lines');
      for (const code of [
        'VALIDATION_ERROR',
        'INVALID_TOKEN',
        'INVALID_CREDENTIALS',
        'API_ERROR',
        'RATE_LIMIT',
        'TIMEOUT_ERROR',
        'NETWORK_ERROR',
        'MALFORMED_RESPONSE',
        'CONFIGURATION_ERROR',
      ]) {
        assert.ok(
          errors.some((e) => e.code === code),
          `no ${code} in the run`,
        );
      }
      // Every fault reached TikTok (none was cut short by a circuit breaker).
      assert.ok(!errors.some((e) => e.code === 'CIRCUIT_OPEN'), 'a call failed fast: CIRCUIT_OPEN');
      // The scan itself can fail: a planted value is found where it is present.
      assert.deepEqual(leaks(`x ${CLIENT_SECRET.slice(3, 25)} y`), [CLIENT_SECRET]);
    });

    /** Canaries any fragment of which appears in `text`. */
    function leaks(text: string): string[] {
      return [...canaries].filter((c) => c !== '' && fragments(c).some((f) => text.includes(f)));
    }

    it('no canary in any captured log line (CaptureLogger)', () => {
      assert.deepEqual(leaks(logText), []);
    });

    it('no canary in the JSON lines of a winston logger at debug level', () => {
      assert.deepEqual(leaks(winstonSink.text()), []);
    });

    it('no canary in any error message, JSON.stringify(error), String(error) or stack', () => {
      for (const err of errors) {
        const all = [err.message, JSON.stringify(err), String(err), err.stack ?? ''].join('\n');
        assert.deepEqual(leaks(all), [], `${err.code}: ${err.message}`);
      }
    });

    it("no canary in an error's upstream details or its inspected form (causes included)", () => {
      for (const err of errors) {
        const all = `${JSON.stringify(err.tiktokError ?? {})}\n${inspect(err, { depth: 6 })}`;
        assert.deepEqual(leaks(all), [], `${err.code}: ${err.message}`);
      }
    });

    it('no canary in the prom-client metrics text', async () => {
      const text = await registry.metrics();
      assert.match(
        text,
        /tiktok_oauth_requests_total\{operation="token_exchange",outcome="success"\} 1/,
      );
      assert.deepEqual(leaks(text), []);
    });
  });
});
