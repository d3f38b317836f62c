import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError, type TikTokErrorCode } from '../errors';
import { SafeLogger, Scrubber, type LogLevel } from '../logging';
import { isAuthorizationRemoved, KNOWN_WEBHOOK_EVENTS, type TikTokWebhookEvent } from './event';
import {
  resolveWebhookOptions,
  type ResolvedWebhookOptions,
  type TikTokWebhookOptions,
} from './options';
import { isOverlappingDelivery, processDelivery, webhookEventId } from './process';
import { readRawBody } from './raw-body';
import { SignatureError } from './signature';
import { verifyDelivery } from './verify';

function eventLabel(event: TikTokWebhookEvent | undefined): string {
  if (event === undefined) return 'unverified';
  return KNOWN_WEBHOOK_EVENTS.has(event.event) ? event.event : 'other';
}

function configurationError(correlationId: string): TikTokAPIError {
  return new TikTokAPIError({
    code: 'CONFIGURATION_ERROR',
    message:
      'tiktokWebhook cannot verify this delivery: a body parser (express.json() or similar) already read the request body, and the signature covers the exact bytes. Mount the webhook route before express.json(), or give it the raw body with express.raw({ type: "application/json" }).',
    correlationId,
  });
}

/**
 * A body already read by a parser, of a type TikTok never sends: refused as the caller's, not the
 * app's mistake.
 * NOTE: TikTok posts JSON only. A form or text body read by `express.urlencoded()` mounted before
 * the webhook (a correct setup for TikTok's deliveries) is some other client's request; answering
 * it CONFIGURATION_ERROR would let anyone raise `error` lines and 500s about a setup that works.
 */
function notTikTokBody(correlationId: string): TikTokAPIError {
  return new TikTokAPIError({
    code: 'VALIDATION_ERROR',
    message: 'TikTok webhook refused: the body is not JSON (TikTok sends application/json).',
    correlationId,
  });
}

/** A body with a Content-Encoding (gzip…), which the signature check cannot read as sent. */
function encodedBody(correlationId: string): TikTokAPIError {
  return new TikTokAPIError({
    code: 'VALIDATION_ERROR',
    message:
      "TikTok webhook refused: the body is content-encoded (Content-Encoding), and TikTok's signature covers the JSON itself. Mount express.raw({ type: 'application/json' }) before the webhook handler (it decodes gzip and deflate), or have the proxy forward the body as received.",
    correlationId,
  });
}

function tooLarge(correlationId: string, maxBodyBytes: number): TikTokAPIError {
  return new TikTokAPIError({
    code: 'PAYLOAD_TOO_LARGE',
    message: `TikTok webhook refused: the body exceeds ${maxBodyBytes} bytes (maxBodyBytes).`,
    correlationId,
  });
}

/** One delivery from arrival to answer. */
class Delivery {
  readonly startedAt: number;
  readonly correlationId: string;
  event: TikTokWebhookEvent | undefined;
  eventId: string | undefined;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly o: ResolvedWebhookOptions,
    readonly log: SafeLogger,
  ) {
    this.startedAt = o.now();
    // The app's request ID (set earlier in the request) wins, as in the strategy; then the
    // incoming header; the ID is put on the request for the app's own log lines.
    this.correlationId = acceptCorrelationId(
      req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
    );
    req.tiktokCorrelationId = this.correlationId;
  }

  answer(outcome: 'processed' | 'duplicate'): void {
    // NOTE: an onEvent that answered the request itself: its status is the answer, logged as is.
    const status = this.res.headersSent ? this.res.statusCode : 200;
    this.count(outcome);
    this.write('info', outcome, status, {});
    if (this.res.headersSent) return;
    this.res.setHeader('X-Correlation-Id', this.correlationId);
    this.res.setHeader('Cache-Control', 'no-store');
    this.res.status(200).json({ received: true, duplicate: outcome === 'duplicate' });
  }

  fail(error: TikTokAPIError): void {
    this.count(error.code);
    const cause: unknown = error.cause;
    // NOTE: an overlapping delivery of one event is normal (TikTok delivers at least once and
    // retries): warn, so that `error` lines stay the ones someone has to look at.
    const level: LogLevel =
      error.statusCode >= 500 && !isOverlappingDelivery(error) ? 'error' : 'warn';
    this.write(level, error.statusCode >= 500 ? 'failed' : 'refused', error.statusCode, {
      errorCode: error.code,
      ...(cause instanceof SignatureError ? { reason: cause.reason } : {}),
      // NOTE: `detail`, not `message`: winston appends a `message` field to the line's message,
      // which would break queries on the fixed `webhook - refused` / `failed` text.
      detail: error.message,
      // The cause whatever it is: onEvent may throw the package's own TikTokAPIError (a token
      // call that timed out), a string or a plain object. The logger scrubs the client secret and
      // redacts secret-named fields in it; the app's own error text is logged as it is.
      ...(error.statusCode >= 500 && cause !== undefined ? { error: cause } : {}),
    });
    if (this.res.headersSent) return;
    this.res.setHeader('X-Correlation-Id', this.correlationId);
    this.res.setHeader('Cache-Control', 'no-store');
    if (error.code === 'METHOD_NOT_ALLOWED') this.res.setHeader('Allow', 'POST');
    if (error.retryable) this.res.setHeader('Retry-After', String(error.retryAfterSeconds ?? 5));
    this.res
      .status(error.statusCode)
      .json({ error: { ...error.toJSON(), correlationId: this.correlationId } });
  }

  aborted(): void {
    this.count('aborted');
    this.write('warn', 'aborted', undefined, {});
  }

  private count(outcome: TikTokErrorCode | 'processed' | 'duplicate' | 'aborted'): void {
    this.o.metrics?.webhooks?.inc({ event: eventLabel(this.event), outcome });
  }

  private write(
    level: LogLevel,
    what: string,
    status: number | undefined,
    extra: Record<string, unknown>,
  ): void {
    this.log.log(level, `[TikTokOAuth] webhook - ${what}`, {
      correlationId: this.correlationId,
      event: this.event?.event,
      userOpenId: this.event?.userOpenId,
      eventId: this.eventId?.slice(0, 16),
      ...(this.event !== undefined && isAuthorizationRemoved(this.event)
        ? { removalReason: this.event.content.reasonName }
        : {}),
      status,
      durationMs: this.o.now() - this.startedAt,
      ...extra,
    });
  }
}

async function handleDelivery(d: Delivery): Promise<void> {
  const { req, o } = d;
  if (req.method !== 'POST') {
    d.fail(
      new TikTokAPIError({
        code: 'METHOD_NOT_ALLOWED',
        message: 'The TikTok webhook URL answers POST only.',
        correlationId: d.correlationId,
      }),
    );
    return;
  }
  const read = await readRawBody(req, o.maxBodyBytes);
  if (!read.ok) {
    if (read.failure === 'aborted') d.aborted();
    else if (read.failure === 'encoded') d.fail(encodedBody(d.correlationId));
    else
      d.fail(
        read.failure === 'consumed'
          ? req.is('application/json') === false
            ? notTikTokBody(d.correlationId)
            : configurationError(d.correlationId)
          : tooLarge(d.correlationId, o.maxBodyBytes),
      );
    return;
  }
  const receivedAt = o.now();
  const event = verifyDelivery(
    read.body,
    req.headers['tiktok-signature'],
    o,
    receivedAt,
    d.correlationId,
  );
  d.event = event;
  d.eventId = webhookEventId(event.raw);
  const outcome = await processDelivery(event, req, o, {
    eventId: d.eventId,
    correlationId: d.correlationId,
    receivedAt,
  });
  d.answer(outcome);
}

/**
 * Express middleware that receives TikTok's webhooks: `app.post('/webhooks/tiktok', tiktokWebhook(...))`.
 * It reads the raw body itself (mount it before `express.json()`, or after `express.raw()`),
 * verifies the `TikTok-Signature` in constant time within `toleranceSeconds`, parses the event,
 * drops duplicates through the claim store, handles `authorization.removed` (removal recorded in
 * `removals`, tokens deleted through `tokenManager`), then awaits `onEvent`. Answers: 200
 * processed or duplicate, 401 bad/missing signature or stale timestamp, 400 malformed body or
 * another app's client key, 413 too large, 405 not a POST, 500 `onEvent` failed (TikTok retries)
 * or a body parser read the body first, 503 a store did not answer or another delivery of the
 * same event is being processed. Errors are answered here as JSON, never passed to `next`.
 *
 * ```ts
 * const removals = new RedisRemovalList({ client: redis });
 * app.post('/webhooks/tiktok', tiktokWebhook({ tokenManager, removals, claimStore }));
 * app.use(express.json()); // after the webhook
 * ```
 */
export function tiktokWebhook(options: TikTokWebhookOptions = {}): RequestHandler {
  const o = resolveWebhookOptions(options);
  const log = new SafeLogger(o.logger, new Scrubber([o.clientSecret]));
  return function tiktokWebhookHandler(req: Request, res: Response, _next: NextFunction): void {
    const delivery = new Delivery(req, res, o, log);
    handleDelivery(delivery)
      .catch((err: unknown) => {
        delivery.fail(
          err instanceof TikTokAPIError
            ? err
            : new TikTokAPIError({
                code: 'WEBHOOK_HANDLER_ERROR',
                message:
                  'TikTok webhook not processed: an unexpected error occurred. TikTok will retry the delivery.',
                correlationId: delivery.correlationId,
                cause: err,
              }),
        );
      })
      .catch(() => {
        // NOTE: answering the failure threw (a broken logger or metric): the delivery still
        // gets its 500, so TikTok retries it, and nothing is left as an unhandled rejection.
        if (!res.headersSent) res.status(500).end();
      });
  };
}
