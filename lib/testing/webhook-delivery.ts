import { setMaxListeners } from 'node:events';
import { wait } from './http-io';
import { buildTikTokWebhookBody, signTikTokWebhook } from './webhook-signing';

/** Retry timings of the emulator's webhook deliveries (TikTok: exponential backoff for 72 h). */
export interface EmulatorWebhookRetry {
  /** Attempts per delivery, the first included. Default `5`. */
  attempts?: number | undefined;
  /** Wait before the first retry, ms; doubled before each next one. Default `1000`. */
  baseDelayMs?: number | undefined;
  /** Longest wait between attempts, ms. Default `60_000`. */
  maxDelayMs?: number | undefined;
  /** Time allowed for one attempt's answer, ms. Default `5000`. */
  timeoutMs?: number | undefined;
}

/** One POST of a delivery. */
export interface EmulatorWebhookAttempt {
  /** When it was sent (the emulator's clock, epoch ms). */
  readonly at: number;
  /** The `TikTok-Signature` header it carried. */
  readonly signature: string;
  /** The app's HTTP status; absent when no answer came. */
  status?: number;
  /** Why no answer came (connection refused, timeout...). */
  error?: string;
  /** Time to the answer, ms. */
  durationMs?: number;
}

/** One event sent (and retried) to the webhook URL. Recorded in `tt.webhookDeliveries`. */
export interface EmulatorWebhookDelivery {
  readonly url: string;
  readonly event: string;
  readonly userOpenId: string;
  /** The exact body sent on every attempt. */
  readonly body: string;
  readonly attempts: EmulatorWebhookAttempt[];
  /** `pending` until a 200 answer (`delivered`) or the last attempt failed (`failed`). */
  status: 'pending' | 'delivered' | 'failed';
  /** Resolves with this delivery once it is delivered or has failed. Never rejects. */
  readonly done: Promise<EmulatorWebhookDelivery>;
}

/** An event to send. */
export interface EmulatorWebhookEvent {
  event: string;
  userOpenId: string;
  /** Serialised into the body's `content` string. Default `{}`. */
  content?: unknown;
  /** `create_time`, epoch seconds. Default: the emulator's clock. */
  createTime?: number | undefined;
}

/** How to send: duplicates on demand. */
export interface EmulatorWebhookSendOptions {
  /** Deliveries of the same body (TikTok delivers at least once). Default `1`. */
  copies?: number | undefined;
  /** Send the copies at the same moment instead of one after the other. Default `false`. */
  concurrent?: boolean | undefined;
}

export interface ResolvedWebhookRetry {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

export interface WebhookSenderSettings {
  readonly clientKey: string;
  readonly clientSecret: string;
  readonly retry: ResolvedWebhookRetry;
  readonly clock: () => number;
}

/**
 * Sends signed webhook deliveries the way TikTok does: POST JSON, `TikTok-Signature`, retried
 * with exponential backoff on anything but a 200 answer (as TikTok does). Every delivery is recorded.
 */
export class WebhookSender {
  readonly deliveries: EmulatorWebhookDelivery[] = [];
  url: string | undefined;
  private readonly pending = new Set<Promise<EmulatorWebhookDelivery>>();
  /** Aborted by close(), and replaced by reset(): it ends the deliveries started before. */
  private controller = deliveryController();
  private closed = false;

  constructor(
    private readonly settings: WebhookSenderSettings,
    url: string | undefined,
  ) {
    this.url = url;
  }

  /** Sends `input` (`copies` times); resolves once every copy is delivered or has failed. */
  async send(
    input: EmulatorWebhookEvent,
    options: EmulatorWebhookSendOptions = {},
  ): Promise<EmulatorWebhookDelivery[]> {
    const body = buildTikTokWebhookBody({
      clientKey: this.settings.clientKey,
      event: input.event,
      userOpenId: input.userOpenId,
      content: input.content,
      createTime: input.createTime ?? Math.floor(this.settings.clock() / 1000),
    });
    const copies = options.copies ?? 1;
    if (options.concurrent === true) {
      return Promise.all(Array.from({ length: copies }, () => this.deliver(input, body)));
    }
    const out: EmulatorWebhookDelivery[] = [];
    for (let i = 0; i < copies; i++) out.push(await this.deliver(input, body));
    return out;
  }

  /** Sends a recorded delivery's body again, as a new delivery (a duplicate). */
  redeliver(delivery: EmulatorWebhookDelivery): Promise<EmulatorWebhookDelivery> {
    return this.deliver(delivery, delivery.body);
  }

  /** Resolves once no delivery is pending. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops retries and aborts attempts in flight (at `tt.close()`). */
  close(): void {
    this.closed = true;
    this.controller.abort();
  }

  /**
   * Forgets every delivery (at `tt.reset()`): retries stop, attempts in flight are aborted, and
   * flush() no longer waits for them. NOTE: a retry of an earlier test's webhook must not reach
   * the app during the next test, where it would revoke that test's tokens or sessions.
   */
  reset(): void {
    this.controller.abort();
    if (!this.closed) this.controller = deliveryController();
    this.pending.clear();
    this.deliveries.length = 0;
  }

  private deliver(
    input: Pick<EmulatorWebhookEvent, 'event' | 'userOpenId'>,
    body: string,
  ): Promise<EmulatorWebhookDelivery> {
    const url = this.url;
    if (url === undefined) {
      return Promise.reject(
        new TypeError('TikTokEmulator: no webhook URL (pass webhookUrl or call tt.setWebhookUrl)'),
      );
    }
    let resolveDone: (d: EmulatorWebhookDelivery) => void = () => undefined;
    const done = new Promise<EmulatorWebhookDelivery>((resolve) => (resolveDone = resolve));
    const delivery: EmulatorWebhookDelivery = {
      url,
      event: input.event,
      userOpenId: input.userOpenId,
      body,
      attempts: [],
      status: 'pending',
      done,
    };
    this.deliveries.push(delivery);
    this.pending.add(done);
    void this.run(delivery).then(() => {
      this.pending.delete(done);
      resolveDone(delivery);
    });
    return done;
  }

  private async run(delivery: EmulatorWebhookDelivery): Promise<void> {
    const { retry, clock, clientSecret } = this.settings;
    // This delivery's generation: a reset() (or close()) aborts it, not the ones started after.
    const { signal } = this.controller;
    for (let n = 1; n <= retry.attempts; n++) {
      if (signal.aborted) break;
      const at = clock();
      const signature = signTikTokWebhook(delivery.body, clientSecret, Math.floor(at / 1000));
      const attempt: EmulatorWebhookAttempt = { at, signature };
      delivery.attempts.push(attempt);
      const started = Date.now();
      try {
        const res = await fetch(delivery.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'tiktok-signature': signature },
          body: delivery.body,
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(retry.timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        attempt.status = res.status;
        // NOTE: TikTok counts only a 200 as delivered; any other status (a 204 too) is retried.
        if (res.status === 200) {
          attempt.durationMs = Date.now() - started;
          delivery.status = 'delivered';
          return;
        }
      } catch (err) {
        attempt.error = err instanceof Error ? err.message : String(err);
      }
      attempt.durationMs = Date.now() - started;
      if (n < retry.attempts) {
        const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (n - 1));
        if (!(await wait(delay, signal))) break;
      }
    }
    delivery.status = 'failed';
  }
}

/**
 * The controller shared by the deliveries of one generation. NOTE: each delivery waiting for its
 * next retry holds one abort listener on its signal (removed when the wait ends), so many
 * concurrent copies would pass Node.js's default of 10 and print a MaxListenersExceededWarning:
 * the number of listeners follows the number of deliveries, it is no leak.
 */
function deliveryController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Applies the retry defaults; throws a TypeError naming the bad field. */
export function resolveWebhookRetry(value: EmulatorWebhookRetry | undefined): ResolvedWebhookRetry {
  const v = value ?? {};
  const field = (name: keyof EmulatorWebhookRetry, fallback: number, min: number): number => {
    const x = v[name] ?? fallback;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
      throw new TypeError(
        `startTikTokEmulator: option \`webhookRetry.${name}\` must be an integer >= ${min}`,
      );
    }
    return x;
  };
  return {
    attempts: field('attempts', 5, 1),
    baseDelayMs: field('baseDelayMs', 1000, 0),
    maxDelayMs: field('maxDelayMs', 60_000, 0),
    timeoutMs: field('timeoutMs', 5000, 1),
  };
}
