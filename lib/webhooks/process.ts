import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { TikTokAPIError } from '../errors';
import { isAuthorizationRemoved, type TikTokWebhookEvent } from './event';
import type { TikTokStateClaimStore } from '../state/claims';
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

/**
 * `onEvent` ran out of time: the delivery fails, and `settled` tells when the abandoned call
 * ended (true: it succeeded after all). The lease is held until then.
 */
class HandlerTimedOut extends Error {
  constructor(
    ms: number,
    readonly settled: Promise<boolean>,
  ) {
    super(`onEvent did not finish within ${ms} ms`);
  }
}

/**
 * Runs `onEvent` for at most `ms`. NOTE: JavaScript cannot stop a call: at the timeout its
 * `signal` is aborted, and the call is left to end on its own (HandlerTimedOut.settled).
 */
async function runHandler(
  onEvent: NonNullable<ResolvedWebhookOptions['onEvent']>,
  event: TikTokWebhookEvent,
  req: Request,
  ms: number,
): Promise<void> {
  const controller = new AbortController();
  const running = Promise.resolve().then(() => onEvent(event, req, { signal: controller.signal }));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new HandlerTimedOut(
        ms,
        running.then(
          () => true,
          () => false,
        ),
      );
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    await Promise.race([running, timeout]);
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
  const removedAt = removalTime(event, receivedAt);
  // The removal is recorded first: ending sessions matters more than deleting the tokens, which
  // TikTok has already revoked.
  try {
    await o.removals?.record(event.userOpenId, removedAt);
  } catch (err) {
    throw unavailable('removal list', correlationId, err);
  }
  try {
    // NOTE: only tokens issued by the removal: a delivery that arrives late (TikTok's retry after
    // an outage) must not delete the tokens of a login made since, whose session is kept too.
    await o.tokenManager?.delete(event.userOpenId, { correlationId, issuedNotAfter: removedAt });
  } catch (err) {
    throw unavailable('token store', correlationId, err);
  }
}

/** How much longer than `handlerTimeoutMs` a delivery's processing lease lasts. */
const LEASE_MARGIN_MS = 5_000;
/** How long before its expiry a lease is no longer released (the release may be slow to land). */
const LEASE_RELEASE_MARGIN_MS = 1_000;

/**
 * The leases held by this process, per claim store: lease key → expiry (`performance.now()` ms).
 * NOTE: a bounded store (`MemoryClaimStore` at `maxEntries`) evicts its oldest entries, live
 * leases included; this record keeps a second delivery of an event this process is still
 * processing from running beside it. An entry goes when its lease is released (or left to
 * expire), so it holds only deliveries in progress (an abandoned onEvent until it ends).
 */
const localLeases = new WeakMap<TikTokStateClaimStore, Map<string, number>>();

function localLeasesOf(store: TikTokStateClaimStore): Map<string, number> {
  let leases = localLeases.get(store);
  if (leases === undefined) {
    leases = new Map();
    localLeases.set(store, leases);
  }
  return leases;
}

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
 * Whether the event was processed already (its done marker is set). A store without `has()` is
 * asked with a claim given back at once.
 */
async function isDone(
  o: ResolvedWebhookOptions,
  key: string,
  correlationId: string,
): Promise<boolean> {
  const store = o.claimStore;
  try {
    if (store.has !== undefined) return await store.has(key);
    if (!(await store.claim(key, o.dedupeTtlMs))) return true;
  } catch (err) {
    throw unavailable('dedupe claim store', correlationId, err);
  }
  await store.release(key).catch(() => undefined);
  return false;
}

/** The done marker, set once the event was processed; a failure only means processing again. */
async function markDone(o: ResolvedWebhookOptions, key: string): Promise<void> {
  try {
    await o.claimStore.claim(key, o.dedupeTtlMs);
  } catch {
    // Processed; without the marker a later delivery is processed again (at least once).
  }
}

/**
 * Dedupe, then the package's own work (`authorization.removed`: removal recorded, tokens issued
 * by then deleted), then `onEvent`. NOTE: two keys per event, and no marker is ever written
 * before the work it stands for, so that a store failing halfway loses nothing:
 * - a processing lease (`handlerTimeoutMs` + 5 s) held while one delivery works on the event:
 *   another delivery arriving meanwhile is answered 503 (TikTok retries it later) rather than 200
 *   "duplicate", since the first one may still fail. An `onEvent` that ran out of time keeps the
 *   lease until it ends (or the lease expires);
 * - a done marker (`dedupeTtlMs`), set only once the event was processed: later deliveries are
 *   answered 200 "duplicate". A process that dies mid-processing leaves no done marker, and its
 *   lease runs out, so TikTok's retry is processed.
 * The package's own work is idempotent (the removal list keeps the latest time; only tokens
 * issued by the removal are deleted), so a retry after `onEvent` failed simply does it again.
 * Any failure throws a TikTokAPIError (TikTok retries).
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
  // NOTE: read before the claim is sent, so the lease cannot expire in Redis before it does here;
  // on the monotonic clock, as Redis times the lease: a wall clock stepped forward (NTP, a resumed
  // VM) would leave onEvent no time, one stepped back would release a lease already expired.
  const leaseFrom = performance.now();
  const local = localLeasesOf(o.claimStore);
  const heldUntil = local.get(leaseKey);
  if (heldUntil !== undefined && heldUntil > leaseFrom)
    throw inProgress(ids.correlationId, leaseMs);
  const mine = leaseFrom + leaseMs;
  local.set(leaseKey, mine);
  const forget = (): void => {
    if (local.get(leaseKey) === mine) local.delete(leaseKey);
  };
  let claimed: boolean;
  try {
    claimed = await claimOrThrow(o, leaseKey, leaseMs, ids.correlationId);
  } catch (err) {
    forget();
    throw err;
  }
  if (!claimed) {
    forget();
    throw inProgress(ids.correlationId, leaseMs);
  }
  let abandoned: Promise<boolean> | undefined;
  try {
    if (await isDone(o, key, ids.correlationId)) return 'duplicate';
    try {
      await processEvent(event, req, o, ids, leaseFrom + leaseMs);
    } catch (err) {
      if (err instanceof TikTokAPIError && err.cause instanceof HandlerTimedOut) {
        abandoned = err.cause.settled;
      }
      throw err;
    }
    await markDone(o, key);
    return 'processed';
  } finally {
    // A lease at (or near) its expiry is left to expire: by then another delivery may hold it.
    const release = async (): Promise<void> => {
      forget();
      if (performance.now() >= leaseFrom + leaseMs - LEASE_RELEASE_MARGIN_MS) return;
      await o.claimStore.release(leaseKey).catch(() => undefined);
    };
    if (abandoned === undefined) await release();
    else {
      // Answered already (500); the late call decides whether TikTok's retry has work left.
      void abandoned.then(async (succeeded) => {
        if (succeeded) await markDone(o, key);
        await release();
      });
    }
  }
}

async function processEvent(
  event: TikTokWebhookEvent,
  req: Request,
  o: ResolvedWebhookOptions,
  ids: { readonly correlationId: string; readonly receivedAt: number },
  /** `performance.now()` ms. */
  leaseEndsAt: number,
): Promise<void> {
  const { correlationId } = ids;
  if (isAuthorizationRemoved(event)) await applyRemoval(event, o, ids.receivedAt, correlationId);
  const { onEvent } = o;
  if (onEvent === undefined) return;
  try {
    // NOTE: within the lease, less its release margin: a slow removal (Redis timing out) must
    // not leave onEvent running past the lease, beside TikTok's retry.
    const ms = Math.min(
      o.handlerTimeoutMs,
      leaseEndsAt - LEASE_RELEASE_MARGIN_MS - performance.now(),
    );
    if (ms <= 0) throw new Error('no time left for onEvent within the processing lease');
    await runHandler(onEvent, event, req, ms);
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
