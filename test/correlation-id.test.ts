import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { TikTokAPIError, tiktokErrorHandler } from '../lib';
import { CaptureLogger } from './support/capture-logger';
import { field } from './support/json';
import { useLoginFixture } from './support/login';
import { EXPIRED, apiError, managerHarness, rejectsWith } from './support/token-harness';

const FRESH_ID = /^tiktok-\d+-[0-9a-f]{8}$/;
const INJECTION = 'abc\r\nX-Injected: 1';

// Header values a client can send (CR/LF never get past Node's parser: they are tested below
// where an app hands them over itself).
const HOSTILE: ReadonlyArray<[string, string]> = [
  ['markup', '<script>alert(1)</script>'],
  ['10 KB', 'x'.repeat(10_000)],
  ['non-ASCII', 'évil-id'],
  ['spaces', 'a b c'],
  ['a path', '../../etc/passwd'],
];

describe('acceptCorrelationId', () => {
  describe('correlation IDs cannot inject headers, markup or log lines', () => {
    describe('an incoming X-Correlation-Id on the callback', () => {
      const logger = new CaptureLogger();
      const fx = useLoginFixture({ strategy: { logger } });

      for (const [label, value] of HOSTILE) {
        it(`${label} → replaced by a fresh tiktok-… ID, reflected nowhere (header, JSON, HTML, logs)`, async () => {
          for (const accept of ['application/json', 'text/html']) {
            const res = await fx
              .browser()
              .get('/auth/tiktok/callback?code=abc')
              .set('X-Correlation-Id', value)
              .set('Accept', accept);
            assert.equal(res.status, 400);
            assert.match(String(res.headers['x-correlation-id']), FRESH_ID);
            assert.ok(!res.text.includes(value), `${label} reflected in the ${accept} body`);
          }
          assert.ok(!logger.text().includes(value), `${label} reached a log line`);
          assert.ok(logger.text().includes('[TikTokOAuth] login - failure'), 'logs were captured');
        });
      }
    });

    describe('an unsafe ID handed over by the app itself', () => {
      it('TikTokTokenManager replaces it: the error and every log line carry a fresh ID', async () => {
        const h = managerHarness();
        await h.seed(EXPIRED);
        h.client.onRefresh = () => Promise.reject(apiError('API_ERROR'));
        await rejectsWith(
          h.manager.getAccessToken(h.openId, { correlationId: INJECTION }),
          'API_ERROR',
        );
        // The client (and so TikTok, and its logs) got a fresh safe ID, not the header.
        assert.match(String(h.client.refreshCalls[0]?.opts.correlationId), FRESH_ID);
        const missing = await rejectsWith(
          h.manager.getAccessToken('nobody', { correlationId: INJECTION }),
          'INVALID_TOKEN',
        );
        assert.match(missing.correlationId, FRESH_ID);
        assert.ok(h.logger.lines.length > 0, 'the failed refresh was logged');
        assert.ok(!h.logger.text().includes('X-Injected'));
        for (const line of h.logger.lines) {
          const id = line.meta?.correlationId;
          assert.ok(typeof id === 'string' && FRESH_ID.test(id), `unsafe ID logged: ${String(id)}`);
        }
      });

      it('a route passing a raw header to the manager answers a clean 401, not a 500 with a stack', async () => {
        const h = managerHarness();
        const app = express();
        app.get('/token', async (req) => {
          const cid = req.query.cid;
          await h.manager.getAccessToken('nobody', {
            correlationId: typeof cid === 'string' ? cid : '',
          });
        });
        app.use(tiktokErrorHandler());
        const res = await request(app).get(`/token?cid=${encodeURIComponent(INJECTION)}`);
        assert.equal(res.status, 401, res.text);
        assert.equal(field(res.body, 'error', 'code'), 'INVALID_TOKEN');
        assert.match(String(res.headers['x-correlation-id']), FRESH_ID);
        assert.equal(res.headers['x-injected'], undefined);
        assert.ok(!res.text.includes('ERR_INVALID_CHAR') && !res.text.includes('    at '));
      });

      it("tiktokErrorHandler answers an app's TikTokAPIError with an unsafe ID with a fresh one", async () => {
        const app = express();
        app.get('/fail', (_req, _res, next) => {
          next(
            new TikTokAPIError({
              code: 'RATE_LIMIT',
              message: 'slow down',
              correlationId: INJECTION,
            }),
          );
        });
        app.use(tiktokErrorHandler({ failureRedirect: '/login' }));
        const json = await request(app).get('/fail').set('Accept', 'application/json');
        assert.equal(json.status, 429);
        const id = String(json.headers['x-correlation-id']);
        assert.match(id, FRESH_ID);
        assert.equal(field(json.body, 'error', 'correlationId'), id);
        const html = await request(app).get('/fail').set('Accept', 'text/html');
        assert.equal(html.status, 302);
        assert.match(
          String(html.headers.location),
          /^\/login\?error=RATE_LIMIT&correlationId=tiktok-\d+-[0-9a-f]{8}$/,
        );
      });
    });
  });
});
