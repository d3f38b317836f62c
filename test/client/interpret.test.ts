import assert from 'node:assert/strict';
import type { HttpResponse } from '../../lib/client/http';
import {
  AttemptFailure,
  cleanDescription,
  interpret,
  parseRetryAfter,
  type InterpretContext,
} from '../../lib/client/interpret';
import { ShapeError } from '../../lib/client/parse';
import { REDACTED, Scrubber } from '../../lib/logging';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function response(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return { status, text, headers: new Headers(headers), durationMs: 5 };
}

const CTX: InterpretContext = {
  operationLabel: 'Token exchange',
  urlOption: 'tokenURL',
  correlationId: 'corr-1',
  scrubber: new Scrubber(['the-code*!.1', 'CANARY-SECRET-xyz']),
  now: NOW,
};

/** Runs interpret() expecting an AttemptFailure, returns it. */
function failure(
  res: HttpResponse,
  parse: (body: unknown) => unknown = () => 'parsed',
): AttemptFailure {
  try {
    interpret(CTX, res, parse);
  } catch (err) {
    if (err instanceof AttemptFailure) return err;
    throw err;
  }
  assert.fail('interpret() did not fail');
}

describe('client/interpret', () => {
  describe('parseRetryAfter', () => {
    it('reads delta-seconds', () => {
      assert.equal(parseRetryAfter('1', NOW), 1000);
      assert.equal(parseRetryAfter(' 120 ', NOW), 120_000);
      assert.equal(parseRetryAfter('0', NOW), 0);
    });

    it('reads an HTTP date, in the past as 0', () => {
      assert.equal(parseRetryAfter('Wed, 01 May 2024 12:00:30 GMT', NOW), 30_000);
      assert.equal(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', NOW), 0);
    });

    it('ignores absent and junk values', () => {
      for (const junk of [null, '', 'soon', '1.5', '-1', '12345678', 'NaN', '1e3']) {
        assert.equal(parseRetryAfter(junk, NOW), undefined, String(junk));
      }
    });
  });

  describe('cleanDescription', () => {
    it('flattens control characters and scrubs the operation secrets', () => {
      assert.equal(
        cleanDescription('bad\r\ncode the-code*!.1\u0000 x', CTX.scrubber),
        `bad code ${REDACTED}  x`,
      );
    });

    it('scrubs a secret that straddles the 200-char cut (no half secret left)', () => {
      const out = cleanDescription(`${'y'.repeat(190)} the-code*!.1 tail`, CTX.scrubber);
      assert.equal(out, `${'y'.repeat(190)} ${REDACTED} tail`.slice(0, 200) + '…');
      assert.equal(out.includes('the-co'), false);
    });

    it('decodes percent-escapes (either case, double) before scrubbing', () => {
      assert.equal(
        cleanDescription('code the-code%2a%21.1, again the-code%252A%2521.1 %41', CTX.scrubber),
        `code ${REDACTED}, again ${REDACTED} A`,
      );
    });

    it('truncates to 200 characters plus an ellipsis', () => {
      const out = cleanDescription('y'.repeat(10_000), CTX.scrubber);
      assert.equal(out, `${'y'.repeat(200)}…`);
    });

    it('decodes and scrubs only the head of a longer text: 1 MiB of escapes costs what 128 KiB does', () => {
      const time = (text: string): number => {
        const started = performance.now();
        for (let i = 0; i < 3; i++) cleanDescription(text, CTX.scrubber);
        return performance.now() - started;
      };
      const escapes = (chars: number): string => '%41 '.repeat(chars / 4);
      time(escapes(131_072)); // warm-up
      const head = time(escapes(131_072));
      const whole = time(escapes(1_048_576));
      // Decoding all of it made the ratio about 8; on a busy machine either reading moves.
      assert.ok(whole < head * 4, `1 MiB ${whole.toFixed(1)} ms, 128 KiB ${head.toFixed(1)} ms`);
      assert.equal(cleanDescription(escapes(1_048_576), CTX.scrubber), `${'A '.repeat(100)}…`);
    });

    it("a secret cut by the head's limit is dropped, never left half in the text", () => {
      const secret = 'CANARY-SECRET-xyz';
      for (let shift = 1; shift < secret.length; shift++) {
        const text = `${' '.repeat(131_072 - shift)}${secret} tail`;
        const out = cleanDescription(text, CTX.scrubber);
        assert.equal(out.includes(secret.slice(0, 6)), false, `cut after ${shift} characters`);
      }
    });
  });

  describe('interpret', () => {
    it('returns the parsed success body', () => {
      const value = interpret(CTX, response(200, '{"a":1}'), (body, text) => ({ body, text }));
      assert.deepEqual(value, { body: { a: 1 }, text: '{"a":1}' });
    });

    it('HTTP 200 with a flat OAuth error → the mapped code, before any parsing', () => {
      const f = failure(
        response(
          200,
          '{"error":"invalid_grant","error_description":"Authorization code is expired.","log_id":"LOG1"}',
        ),
        () => assert.fail('parsed an error body'),
      );
      assert.equal(f.error.code, 'INVALID_TOKEN');
      assert.equal(f.error.upstreamStatus, 200);
      assert.equal(f.error.logId, 'LOG1');
      assert.equal(f.error.correlationId, 'corr-1');
      assert.deepEqual(f.error.tiktokError, {
        error: 'invalid_grant',
        description: 'Authorization code is expired.',
      });
      assert.equal(
        f.error.message,
        'Token exchange failed: TikTok answered invalid_grant (TikTok log_id LOG1). The code or token is invalid, used, expired or revoked: log in again.',
        "TikTok's description is on tiktokError only, never in the message",
      );
      assert.equal(f.transport, undefined);
    });

    it('scrubs secrets TikTok echoes in error_description', () => {
      const f = failure(
        response(
          200,
          '{"error":"invalid_request","error_description":"code the-code*!.1 / secret CANARY-SECRET-xyz"}',
        ),
      );
      assert.equal(f.error.code, 'VALIDATION_ERROR');
      assert.equal(f.error.message.includes('the-code*!.1'), false);
      assert.equal(f.error.message.includes('CANARY-SECRET-xyz'), false);
      assert.equal(f.error.tiktokError?.description, `code ${REDACTED} / secret ${REDACTED}`);
    });

    it('replaces an unsafe error identifier with unknown_error', () => {
      const f = failure(response(400, '{"error":"bad\\nthing <b>"}'));
      assert.equal(f.error.tiktokError?.error, 'unknown_error');
      assert.equal(f.error.code, 'API_ERROR');
      assert.equal(f.error.retryable, false);
    });

    it('user-info envelope error with HTTP 200 → the mapped code, log_id from the envelope', () => {
      const f = failure(
        response(
          200,
          '{"data":{},"error":{"code":"scope_not_authorized","message":"no","log_id":"L2"}}',
        ),
      );
      assert.equal(f.error.code, 'SCOPE_NOT_AUTHORIZED');
      assert.equal(f.error.logId, 'L2');
      assert.equal(f.error.upstreamStatus, 200);
    });

    it('401 invalid_client → INVALID_CREDENTIALS, not retryable, with advice', () => {
      const f = failure(
        response(401, '{"error":"invalid_client","error_description":"Client secret is wrong"}'),
      );
      assert.equal(f.error.code, 'INVALID_CREDENTIALS');
      assert.equal(f.error.retryable, false);
      assert.equal(f.error.statusCode, 500);
      assert.match(f.error.message, /TIKTOK_CLIENT_SECRET/);
    });

    it('429 with Retry-After → RATE_LIMIT carrying the wait', () => {
      const f = failure(response(429, '', { 'retry-after': '3', 'x-tt-logid': 'H9' }));
      assert.equal(f.error.code, 'RATE_LIMIT');
      assert.equal(f.error.retryable, true);
      assert.equal(f.error.retryAfterSeconds, 3);
      assert.equal(f.error.logId, 'H9');
      assert.equal(f.retryAfterMs, 3000);
    });

    it('5xx without a body → API_ERROR, retryable', () => {
      const f = failure(response(503, 'Service Unavailable', { 'content-type': 'text/plain' }));
      assert.equal(f.error.code, 'API_ERROR');
      assert.equal(f.error.retryable, true);
      assert.equal(f.error.upstreamStatus, 503);
      assert.equal(f.retryAfterMs, undefined);
    });

    it('3xx → CONFIGURATION_ERROR naming the URL option', () => {
      const f = failure(response(302, '', { location: 'https://elsewhere.example/' }));
      assert.equal(f.error.code, 'CONFIGURATION_ERROR');
      assert.equal(f.error.upstreamStatus, 302);
      assert.match(
        f.error.message,
        /redirect \(HTTP 302\), which is never followed\. Check the tokenURL option/,
      );
    });

    it('404 "Unsupported path(Janus)" → CONFIGURATION_ERROR about the trailing slash', () => {
      const f = failure(response(404, 'Unsupported path(Janus)'));
      assert.equal(f.error.code, 'CONFIGURATION_ERROR');
      assert.equal(f.error.statusCode, 500);
      assert.match(
        f.error.message,
        /the tokenURL URL is wrong\. TikTok's endpoints end with a slash/,
      );
    });

    it('other 404 → CONFIGURATION_ERROR', () => {
      const f = failure(response(404, 'Not Found'));
      assert.equal(f.error.code, 'CONFIGURATION_ERROR');
      assert.match(f.error.message, /404: check the tokenURL option/);
    });

    it('other non-2xx without an error body → API_ERROR, not retryable', () => {
      const f = failure(response(418, '{}'));
      assert.equal(f.error.code, 'API_ERROR');
      assert.equal(f.error.retryable, false);
      assert.equal(f.error.upstreamStatus, 418);
    });

    it('200 that is not JSON → MALFORMED_RESPONSE naming the content type', () => {
      const f = failure(response(200, '<html>hi</html>', { 'content-type': 'text/html' }), () => {
        throw new ShapeError('not an object');
      });
      assert.equal(f.error.code, 'MALFORMED_RESPONSE');
      assert.equal(
        f.error.message,
        'Token exchange failed: TikTok answered a body that is not JSON (text/html).',
      );
    });

    it('200 JSON of the wrong shape → MALFORMED_RESPONSE with the reason', () => {
      const f = failure(response(200, '{"x":1}'), () => {
        throw new ShapeError('open_id is missing or empty');
      });
      assert.equal(f.error.code, 'MALFORMED_RESPONSE');
      assert.equal(f.error.retryable, false);
      assert.match(f.error.message, /an unexpected shape \(open_id is missing or empty\)/);
    });

    it('lets non-shape errors of the parser through (bugs are not MALFORMED_RESPONSE)', () => {
      assert.throws(
        () =>
          interpret(CTX, response(200, '{}'), () => {
            throw new RangeError('bug');
          }),
        RangeError,
      );
    });
  });
});
