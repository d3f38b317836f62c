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

/**
 * Dedupe, then the package's own work (`authorization.removed`: removal recorded, tokens
 * deleted), then `onEvent`. Any failure releases the event's claim (TikTok's retry is processed
 * again) and throws a TikTokAPIError. The removal has its own claim, kept when only `onEvent`
 * failed: the retry then does not delete again tokens that a new login may have saved since.
 */
export async function processDelivery(
  event: TikTokWebhookEvent,
  req: Request,
  o: ResolvedWebhookOptions,
  ids: { readonly eventId: string; readonly correlationId: string; readonly receivedAt: number },
): Promise<DeliveryOutcome> {
  const key = `webhook:${ids.eventId}`;
  let claimed: boolean;
  try {
    claimed = await o.claimStore.claim(key, o.dedupeTtlMs);
  } catch (err) {
    throw unavailable('dedupe claim store', ids.correlationId, err);
  }
  if (!claimed) return 'duplicate';
  try {
    if (isAuthorizationRemoved(event)) {
      const applyKey = `${key}:removal`;
      let apply: boolean;
      try {
        apply = await o.claimStore.claim(applyKey, o.dedupeTtlMs);
      } catch (err) {
        throw unavailable('dedupe claim store', ids.correlationId, err);
      }
      if (apply) {
        try {
          await applyRemoval(event, o, ids.receivedAt, ids.correlationId);
        } catch (err) {
          await o.claimStore.release(applyKey).catch(() => undefined);
          throw err;
        }
      }
    }
    const { onEvent } = o;
    if (onEvent !== undefined) {
      try {
        await withTimeout(() => onEvent(event, req), o.handlerTimeoutMs);
      } catch (err) {
        throw new TikTokAPIError({
          code: 'WEBHOOK_HANDLER_ERROR',
          message:
            "TikTok webhook not processed: the app's onEvent handler failed or ran out of time. TikTok will retry the delivery.",
          correlationId: ids.correlationId,
          cause: err,
        });
      }
    }
  } catch (err) {
    await o.claimStore.release(key).catch(() => undefined);
    throw err;
  }
  return 'processed';
}
