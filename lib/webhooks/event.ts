/**
 * The events TikTok posts to an app's webhook callback URL, parsed from `unknown` and validated
 * field by field. See https://developers.tiktok.com/doc/webhooks-events/.
 */

import { parseJson as parseJsonWithoutPoisonKeys } from '../client/parse';

/** Why TikTok removed a user's authorization (`authorization.removed` `content.reason`). */
export const TIKTOK_REMOVAL_REASONS = {
  0: 'unknown',
  1: 'user_disconnected',
  2: 'account_deleted',
  3: 'age_changed',
  4: 'account_banned',
  5: 'developer_revoked',
} as const;

/** The name of a removal reason; `unknown` for 0 and for numbers TikTok may add later. */
export type TikTokRemovalReasonName =
  (typeof TIKTOK_REMOVAL_REASONS)[keyof typeof TIKTOK_REMOVAL_REASONS];

const REASON_NAMES: ReadonlyMap<number, TikTokRemovalReasonName> = new Map(
  Object.entries(TIKTOK_REMOVAL_REASONS).map(([key, name]) => [Number(key), name]),
);

/** What every event carries. */
interface TikTokWebhookEventBase {
  /** `client_key`: the app the event is for. */
  readonly clientKey: string;
  /** `create_time`: when the event happened (TikTok sends epoch seconds). */
  readonly createTime: Date;
  /** `user_openid`: the user the event is about. */
  readonly userOpenId: string;
  /** The request body exactly as received (what the signature covers). */
  readonly raw: string;
}

/** `authorization.removed`: the user's grant is gone (tokens already revoked by TikTok). */
export interface TikTokAuthorizationRemovedEvent extends TikTokWebhookEventBase {
  readonly event: 'authorization.removed';
  readonly content: {
    /** 0 unknown, 1 user disconnected in the TikTok app, 2 account deleted, 3 age changed, 4 banned, 5 developer revoke. */
    readonly reason: number;
    readonly reasonName: TikTokRemovalReasonName;
  };
}

/** `video.upload.failed`, `video.publish.completed`: about one Content Posting API post. */
export interface TikTokVideoEvent extends TikTokWebhookEventBase {
  readonly event: 'video.upload.failed' | 'video.publish.completed';
  readonly content: { readonly share_id?: string; readonly publish_id?: string } & Readonly<
    Record<string, unknown>
  >;
}

/** `portability.download.ready`: a Data Portability archive can be downloaded. */
export interface TikTokPortabilityEvent extends TikTokWebhookEventBase {
  readonly event: 'portability.download.ready';
  readonly content: Readonly<Record<string, unknown>>;
}

/** Any other event (TikTok adds events over time): accepted, `content` parsed but unchecked. */
export interface TikTokOtherWebhookEvent extends TikTokWebhookEventBase {
  readonly event: string;
  readonly content: unknown;
}

/** A verified, parsed webhook event. Switch on `event` to narrow `content`. */
export type TikTokWebhookEvent =
  | TikTokAuthorizationRemovedEvent
  | TikTokVideoEvent
  | TikTokPortabilityEvent
  | TikTokOtherWebhookEvent;

/** The events this package knows by name (also the metric's `event` label values, plus `other`). */
export const KNOWN_WEBHOOK_EVENTS: ReadonlySet<string> = new Set([
  'authorization.removed',
  'video.upload.failed',
  'video.publish.completed',
  'portability.download.ready',
]);

/** True for `authorization.removed` events. */
export function isAuthorizationRemoved(
  event: TikTokWebhookEvent,
): event is TikTokAuthorizationRemovedEvent {
  return event.event === 'authorization.removed';
}

/** Thrown by {@link parseWebhookEvent}: the message says which field is wrong (no value echoed). */
export class WebhookBodyError extends Error {
  override readonly name = 'WebhookBodyError';
}

const MAX_FIELD = 1024;

function own(record: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? Reflect.get(record, key) : undefined;
}

function text(record: object, key: string): string {
  const value = own(record, key);
  if (typeof value !== 'string' || value === '' || value.length > MAX_FIELD) {
    throw new WebhookBodyError(
      `"${key}" must be a non-empty string of at most ${MAX_FIELD} characters`,
    );
  }
  return value;
}

// NOTE: TikTok documents `create_time` as int64 epoch seconds; a digit string is accepted too,
// as for `expires_in` in token responses.
function epochSeconds(record: object): number {
  const value = own(record, 'create_time');
  const seconds = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
  if (
    typeof seconds !== 'number' ||
    !Number.isSafeInteger(seconds) ||
    seconds < 0 ||
    seconds > 1e11
  ) {
    throw new WebhookBodyError('"create_time" must be epoch seconds');
  }
  return seconds;
}

/**
 * NOTE: the removal itself needs only `user_openid`: a `content` TikTok may change shape (a
 * reason sent as a digit string, no reason at all) must not make a genuine removal refused until
 * TikTok gives up on it. An unreadable reason is 0, `unknown`.
 */
function reasonOf(content: unknown): TikTokAuthorizationRemovedEvent['content'] {
  const value =
    typeof content === 'object' && content !== null ? own(content, 'reason') : undefined;
  const reason = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  if (typeof reason !== 'number' || !Number.isSafeInteger(reason) || reason < 0) {
    return { reason: 0, reasonName: 'unknown' };
  }
  return { reason, reasonName: REASON_NAMES.get(reason) ?? 'unknown' };
}

/** `content` as TikTok documents it (a string holding JSON), or what it parses to. */
function contentOf(body: object): unknown {
  const contentText = own(body, 'content');
  if (typeof contentText !== 'string') {
    throw new WebhookBodyError('"content" must be a string holding JSON');
  }
  return parseJson(contentText, '"content"');
}

function objectContent(event: string, content: unknown): Readonly<Record<string, unknown>> {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new WebhookBodyError(`"content" of ${event} must be a JSON object`);
  }
  return Object.fromEntries(Object.entries(content));
}

/**
 * JSON.parse without `__proto__` / `constructor` / `prototype` keys at any depth (as for TikTok's
 * API answers): `content` goes to the app as is, and an app copying it (`Object.assign`, a deep
 * merge) must not get an object with a prototype of TikTok's choosing.
 */
function parseJson(textValue: string, what: string): unknown {
  const value = parseJsonWithoutPoisonKeys(textValue);
  // No JSON text parses to undefined: it means the text was not JSON.
  if (value === undefined) throw new WebhookBodyError(`${what} is not valid JSON`);
  return value;
}

/**
 * Parses a webhook body (already authenticated by its signature). NOTE: TikTok sends `content`
 * as a JSON *string* inside the JSON body; it is parsed here. Throws {@link WebhookBodyError}.
 */
export function parseWebhookEvent(raw: string): TikTokWebhookEvent {
  const body = parseJson(raw, 'the body');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookBodyError('the body must be a JSON object');
  }
  const base = {
    clientKey: text(body, 'client_key'),
    createTime: new Date(epochSeconds(body) * 1000),
    userOpenId: text(body, 'user_openid'),
    raw,
  };
  const event = text(body, 'event');
  if (event === 'authorization.removed') {
    let content: unknown;
    try {
      content = contentOf(body);
    } catch {
      content = undefined; // reason 0, unknown: see reasonOf()
    }
    return { ...base, event, content: reasonOf(content) };
  }
  const content = contentOf(body);
  switch (event) {
    case 'video.upload.failed':
    case 'video.publish.completed':
      return { ...base, event, content: objectContent(event, content) };
    case 'portability.download.ready':
      return { ...base, event, content: objectContent(event, content) };
    default:
      return { ...base, event, content };
  }
}
