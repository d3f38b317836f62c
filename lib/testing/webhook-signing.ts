import { createHmac } from 'node:crypto';

/** The fields of a webhook body, in TikTok's names' order. */
export interface TikTokWebhookBodyInput {
  /** The app's client key (`client_key`). */
  clientKey: string;
  /** Event name, e.g. `authorization.removed`. */
  event: string;
  /** The user (`user_openid`). */
  userOpenId: string;
  /** Event details; serialised to the JSON string TikTok puts in `content`. Default: `{}`. */
  content?: unknown;
  /** `create_time`, epoch seconds. Default: now. */
  createTime?: number | undefined;
}

/**
 * A webhook body exactly as TikTok sends it. NOTE: `content` is a JSON *string* inside the JSON
 * body (https://developers.tiktok.com/doc/webhooks-events/).
 */
export function buildTikTokWebhookBody(input: TikTokWebhookBodyInput): string {
  return JSON.stringify({
    client_key: input.clientKey,
    event: input.event,
    create_time: input.createTime ?? Math.floor(Date.now() / 1000),
    user_openid: input.userOpenId,
    content: JSON.stringify(input.content ?? {}),
  });
}

/**
 * The `TikTok-Signature` header value for `body`: `t=<epoch seconds>,s=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with the client secret>`, as TikTok signs its deliveries. For your own
 * tests of a webhook route:
 *
 * ```ts
 * const body = buildTikTokWebhookBody({ clientKey, event: 'authorization.removed', userOpenId, content: { reason: 1 } });
 * await request(app).post('/webhooks/tiktok').set('Content-Type', 'application/json')
 *   .set('TikTok-Signature', signTikTokWebhook(body, clientSecret)).send(body).expect(200);
 * ```
 */
export function signTikTokWebhook(
  body: string | Buffer,
  clientSecret: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): string {
  const signature = createHmac('sha256', clientSecret)
    .update(`${timestampSeconds}.`, 'utf8')
    .update(body)
    .digest('hex');
  return `t=${timestampSeconds},s=${signature}`;
}
