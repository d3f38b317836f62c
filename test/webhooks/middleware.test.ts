import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express, { type Express } from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import {
  createTikTokMetrics,
  MemoryClaimStore,
  MemoryRemovalList,
  MemoryTokenStore,
  TikTokAPIError,
  TikTokTokenManager,
  tiktokWebhook,
  type TikTokMetrics,
  type TikTokWebhookEvent,
  type TikTokWebhookOptions,
} from '../../lib';
import { signTikTokWebhook } from '../../lib/testing';
import { webhookEventId } from '../../lib/webhooks/process';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { metricValue } from '../support/metric-values';
import { FakeTokenClient, makeTokens } from '../support/token-fixtures';
import { NOW_MS, NOW_S, WEBHOOK_SECRET, postWebhook, webhookBody } from '../support/webhooks';

const USER = 'open-id-webhook-1';

interface Fixture {
  app: Express;
  events: TikTokWebhookEvent[];
  removals: MemoryRemovalList;
  tokens: TikTokTokenManager;
  claims: MemoryClaimStore;
  logger: CaptureLogger;
  metrics: TikTokMetrics;
}

async function fixture(
  extra: Partial<TikTokWebhookOptions> = {},
  mount: (app: Express, handler: express.RequestHandler) => void = (app, h) =>
    app.post('/webhooks/tiktok', h),
): Promise<Fixture> {
  const events: TikTokWebhookEvent[] = [];
  const removals = new MemoryRemovalList();
  const tokens = new TikTokTokenManager({
    client: new FakeTokenClient(USER),
    store: new MemoryTokenStore(),
    logger: new CaptureLogger(),
  });
  await tokens.save(USER, makeTokens(USER));
  const claims = new MemoryClaimStore();
  const logger = new CaptureLogger();
  const metrics = createTikTokMetrics(new Registry());
  const app = express();
  mount(
    app,
    tiktokWebhook({
      clientSecret: WEBHOOK_SECRET,
      now: () => NOW_MS,
      removals,
      tokenManager: tokens,
      claimStore: claims,
      logger,
      metrics,
      onEvent: (event) => {
        events.push(event);
      },
      ...extra,
    }),
  );
  return { app, events, removals, tokens, claims, logger, metrics };
}

/** Tokens as a code exchange answered at `at` (epoch ms) would have made them. */
const issuedAt = (at: number) => makeTokens(USER, { expires_in: 3600, expires_at: at + 3600_000 });

/** Polls `check` every 20 ms until it holds (at most 2 s). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail('condition not met within 2 s');
}

const count = (f: Fixture, event: string, outcome: string): Promise<number> =>
  metricValue(f.metrics.webhooks, { event, outcome });

describe('tiktokWebhook', () => {
  describe('a genuine authorization.removed', () => {
    it('an onEvent that answers the request itself: its answer stands, one processed line with its status', async () => {
      const f = await fixture({
        onEvent: (event, req) => {
          f.events.push(event);
          req.res?.status(204).end();
        },
      });
      await postWebhook(f.app, webhookBody()).expect(204);
      assert.deepEqual(
        f.logger.lines
          .filter((l) => l.message.startsWith('[TikTokOAuth] webhook - '))
          .map((l) => [l.level, l.message, l.meta?.status]),
        [['info', '[TikTokOAuth] webhook - processed', 204]],
      );
      assert.equal(f.events.length, 1);
    });

    it('answers 200, records the removal, deletes the tokens, calls onEvent, counts and logs', async () => {
      const f = await fixture();
      const body = webhookBody();
      const res = await postWebhook(f.app, body).expect(200);
      assert.deepEqual(res.body, { received: true, duplicate: false });
      assert.equal(typeof res.headers['x-correlation-id'], 'string');
      // create_time NOW_S: the end of that second, capped at receipt (NOW_MS).
      assert.equal(await f.removals.removedAt(USER), NOW_MS);
      assert.equal(await f.tokens.get(USER), undefined);
      assert.equal(f.events.length, 1);
      assert.equal(f.events[0]?.raw, body);
      assert.equal(await count(f, 'authorization.removed', 'processed'), 1);
      const [line] = f.logger.events('processed');
      assert.equal(line?.level, 'info');
      assert.equal(line?.meta?.userOpenId, USER);
      assert.equal(line?.meta?.removalReason, 'user_disconnected');
      assert.equal(line?.meta?.correlationId, res.headers['x-correlation-id']);
    });

    it("the removal time is the end of create_time's second when the delivery comes later", async () => {
      const f = await fixture();
      await postWebhook(
        f.app,
        webhookBody('authorization.removed', { reason: 2 }, USER, NOW_S - 60),
      ).expect(200);
      assert.equal(await f.removals.removedAt(USER), (NOW_S - 60) * 1000 + 999);
    });
  });

  describe('duplicates (TikTok delivers at least once)', () => {
    it('a second delivery of the same body (new signature time) → 200 duplicate, processed once', async () => {
      const f = await fixture();
      const body = webhookBody();
      await postWebhook(f.app, body).expect(200);
      await f.tokens.save(USER, makeTokens(USER)); // the user logged in again meanwhile
      const res = await postWebhook(
        f.app,
        body,
        signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S - 5),
      ).expect(200);
      assert.deepEqual(res.body, { received: true, duplicate: true });
      assert.equal(f.events.length, 1);
      assert.notEqual(await f.tokens.get(USER), undefined, "the new login's tokens are kept");
      assert.equal(await count(f, 'authorization.removed', 'duplicate'), 1);
    });

    it('10 concurrent deliveries of one event → one processed, nine told to retry (503), a later one a duplicate', async () => {
      // NOTE: the first delivery's handler runs until the nine others have been answered (or
      // 4 s, so that a broken build fails instead of hanging): however slow the machine, they
      // all arrive while it is processing.
      let answered = 0;
      let othersAnswered: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        othersAnswered = resolve;
        setTimeout(resolve, 4000).unref();
      });
      const f = await fixture({
        handlerTimeoutMs: 5000,
        onEvent: async (event) => {
          await gate;
          f.events.push(event);
        },
      });
      const body = webhookBody();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          postWebhook(f.app, body).then((res) => {
            answered += 1;
            if (answered === 9) othersAnswered();
            return res;
          }),
        ),
      );
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, ...Array<number>(9).fill(503)]);
      assert.equal(answers.filter((r) => field(r.body, 'duplicate') === false).length, 1);
      for (const busy of answers.filter((r) => r.status === 503)) {
        assert.equal(field(busy.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
        assert.equal(busy.headers['retry-after'], '10'); // handlerTimeoutMs + 5 s, rounded up
      }
      // At-least-once delivery, not an outage: logged at warn, never at error.
      const failed = f.logger.events('failed');
      assert.equal(failed.length, 9, f.logger.text());
      assert.deepEqual(new Set(failed.map((l) => l.level)), new Set(['warn']));
      assert.equal(f.events.length, 1);
      const later = await postWebhook(f.app, body).expect(200);
      assert.equal(field(later.body, 'duplicate'), true);
      assert.equal(f.events.length, 1);
    });

    it('a delivery arriving while the first one fails is not lost: told to retry, the retry is processed', async () => {
      let calls = 0;
      let release: () => void = () => undefined;
      const f = await fixture({
        onEvent: async (event) => {
          calls += 1;
          if (calls === 1) {
            await new Promise<void>((r) => (release = r));
            throw new Error('database down');
          }
          f.events.push(event);
        },
      });
      const body = webhookBody('video.publish.completed', { publish_id: 'p1' });
      const first = postWebhook(f.app, body).then((r) => r); // sent now, answered later
      while (calls === 0) await new Promise((r) => setTimeout(r, 5));
      const second = await postWebhook(f.app, body);
      assert.equal(second.status, 503, 'not answered 200 while the first may still fail');
      release();
      assert.equal((await first).status, 500);
      const retry = await postWebhook(f.app, body).expect(200);
      assert.equal(field(retry.body, 'duplicate'), false);
      assert.equal(f.events.length, 1);
    });

    it('a process that died mid-processing (its lease left behind) does not make the event a duplicate', async () => {
      // A clock of the test's own: the lease expires when the test says, not when a busy
      // machine happens to get to the second delivery.
      let now = 1_000_000;
      const claims = new MemoryClaimStore({ now: () => now });
      const f = await fixture({ claimStore: claims });
      const body = webhookBody('video.publish.completed', { publish_id: 'p2' });
      const lease = `webhook:${webhookEventId(body)}:processing`;
      assert.equal(await claims.claim(lease, 50), true); // the dead process's lease
      await postWebhook(f.app, body).expect(503);
      now += 49;
      await postWebhook(f.app, body).expect(503);
      now += 11;
      const retry = await postWebhook(f.app, body).expect(200);
      assert.equal(field(retry.body, 'duplicate'), false);
    });

    it('a full memory claim store that evicts a live lease still lets one delivery of the event run at a time', async () => {
      // MemoryClaimStore at maxEntries drops its oldest entries, the lease of an event still
      // being processed included: 30 other events fill a store of 20 while the first one waits.
      let calls = 0;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
        setTimeout(resolve, 4000).unref(); // a broken build fails instead of hanging
      });
      const f = await fixture({
        claimStore: new MemoryClaimStore({ maxEntries: 20 }),
        handlerTimeoutMs: 5000,
        onEvent: async (event) => {
          if (event.event !== 'video.publish.completed') return;
          calls += 1;
          await gate;
          f.events.push(event);
        },
      });
      const body = webhookBody('video.publish.completed', { publish_id: 'slow' });
      const first = postWebhook(f.app, body).then((r) => r);
      while (calls === 0) await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < 30; i++) {
        await postWebhook(f.app, webhookBody('video.upload.failed', {}, `other-${i}`)).expect(200);
      }
      const second = await postWebhook(f.app, body);
      assert.equal(second.status, 503, 'not processed beside the first delivery');
      release();
      assert.equal((await first).status, 200);
      assert.equal(calls, 1);
      assert.equal(f.events.length, 1);
      const later = await postWebhook(f.app, body).expect(200);
      assert.equal(field(later.body, 'duplicate'), true);
      assert.equal(calls, 1);
    });

    it('two different events for one user are both processed', async () => {
      const f = await fixture();
      await postWebhook(f.app, webhookBody('authorization.removed', { reason: 1 })).expect(200);
      await postWebhook(f.app, webhookBody('video.publish.completed', { publish_id: 'p1' })).expect(
        200,
      );
      assert.deepEqual(
        f.events.map((e) => e.event),
        ['authorization.removed', 'video.publish.completed'],
      );
    });
  });

  describe('handler failure then retry', () => {
    it("onEvent throws → 500 WEBHOOK_HANDLER_ERROR, not marked done; the retry is processed and keeps a later login's tokens", async () => {
      let fail = true;
      const f = await fixture({
        onEvent: (event) => {
          if (fail) throw new Error('database down');
          f.events.push(event);
        },
      });
      const body = webhookBody();
      const first = await postWebhook(f.app, body).expect(500);
      assert.equal(field(first.body, 'error', 'code'), 'WEBHOOK_HANDLER_ERROR');
      assert.equal(field(first.body, 'error', 'retryable'), true);
      assert.equal(await f.tokens.get(USER), undefined, 'the package part was applied');
      // A new login between TikTok's attempts: its tokens are issued after the removal.
      await f.tokens.save(USER, issuedAt(NOW_MS + 5_000));
      fail = false;
      const retry = await postWebhook(f.app, body).expect(200);
      assert.equal(field(retry.body, 'duplicate'), false);
      assert.equal(f.events.length, 1);
      assert.notEqual(await f.tokens.get(USER), undefined, "the later login's tokens are kept");
      assert.equal(await count(f, 'authorization.removed', 'WEBHOOK_HANDLER_ERROR'), 1);
      assert.equal(await count(f, 'authorization.removed', 'processed'), 1);
      const [failed] = f.logger.events('failed');
      assert.equal(failed?.level, 'error');
    });

    it("onEvent throwing the package's TikTokAPIError, a string or an object: the failed line carries it as error", async () => {
      const thrown: unknown[] = [
        new TikTokAPIError({
          code: 'TIMEOUT_ERROR',
          message: 'token call timed out',
          correlationId: 'c-1',
        }),
        'plain string failure',
        { reason: 'object failure' },
      ];
      for (const value of thrown) {
        const f = await fixture({
          onEvent: () => {
            throw value;
          },
        });
        await postWebhook(f.app, webhookBody()).expect(500);
        const [failed] = f.logger.events('failed');
        assert.ok(failed !== undefined, f.logger.text());
        const logged = JSON.stringify(failed.meta?.error ?? null);
        assert.match(logged, /token call timed out|plain string failure|object failure/, logged);
      }
    });

    it('onEvent slower than handlerTimeoutMs → 500 at the timeout, its signal aborted; deliveries wait until it ends, and it failing late leaves the event to the retry', async () => {
      let signal: AbortSignal | undefined;
      let finish: ((ok: boolean) => void) | undefined;
      let runs = 0;
      const f = await fixture({
        handlerTimeoutMs: 30,
        onEvent: async (event, _req, context) => {
          runs += 1;
          if (runs > 1) {
            f.events.push(event);
            return;
          }
          signal = context.signal;
          const ok = await new Promise<boolean>((resolve) => (finish = resolve));
          if (!ok) throw new Error('gave up');
        },
      });
      const body = webhookBody('video.upload.failed', { publish_id: 'p' });
      const first = await postWebhook(f.app, body).expect(500);
      assert.equal(field(first.body, 'error', 'code'), 'WEBHOOK_HANDLER_ERROR');
      assert.equal(signal?.aborted, true, 'the late call was told to stop');
      // The first call still runs: TikTok's retry must not run onEvent beside it.
      await postWebhook(f.app, body).expect(503);
      assert.equal(runs, 1);
      finish?.(false);
      await waitFor(async () => (await postWebhook(f.app, body)).status === 200);
      assert.equal(runs, 2, 'the retry processed the event the late call failed');
      assert.equal(f.events.length, 1);
    });

    it('onEvent never runs past the lease: a removal that took most of it leaves onEvent no time (500, retried)', async function () {
      this.timeout(10_000);
      let ran = 0;
      const f = await fixture({
        handlerTimeoutMs: 50, // the lease: 50 ms + 5 s
        onEvent: () => {
          ran += 1;
        },
      });
      const record = f.removals.record.bind(f.removals);
      f.removals.record = async (openId, at) => {
        await new Promise((r) => setTimeout(r, 4200)); // Redis slow: the lease is nearly over
        return record(openId, at);
      };
      const res = await postWebhook(f.app, webhookBody()).expect(500);
      assert.equal(field(res.body, 'error', 'code'), 'WEBHOOK_HANDLER_ERROR');
      assert.equal(ran, 0, 'onEvent was not started without time left in the lease');
      assert.equal(await f.removals.removedAt(USER), NOW_MS, 'the removal itself was applied');
    });

    it('a wall clock stepped forward an hour during the removal: onEvent still runs within the lease (200)', async () => {
      const f = await fixture();
      const record = f.removals.record.bind(f.removals);
      const real = Date.now.bind(Date);
      f.removals.record = async (openId, at) => {
        Date.now = () => real() + 3_600_000; // NTP steps the wall clock forward an hour
        return record(openId, at);
      };
      try {
        await postWebhook(f.app, webhookBody()).expect(200);
      } finally {
        Date.now = real;
      }
      assert.equal(f.events.length, 1, 'onEvent ran');
    });

    it('onEvent that succeeds after its timeout: the event counts as done', async () => {
      let finish: (() => void) | undefined;
      let runs = 0;
      const f = await fixture({
        handlerTimeoutMs: 30,
        onEvent: async () => {
          runs += 1;
          await new Promise<void>((resolve) => (finish = resolve));
        },
      });
      const body = webhookBody('video.upload.failed', { publish_id: 'p' });
      await postWebhook(f.app, body).expect(500);
      finish?.();
      let retry: { status: number; body: unknown } | undefined;
      await waitFor(async () => {
        retry = await postWebhook(f.app, body);
        return retry.status === 200;
      });
      assert.equal(field(retry?.body, 'duplicate'), true);
      assert.equal(runs, 1);
    });

    it('a late authorization.removed keeps the tokens of a login made after the removal', async () => {
      const f = await fixture();
      await f.tokens.save(USER, issuedAt(NOW_MS + 60_000)); // the user logged in again since
      await postWebhook(f.app, webhookBody()).expect(200);
      assert.notEqual(await f.tokens.get(USER), undefined, 'tokens of the later login kept');
      assert.equal(await f.removals.removedAt(USER), NOW_MS, 'the removal is still recorded');
      // Tokens issued in the second of the removal are deleted (create_time has whole seconds).
      await f.tokens.save(USER, issuedAt(NOW_MS - 500));
      await postWebhook(f.app, webhookBody('authorization.removed', { reason: 2 })).expect(200);
      assert.equal(await f.tokens.get(USER), undefined);
    });

    it('the removal list failing → 503 SERVICE_UNAVAILABLE and the retry applies the removal', async () => {
      const f = await fixture();
      const record = f.removals.record.bind(f.removals);
      f.removals.record = () => Promise.reject(new Error('redis down'));
      const body = webhookBody();
      const res = await postWebhook(f.app, body).expect(503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.equal(res.headers['retry-after'], '5');
      f.removals.record = record;
      await postWebhook(f.app, body).expect(200);
      assert.equal(await f.removals.removedAt(USER), NOW_MS);
      assert.equal(await f.tokens.get(USER), undefined);
    });

    it('the token store failing → 503, onEvent not run; the retry deletes the tokens', async () => {
      const f = await fixture();
      const del = f.tokens.delete.bind(f.tokens);
      f.tokens.delete = () => Promise.reject(new Error('token store down'));
      const body = webhookBody();
      const res = await postWebhook(f.app, body).expect(503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.notEqual(await f.tokens.get(USER), undefined, 'not deleted yet');
      assert.equal(f.events.length, 0, 'onEvent waits for the removal');
      f.tokens.delete = del;
      await postWebhook(f.app, body).expect(200);
      assert.equal(await f.tokens.get(USER), undefined);
      assert.equal(f.events.length, 1);
    });

    it('the dedupe claim store failing → 503 before anything is applied', async () => {
      const failing = new MemoryClaimStore();
      failing.claim = () => Promise.reject(new Error('claims down'));
      const f = await fixture({ claimStore: failing });
      const res = await postWebhook(f.app, webhookBody()).expect(503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.equal(await f.removals.removedAt(USER), undefined);
      assert.notEqual(await f.tokens.get(USER), undefined);
      assert.equal(f.events.length, 0);
    });

    it('the done marker failing after processing → 200 processed (delivered at least once)', async () => {
      const claims = new MemoryClaimStore();
      const claim = claims.claim.bind(claims);
      let calls = 0;
      // The lease is claimed, then (after processing) the done marker: that one fails.
      claims.claim = (key, ttl) => {
        calls += 1;
        return key.endsWith(':processing')
          ? claim(key, ttl)
          : Promise.reject(new Error('claims down'));
      };
      const f = await fixture({ claimStore: claims });
      const body = webhookBody();
      const res = await postWebhook(f.app, body).expect(200);
      assert.equal(field(res.body, 'duplicate'), false);
      assert.equal(f.events.length, 1);
      assert.equal(await f.tokens.get(USER), undefined);
      // Without the marker the next delivery is processed again, not answered "duplicate".
      claims.claim = claim;
      await postWebhook(f.app, body).expect(200);
      assert.equal(f.events.length, 2);
      assert.equal(calls, 2, 'the done marker was tried once');
    });
  });

  describe('refusals', () => {
    it('forged signature → 401 INVALID_SIGNATURE, nothing applied, counted as unverified', async () => {
      const f = await fixture();
      const body = webhookBody();
      const res = await postWebhook(f.app, body, signTikTokWebhook(body, 'forged', NOW_S)).expect(
        401,
      );
      assert.equal(field(res.body, 'error', 'code'), 'INVALID_SIGNATURE');
      assert.notEqual(await f.tokens.get(USER), undefined);
      assert.equal(await f.removals.removedAt(USER), undefined);
      assert.equal(f.events.length, 0);
      assert.equal(await count(f, 'unverified', 'INVALID_SIGNATURE'), 1);
      const [line] = f.logger.events('refused');
      assert.equal(line?.level, 'warn');
      assert.equal(line?.meta?.reason, 'mismatch');
    });

    it('missing signature → 401; stale → 401 (reason stale)', async () => {
      const f = await fixture();
      const body = webhookBody();
      await postWebhook(f.app, body, null).expect(401);
      await postWebhook(f.app, body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S - 301)).expect(
        401,
      );
      assert.deepEqual(
        f.logger.events('refused').map((l) => l.meta?.reason),
        ['missing', 'stale'],
      );
    });

    it('malformed (signed non-JSON) → 400 VALIDATION_ERROR', async () => {
      const f = await fixture();
      const res = await postWebhook(f.app, 'not json').expect(400);
      assert.equal(field(res.body, 'error', 'code'), 'VALIDATION_ERROR');
    });

    it("another app's client key → 400", async () => {
      const f = await fixture({ clientKey: 'our-key' });
      const res = await postWebhook(f.app, webhookBody()).expect(400);
      assert.match(String(field(res.body, 'error', 'message')), /not this app's client key/);
    });

    it('a body over maxBodyBytes (declared length) → 413 PAYLOAD_TOO_LARGE', async () => {
      const f = await fixture({ maxBodyBytes: 1024 });
      const body = webhookBody('video.upload.failed', { pad: 'x'.repeat(2000) });
      const res = await postWebhook(f.app, body).expect(413);
      assert.equal(field(res.body, 'error', 'code'), 'PAYLOAD_TOO_LARGE');
      assert.equal(await count(f, 'unverified', 'PAYLOAD_TOO_LARGE'), 1);
    });

    it('a chunked body that grows past maxBodyBytes → 413 without buffering it', async () => {
      const f = await fixture({ maxBodyBytes: 1024 });
      const server = f.app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      try {
        const { port } = server.address() as AddressInfo;
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            {
              port,
              host: '127.0.0.1',
              method: 'POST',
              path: '/webhooks/tiktok',
              headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          for (let i = 0; i < 64; i++) req.write('x'.repeat(512));
          req.end();
        });
        assert.equal(status, 413);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('GET → 405 with Allow: POST when mounted with app.use', async () => {
      const f = await fixture({}, (app, h) => app.use('/webhooks/tiktok', h));
      const { default: request } = await import('supertest');
      const res = await request(f.app).get('/webhooks/tiktok').expect(405);
      assert.equal(res.headers.allow, 'POST');
    });

    it('a metric that throws on update still answers every delivery, with no unhandled rejection', async () => {
      const broken = {
        webhooks: {
          inc: () => {
            throw new Error('Added label "outcome" is not included in initial labelset');
          },
        },
      } as unknown as TikTokMetrics;
      const f = await fixture({ metrics: broken });
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown): void => {
        rejections.push(reason);
      };
      process.on('unhandledRejection', onRejection);
      try {
        await postWebhook(f.app, '{}', null).timeout(5000).expect(500);
        await postWebhook(f.app, webhookBody()).timeout(5000).expect(500);
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', onRejection);
      }
      assert.deepEqual(rejections, []);
    });

    it('never logs, answers or counts the secret or the signature', async () => {
      const f = await fixture();
      const body = webhookBody();
      const signature = signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S);
      const bad = signTikTokWebhook(body, 'forged', NOW_S);
      const answers = [
        await postWebhook(f.app, body, signature),
        await postWebhook(f.app, body, bad),
        await postWebhook(f.app, body, signature),
      ];
      const everything = [
        f.logger.text(),
        ...answers.map((r) => r.text + JSON.stringify(r.headers)),
        await (f.metrics.webhooks?.get().then((m) => JSON.stringify(m)) ?? ''),
      ].join('\n');
      for (const canary of [WEBHOOK_SECRET, signature.slice(13), bad.slice(13)]) {
        assert.ok(!everything.includes(canary), `leaked ${canary.slice(0, 8)}…`);
      }
    });
  });

  describe('body parsers', () => {
    it('a form body read by express.urlencoded() (a correct setup for TikTok) → 400 VALIDATION_ERROR at warn, not a configuration error', async () => {
      const f = await fixture({}, (app, h) => {
        app.use(express.urlencoded({ extended: false }));
        app.post('/webhooks/tiktok', h);
      });
      const res = await request(f.app)
        .post('/webhooks/tiktok')
        .type('form')
        .send('a=1')
        .expect(400);
      assert.equal(field(res.body, 'error', 'code'), 'VALIDATION_ERROR');
      assert.deepEqual(
        f.logger.lines.filter((l) => l.level === 'error'),
        [],
        "no error line for a request that is not TikTok's",
      );
      // TikTok's own JSON deliveries still pass that parser untouched.
      await postWebhook(f.app, webhookBody()).expect(200);
    });

    it('after express.json() that consumed the body → 500 CONFIGURATION_ERROR naming the fix', async () => {
      const f = await fixture({}, (app, h) => {
        app.use(express.json());
        app.post('/webhooks/tiktok', h);
      });
      const res = await postWebhook(f.app, webhookBody()).expect(500);
      assert.equal(field(res.body, 'error', 'code'), 'CONFIGURATION_ERROR');
      assert.match(
        String(field(res.body, 'error', 'message')),
        /before express\.json\(\).*express\.raw/,
      );
    });

    it('after express.raw() → the Buffer is verified and processed', async () => {
      const f = await fixture({}, (app, h) =>
        app.post('/webhooks/tiktok', express.raw({ type: 'application/json' }), h),
      );
      await postWebhook(f.app, webhookBody()).expect(200);
      assert.equal(f.events.length, 1);
    });

    it('a gzip body read by the webhook itself → 400 naming express.raw(), not a wrong signature', async () => {
      const f = await fixture({}, (app, h) => app.post('/webhooks/tiktok', h));
      const body = webhookBody();
      const res = await request(f.app)
        .post('/webhooks/tiktok')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .set('TikTok-Signature', signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S))
        .send(gzipSync(body))
        .expect(400);
      assert.equal(field(res.body, 'error', 'code'), 'VALIDATION_ERROR');
      assert.match(String(field(res.body, 'error', 'message')), /content-encoded.*express\.raw/);
      assert.equal(f.events.length, 0);
    });

    it('with express.json() mounted for other routes only → works', async () => {
      const f = await fixture({}, (app, h) => {
        app.post('/webhooks/tiktok', h);
        app.use(express.json());
      });
      await postWebhook(f.app, webhookBody()).expect(200);
    });
  });

  describe('options', () => {
    it('bad values are TypeErrors naming the option', () => {
      assert.throws(
        () => tiktokWebhook({ clientSecret: 's', maxBodyBytes: 0 }),
        /maxBodyBytes must be a positive integer/,
      );
      assert.throws(
        () => tiktokWebhook({ clientSecret: 's', handlerTimeoutMs: 1.5 }),
        /handlerTimeoutMs/,
      );
      // NOTE: a Node.js timer of a longer delay fires after 1 ms: every onEvent would time out.
      assert.throws(
        () => tiktokWebhook({ clientSecret: 's', handlerTimeoutMs: 2 ** 31 }),
        /^TypeError: tiktokWebhook option handlerTimeoutMs must be at most 2147483647 ms/,
      );
      assert.throws(
        () => tiktokWebhook({ clientSecret: '' }),
        /clientSecret option \(or the TIKTOK_CLIENT_SECRET/,
      );
      assert.throws(
        () => tiktokWebhook({ clientSecret: 's', tokenManager: {} as never }),
        /tokenManager must be an object with delete\(\)/,
      );
    });

    it('a secret or key pasted with quotes or whitespace is refused at creation, without its value', () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [
          { clientSecret: '"quoted-canary"' },
          /^TypeError: tiktokWebhook option clientSecret contains whitespace or quotes/,
        ],
        [
          { clientSecret: 'trailing-canary\n' },
          /^TypeError: tiktokWebhook option clientSecret contains whitespace or quotes/,
        ],
        [
          { clientSecret: 'ok', clientKey: "'key-canary'" },
          /^TypeError: tiktokWebhook option clientKey contains whitespace or quotes/,
        ],
      ];
      for (const [options, message] of cases) {
        assert.throws(
          () => tiktokWebhook(options),
          (err: unknown) => {
            assert.match(String(err), message);
            assert.doesNotMatch(String(err), /canary/);
            return true;
          },
        );
      }
      const saved = process.env.TIKTOK_CLIENT_SECRET;
      process.env.TIKTOK_CLIENT_SECRET = '"env-canary"';
      try {
        assert.throws(
          () => tiktokWebhook({}),
          /^TypeError: the TIKTOK_CLIENT_SECRET environment variable \(tiktokWebhook option clientSecret\) contains whitespace or quotes/,
        );
      } finally {
        if (saved === undefined) delete process.env.TIKTOK_CLIENT_SECRET;
        else process.env.TIKTOK_CLIENT_SECRET = saved;
      }
    });
  });
});
