import assert from 'node:assert/strict';
import { codeForUpstreamError } from '../lib/errors';
import {
  ERROR_CODE_INFO,
  isTikTokAPIError,
  TikTokAPIError,
  TikTokErrorCode,
  type TikTokErrorCode as Code,
} from '../lib';

// docs/errors.md: the error table, with the codes the implementation added (CONFIGURATION_ERROR,
// SERVICE_UNAVAILABLE, METHOD_NOT_ALLOWED, CIRCUIT_OPEN). Written out here, not derived from lib, so a changed row fails.
const TABLE: Record<Code, { retryable: boolean; statusCode: number }> = {
  NETWORK_ERROR: { retryable: true, statusCode: 503 },
  TIMEOUT_ERROR: { retryable: true, statusCode: 504 },
  RATE_LIMIT: { retryable: true, statusCode: 429 },
  API_ERROR: { retryable: true, statusCode: 502 },
  INVALID_CREDENTIALS: { retryable: false, statusCode: 500 },
  INVALID_TOKEN: { retryable: false, statusCode: 401 },
  TOKEN_EXPIRED: { retryable: false, statusCode: 401 },
  VALIDATION_ERROR: { retryable: false, statusCode: 400 },
  ACCESS_DENIED: { retryable: false, statusCode: 403 },
  INVALID_STATE: { retryable: false, statusCode: 400 },
  SCOPE_NOT_AUTHORIZED: { retryable: false, statusCode: 403 },
  MALFORMED_RESPONSE: { retryable: false, statusCode: 502 },
  CONFIGURATION_ERROR: { retryable: false, statusCode: 500 },
  SERVICE_UNAVAILABLE: { retryable: true, statusCode: 503 },
  METHOD_NOT_ALLOWED: { retryable: false, statusCode: 405 },
  CIRCUIT_OPEN: { retryable: true, statusCode: 503 },
  INVALID_SIGNATURE: { retryable: false, statusCode: 401 },
  PAYLOAD_TOO_LARGE: { retryable: false, statusCode: 413 },
  WEBHOOK_HANDLER_ERROR: { retryable: true, statusCode: 500 },
};

describe('errors', () => {
  describe('TikTokErrorCode', () => {
    it('has exactly the codes of the table, each equal to its own name', () => {
      assert.deepEqual(Object.keys(TikTokErrorCode).sort(), Object.keys(TABLE).sort());
      for (const [key, value] of Object.entries(TikTokErrorCode)) assert.equal(value, key);
    });

    it('ERROR_CODE_INFO matches the table row for row', () => {
      assert.deepEqual(ERROR_CODE_INFO, TABLE);
    });
  });

  describe('TikTokAPIError', () => {
    for (const [code, row] of Object.entries(TABLE) as [Code, (typeof TABLE)[Code]][]) {
      it(`${code}: statusCode ${row.statusCode}, retryable ${String(row.retryable)}`, () => {
        const err = new TikTokAPIError({ code, message: 'm', correlationId: 'c-1' });
        assert.equal(err.code, code);
        assert.equal(err.statusCode, row.statusCode);
        assert.equal(err.retryable, row.retryable);
      });
    }

    it('is an Error named TikTokAPIError with message and correlation ID', () => {
      const err = new TikTokAPIError({
        code: 'API_ERROR',
        message: 'Try again.',
        correlationId: 'c-2',
      });
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'TikTokAPIError');
      assert.equal(err.message, 'Try again.');
      assert.equal(err.correlationId, 'c-2');
      assert.match(String(err.stack), /^TikTokAPIError: Try again\./);
    });

    it('leaves optional fields undefined when not given', () => {
      const err = new TikTokAPIError({ code: 'API_ERROR', message: 'm', correlationId: 'c' });
      assert.equal(err.upstreamStatus, undefined);
      assert.equal(err.logId, undefined);
      assert.equal(err.tiktokError, undefined);
      assert.equal(err.retryAfterSeconds, undefined);
      assert.equal(Object.prototype.hasOwnProperty.call(err, 'cause'), false);
    });

    it('keeps upstream status, log id, TikTok error, Retry-After and cause', () => {
      const cause = new Error('socket hang up');
      const err = new TikTokAPIError({
        code: 'RATE_LIMIT',
        message: 'm',
        correlationId: 'c',
        upstreamStatus: 429,
        logId: '20240101000000ABCDEF',
        tiktokError: { error: 'rate_limit_exceeded', description: 'slow down' },
        retryAfterSeconds: 7,
        cause,
      });
      assert.equal(err.upstreamStatus, 429);
      assert.equal(err.logId, '20240101000000ABCDEF');
      assert.deepEqual(err.tiktokError, { error: 'rate_limit_exceeded', description: 'slow down' });
      assert.equal(err.retryAfterSeconds, 7);
      assert.equal(err.cause, cause);
    });

    it('lets the retryable flag be overridden', () => {
      const err = new TikTokAPIError({
        code: 'API_ERROR',
        message: 'm',
        correlationId: 'c',
        retryable: false,
      });
      assert.equal(err.retryable, false);
      assert.equal(err.statusCode, 502);
    });

    it('serialises to exactly { code, message, correlationId, retryable }', () => {
      const err = new TikTokAPIError({
        code: 'INVALID_TOKEN',
        message: 'Log in again.',
        correlationId: 'c-3',
        upstreamStatus: 200,
        logId: 'L1',
        tiktokError: { error: 'invalid_grant', description: 'Authorization code is expired.' },
        cause: new Error('inner'),
      });
      assert.equal(
        JSON.stringify(err),
        '{"code":"INVALID_TOKEN","message":"Log in again.","correlationId":"c-3","retryable":false}',
      );
    });

    it('isTikTokAPIError tells it apart from other values', () => {
      const err = new TikTokAPIError({ code: 'API_ERROR', message: 'm', correlationId: 'c' });
      assert.equal(isTikTokAPIError(err), true);
      assert.equal(isTikTokAPIError(new Error('m')), false);
      assert.equal(isTikTokAPIError({ code: 'API_ERROR', message: 'm' }), false);
      assert.equal(isTikTokAPIError(undefined), false);
    });
  });

  describe('codeForUpstreamError', () => {
    // docs/tiktok-api.md: every `error` of the token endpoint and every `error.code` of user info.
    const MAPPING: [string, Code][] = [
      ['invalid_client', 'INVALID_CREDENTIALS'],
      ['unauthorized_client', 'INVALID_CREDENTIALS'],
      ['invalid_grant', 'INVALID_TOKEN'],
      ['access_token_invalid', 'INVALID_TOKEN'],
      ['invalid_request', 'VALIDATION_ERROR'],
      ['invalid_params', 'VALIDATION_ERROR'],
      ['unsupported_grant_type', 'VALIDATION_ERROR'],
      ['unsupported_response_type', 'VALIDATION_ERROR'],
      ['access_denied', 'ACCESS_DENIED'],
      ['invalid_scope', 'SCOPE_NOT_AUTHORIZED'],
      ['scope_not_authorized', 'SCOPE_NOT_AUTHORIZED'],
      ['scope_permission_missed', 'SCOPE_NOT_AUTHORIZED'],
      ['rate_limit_exceeded', 'RATE_LIMIT'],
      ['server_error', 'API_ERROR'],
      ['temporarily_unavailable', 'API_ERROR'],
      ['internal_error', 'API_ERROR'],
    ];

    for (const [identifier, code] of MAPPING) {
      it(`${identifier} → ${code} whatever the HTTP status, table retryable flag`, () => {
        for (const status of [200, 400, 401, 429, 500]) {
          assert.deepEqual(codeForUpstreamError(identifier, status), { code });
        }
      });
    }

    it('unknown identifier with HTTP 429 → RATE_LIMIT (retryable)', () => {
      assert.deepEqual(codeForUpstreamError('slow_down_please', 429), { code: 'RATE_LIMIT' });
    });

    it('unknown identifier with HTTP 5xx → API_ERROR (retryable)', () => {
      assert.deepEqual(codeForUpstreamError('backend_exploded', 503), { code: 'API_ERROR' });
    });

    it('unknown identifier with HTTP 200 or 4xx → API_ERROR, not retryable', () => {
      assert.deepEqual(codeForUpstreamError('mystery', 200), {
        code: 'API_ERROR',
        retryable: false,
      });
      assert.deepEqual(codeForUpstreamError('mystery', 400), {
        code: 'API_ERROR',
        retryable: false,
      });
    });

    it('Object.prototype names are unknown identifiers, not lookups', () => {
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        assert.deepEqual(codeForUpstreamError(name, 200), { code: 'API_ERROR', retryable: false });
      }
    });
  });
});
