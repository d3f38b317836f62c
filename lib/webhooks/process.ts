import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { TikTokAPIError } from '../errors';
import { isAuthorizationRemoved, type TikTokWebhookEvent } from './event';
import type { ResolvedWebhookOptions } from './options';

/**
 * The dedupe key of an event. NOTE: TikTok's deliveries carry no event id. Its retries resend
 * the same body (only the signature header's timestamp changes), and the body holds the event,
 * the user and `create_time`: a hash of the signed body identifies the event.
 */
export function webhookEventId(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

/**
 * When the removal happened, for comparing with session login times (epoch ms). NOTE: TikTok's
 * `create_time` has whole seconds, so the end of that second is taken (a login in the same
 * second as the removal counts as before it); capped at the time of receipt, as a removal cannot
 * be later than its delivery (a TikTok clock running ahead of ours must not end a login made
 * after the delivery).
 */
export function removalTime(event: TikTokWebhookEvent, receivedAt: number): number {
  return Math.min(event.createTime.getTime() + 999, receivedAt);
}

/** What happened to a verified delivery. */
export type DeliveryOutcome = 'processed' | 'duplicate';

function unavailable(what: string, correlationId: string, cause: unknown): TikTokAPIError {
  if (cause instanceof TikTokAPIError) return cause;
  return new TikTokAPIError({
    code: 'SERVICE_UNAVAILABLE',
    message: `TikTok webhook not processed: the ${what} did not answer. TikTok will retry the delivery.`,
    correlationId,
    cause,
  });
}

async function withTimeout(work: () => unknown, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`onEvent did not finish within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([Promise.resolve().then(work), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function applyRemoval(
  event: TikTokWebhookEvent & { event: 'authorization.removed' },
  o: ResolvedWebhookOptions,
  receivedAt: number,
  correlationId: string,
): Promise<void> {
  // The removal is recorded first: ending sessions matters more than deleting the tokens, which
  // TikTok has already revoked.
  try {
    await o.removals?.record(event.userOpenId, removalTime(event, receivedAt));
  } catch (err) {
    throw unavailable('removal list', correlationId, err);
  }
  try {
    await o.tokenManager?.delete(event.userOpenId, { correlationId });
  } catch (err) {
    throw unavailable('token store', correlationId, err);
  }
}

/** How much longer than `handlerTimeoutMs` a delivery's processing lease lasts. */
const LEASE_MARGIN_MS = 5_000;

/** The 503s answered to a delivery that overlapped another of the same event. */
const overlapping = new WeakSet<TikTokAPIError>();

/**
 * Whether `err` is the 503 of a delivery that arrived while another delivery of the same event
 * was being processed: TikTok's at-least-once delivery at work, not an outage.
 */
export function isOverlappingDelivery(err: TikTokAPIError): boolean {
  return overlapping.has(err);
}

function inProgress(correlationId: string, leaseMs: number): TikTokAPIError {
  const err = new TikTokAPIError({
    code: 'SERVICE_UNAVAILABLE',
    message:
      'TikTok webhook not processed: another delivery of this event is being processed. TikTok will retry the delivery.',
    correlationId,
    retryAfterSeconds: Math.ceil(leaseMs / 1000),
  });
  overlapping.add(err);
  return err;
}

async function claimOrThrow(
  o: ResolvedWebhookOptions,
  key: string,
  ttlMs: number,
  correlationId: string,
): Promise<boolean> {
  try {
    return await o.claimStore.claim(key, ttlMs);
  } catch (err) {
    throw unavailable('dedupe claim store', correlationId, err);
  }
}

/**
 * Dedupe, then the package's own work (`authorization.removed`: removal recorded, tokens
 * deleted), then `onEvent`. NOTE: two claims per event, so that nothing is lost:
 * - a processing lease (`handlerTimeoutMs` + 5 s) held while one delivery works on the event:
 *   another delivery arriving meanwhile is answered 503 (TikTok retries it later) rather than 200
 *   "duplicate", since the first one may still fail;
 * - a done marker (`dedupeTtlMs`), set only once the event was processed: later deliveries are
 *   answered 200 "duplicate". A process that dies mid-processing leaves no done marker, and its
 *   lease runs out, so TikTok's retry is processed.
 * Any failure throws a TikTokAPIError (TikTok retries). The removal has its own claim, kept when
 * only `onEvent` failed: the retry then does not delete again tokens that a new login may have
 * saved since.
 */
export async function processDelivery(
  event: TikTokWebhookEvent,
  req: Request,
  o: ResolvedWebhookOptions,
  ids: { readonly eventId: string; readonly correlationId: string; readonly receivedAt: number },
): Promise<DeliveryOutcome> {
  const key = `webhook:${ids.eventId}`;
  const leaseKey = `${key}:processing`;
  const leaseMs = o.handlerTimeoutMs + LEASE_MARGIN_MS;
  if (!(await claimOrThrow(o, leaseKey, leaseMs, ids.correlationId))) {
    throw inProgress(ids.correlationId, leaseMs);
  }
  try {
    // Whether the event was done already: a claim of the done marker, given back at once (the
    // lease keeps other deliveries out until it is set for good below).
    if (!(await claimOrThrow(o, key, o.dedupeTtlMs, ids.correlationId))) return 'duplicate';
    await o.claimStore.release(key).catch(() => undefined);
    await processEvent(event, req, o, key, ids.correlationId, ids.receivedAt);
    try {
      await o.claimStore.claim(key, o.dedupeTtlMs);
    } catch {
      // Processed; without the marker a later delivery is processed again (at least once).
    }
    return 'processed';
  } finally {
    await o.claimStore.release(leaseKey).catch(() => undefined);
  }
}

async function processEvent(
  event: TikTokWebhookEvent,
  req: Request,
  o: ResolvedWebhookOptions,
  key: string,
  correlationId: string,
  receivedAt: number,
): Promise<void> {
  if (isAuthorizationRemoved(event)) {
    const applyKey = `${key}:removal`;
    if (await claimOrThrow(o, applyKey, o.dedupeTtlMs, correlationId)) {
      try {
        await applyRemoval(event, o, receivedAt, correlationId);
      } catch (err) {
        await o.claimStore.release(applyKey).catch(() => undefined);
        throw err;
      }
    }
  }
  const { onEvent } = o;
  if (onEvent === undefined) return;
  try {
    await withTimeout(() => onEvent(event, req), o.handlerTimeoutMs);
  } catch (err) {
    throw new TikTokAPIError({
      code: 'WEBHOOK_HANDLER_ERROR',
      message:
        "TikTok webhook not processed: the app's onEvent handler failed or ran out of time. TikTok will retry the delivery.",
      correlationId,
      cause: err,
    });
  }
}
