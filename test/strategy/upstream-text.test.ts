import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import {
  startLogin,
  stateOf,
  useLoginFixture,
  type LoginFixture,
  type TestResponse,
} from '../support/login';

// Issue #12 item 5: TikTok's error_description echoed the live code with lower-case
// percent-escapes (and base64 of key:secret, an upper-cased secret), and the error handler showed
// it to the user. Users now see a fixed message per code; the description is in the logs only,
// scrubbed in every encoding below.
const SECRET = `Canary-Secret-${randomBytes(12).toString('hex')}`;
const MARKER = 'zebra-marker-words';
const FIXED = 'Your TikTok login is no longer valid. Please log in with TikTok again.';

function strictPercent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/** TikTok's description, echoing the code or the secret in one encoding. */
const ENCODINGS: ReadonlyArray<[string, (code: string, key: string) => string]> = [
  ['as is', (code) => code],
  ['lower-case percent-escapes', (code) => strictPercent(code).toLowerCase()],
  ['upper-case percent-escapes', (code) => strictPercent(code).toUpperCase()],
  ['double percent-encoding', (code) => encodeURIComponent(strictPercent(code))],
  ['upper-cased secret and code', (code) => `${SECRET.toUpperCase()} ${code.toUpperCase()}`],
  ['base64 of key:secret', (_code, key) => Buffer.from(`${key}:${SECRET}`).toString('base64')],
  ['base64url of code=<code>', (code) => Buffer.from(`code=${code}`).toString('base64url')],
  ['JSON escapes', (code) => code.replace(/[*!]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)],
  ['HTML entities', (code) => code.replace(/[*!]/g, (c) => `&#${c.charCodeAt(0)};`)],
];

/** Every way `text` could still reveal `canary`: any case, percent-decoded, base64-decoded. */
function reveals(text: string, canary: string): boolean {
  const views = [text];
  let decoded = text;
  for (let i = 0; i < 3; i++) {
    decoded = decoded.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    views.push(decoded);
  }
  views.push(
    text.replace(/\\u00([0-9a-f]{2})/gi, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    ),
  );
  views.push(text.replace(/&#(\d+);/g, (_m, dec: string) => String.fromCharCode(Number(dec))));
  for (const run of text.match(/[A-Za-z0-9+/_-]{12,}/g) ?? []) {
    for (let shift = 0; shift < 4; shift++) {
      views.push(Buffer.from(run.slice(shift), 'base64').toString('latin1'));
    }
  }
  const needle = canary.toLowerCase();
  return views.some((v) => v.toLowerCase().includes(needle));
}

describe('TikTokStrategy', () => {
  describe('callback', () => {
    describe("TikTok's error text never reaches users", () => {
      const logger = new CaptureLogger();
      const direct = useLoginFixture({
        emulator: { clientSecret: SECRET },
        strategy: { clientSecret: SECRET, logger },
      });
      const redirected = useLoginFixture({
        emulator: { clientSecret: SECRET },
        strategy: { clientSecret: SECRET, logger },
        errorRedirect: '/login',
      });
      const captured: string[] = [];
      const codes: string[] = [];

      function keep(res: TestResponse): TestResponse {
        captured.push(res.text, JSON.stringify(res.headers));
        return res;
      }

      /** A callback with a live-looking code that TikTok refuses, echoing it in `encode`. */
      async function refusedCallback(
        fx: LoginFixture,
        encode: (code: string, key: string) => string,
        accept: string,
      ): Promise<TestResponse> {
        const code = `canary-code-${randomBytes(8).toString('hex')}*!.Zz`;
        codes.push(code);
        fx.tt.inject('token', {
          tiktokError: {
            error: 'invalid_grant',
            description: `${MARKER} ${encode(code, fx.tt.clientKey)} is expired`,
          },
        });
        const agent = fx.browser();
        const state = stateOf(await startLogin(agent));
        const res = await agent
          .get(`/auth/tiktok/callback?code=${encodeURIComponent(code)}&state=${state}`)
          .set('Accept', accept);
        if (res.status !== 302) return keep(res);
        keep(res);
        return keep(await agent.get(String(res.headers.location)).set('Accept', accept));
      }

      for (const [name, encode] of ENCODINGS) {
        it(`${name}: JSON and HTML show the fixed message, getTikTokLoginFailure too`, async () => {
          const json = await refusedCallback(direct, encode, 'application/json');
          assert.equal(json.status, 401);
          assert.deepEqual(
            {
              code: field(json.body, 'error', 'code'),
              message: field(json.body, 'error', 'message'),
            },
            { code: 'INVALID_TOKEN', message: FIXED },
          );
          const html = await refusedCallback(direct, encode, 'text/html');
          assert.equal(html.status, 401);
          assert.ok(html.text.includes(`<p id="message">${FIXED}</p>`), html.text);
          const failurePage = await refusedCallback(redirected, encode, 'text/html');
          assert.equal(failurePage.status, 200);
          assert.equal(field(failurePage.body, 'failure', 'message'), FIXED);
          for (const res of [json, html, failurePage]) {
            assert.ok(!res.text.includes(MARKER), "TikTok's wording is not shown");
          }
        });
      }

      it('the description is in the logs, scrubbed: no response byte or log line reveals a code or the secret', () => {
        const failures = logger.lines.filter((l) => l.message.endsWith('token_exchange - failure'));
        assert.equal(failures.length, ENCODINGS.length * 3);
        for (const line of failures) {
          const description = String(line.meta?.tiktokDescription);
          assert.ok(description.startsWith(`${MARKER} `), description);
          assert.ok(description.includes('[REDACTED]'), description);
        }
        assert.equal(codes.length, ENCODINGS.length * 3);
        const everything = [...captured, logger.text()];
        for (const canary of [SECRET, ...codes]) {
          for (const text of everything) {
            assert.ok(
              !reveals(text, canary),
              `${canary.slice(0, 16)}… revealed in ${text.slice(0, 300)}`,
            );
          }
        }
      });
    });
  });
});
