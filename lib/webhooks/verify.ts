import { acceptCorrelationId } from '../correlation';
import { credentialProblem } from '../client/credentials';
import { TikTokAPIError } from '../errors';
import { parseWebhookEvent, WebhookBodyError, type TikTokWebhookEvent } from './event';
import { checkSignature, SignatureError } from './signature';

/** Options of {@link verifyTikTokWebhook}. */
export interface VerifyTikTokWebhookOptions {
  /** The app's client secret (the HMAC key). Default: `TIKTOK_CLIENT_SECRET`. */
  clientSecret?: string | undefined;
  /**
   * When set, an event for another client key is refused (VALIDATION_ERROR). Default:
   * `TIKTOK_CLIENT_KEY` when that is set, else no check.
   */
  clientKey?: string | undefined;
  /** Accepted distance between the signature's `t` and `now`, seconds. Default: `300`. */
  toleranceSeconds?: number | undefined;
  /** The current time, epoch milliseconds. Default: `Date.now()`. */
  now?: number | undefined;
  /** Correlation ID of the errors thrown. Default: a fresh one. */
  correlationId?: string | undefined;
}

/** The settings every verification needs, validated once. */
export interface WebhookVerification {
  readonly clientSecret: string;
  readonly clientKey: string | undefined;
  readonly toleranceSeconds: number;
}

/** Validates the verification options; a bad value is a TypeError naming the option (and env var). */
export function resolveVerification(
  options: Pick<VerifyTikTokWebhookOptions, 'clientSecret' | 'clientKey' | 'toleranceSeconds'>,
  owner: string,
): WebhookVerification {
  const clientSecret = options.clientSecret ?? process.env.TIKTOK_CLIENT_SECRET;
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new TypeError(
      `${owner} requires a clientSecret option (or the TIKTOK_CLIENT_SECRET environment variable): the app's client secret signs every webhook`,
    );
  }
  checkCredential(clientSecret, 'clientSecret', options.clientSecret === undefined, owner);
  const envKey = process.env.TIKTOK_CLIENT_KEY;
  const clientKey = options.clientKey ?? (envKey === '' ? undefined : envKey);
  if (clientKey !== undefined && (typeof clientKey !== 'string' || clientKey === '')) {
    throw new TypeError(`${owner} option clientKey must be a non-empty string`);
  }
  if (clientKey !== undefined) {
    checkCredential(clientKey, 'clientKey', options.clientKey === undefined, owner);
  }
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  if (!Number.isSafeInteger(toleranceSeconds) || toleranceSeconds < 1) {
    throw new TypeError(`${owner} option toleranceSeconds must be a positive integer`);
  }
  return { clientSecret, clientKey, toleranceSeconds };
}

/**
 * Refuses a key or secret with whitespace, quotes or other characters no TikTok credential has,
 * naming where it came from and never the value.
 * NOTE: checked at creation: a secret copied with its quotes from a .env file would otherwise
 * fail every delivery with a 401 that only says the signature does not match.
 */
function checkCredential(
  value: string,
  option: 'clientSecret' | 'clientKey',
  fromEnv: boolean,
  owner: string,
): void {
  const problem = credentialProblem(value);
  if (problem === undefined) return;
  const envVar = option === 'clientSecret' ? 'TIKTOK_CLIENT_SECRET' : 'TIKTOK_CLIENT_KEY';
  const source = fromEnv
    ? `the ${envVar} environment variable (${owner} option ${option})`
    : `${owner} option ${option}`;
  throw new TypeError(`${source} ${problem}`);
}

/** Why a delivery was refused, as the package's error (status 401 or 400). */
export function verificationError(err: unknown, correlationId: string): TikTokAPIError {
  if (err instanceof TikTokAPIError) return err;
  if (err instanceof SignatureError) {
    return new TikTokAPIError({
      code: 'INVALID_SIGNATURE',
      message: `TikTok webhook refused: ${err.message}.`,
      correlationId,
      cause: err,
    });
  }
  const detail = err instanceof WebhookBodyError ? err.message : 'the body could not be read';
  return new TikTokAPIError({
    code: 'VALIDATION_ERROR',
    message: `TikTok webhook refused: ${detail}.`,
    correlationId,
    cause: err,
  });
}

/** Signature, timestamp, body and client key of one delivery; throws what {@link verificationError} makes. */
export function verifyDelivery(
  rawBody: Buffer,
  header: unknown,
  settings: WebhookVerification,
  now: number,
  correlationId: string,
): TikTokWebhookEvent {
  try {
    checkSignature(rawBody, header, { ...settings, now });
    // NOTE: TikTok sends UTF-8 JSON; a body that does not decode is malformed (400).
    const raw = new TextDecoder('utf-8', { fatal: true }).decode(rawBody);
    const event = parseWebhookEvent(raw);
    if (settings.clientKey !== undefined && event.clientKey !== settings.clientKey) {
      throw new WebhookBodyError(
        '"client_key" is not this app\'s client key (check TIKTOK_CLIENT_KEY / the clientKey option)',
      );
    }
    return event;
  } catch (err) {
    throw verificationError(err, correlationId);
  }
}

/**
 * Verifies and parses one TikTok webhook delivery, for apps that do not use Express (or read the
 * body themselves): the `TikTok-Signature` HMAC-SHA256 over `<t>.<raw body>` keyed with the client
 * secret (compared in constant time), `t` within `toleranceSeconds` of `now`, then the body.
 * Returns the event; throws a {@link TikTokAPIError}: INVALID_SIGNATURE (401) for a missing,
 * malformed or wrong signature and a stale or future timestamp, VALIDATION_ERROR (400) for a
 * malformed body or another app's client key.
 *
 * ```ts
 * const event = verifyTikTokWebhook(rawBody, headers['tiktok-signature'], { clientSecret });
 * if (isAuthorizationRemoved(event)) await tokens.delete(event.userOpenId);
 * ```
 */
export function verifyTikTokWebhook(
  rawBody: string | Buffer,
  signatureHeader: string | undefined,
  options: VerifyTikTokWebhookOptions = {},
): TikTokWebhookEvent {
  const settings = resolveVerification(options, 'verifyTikTokWebhook');
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now)) {
    throw new TypeError('verifyTikTokWebhook option now must be epoch milliseconds');
  }
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  if (!Buffer.isBuffer(body)) {
    throw new TypeError('verifyTikTokWebhook: rawBody must be a string or a Buffer');
  }
  return verifyDelivery(
    body,
    signatureHeader,
    settings,
    now,
    acceptCorrelationId(options.correlationId),
  );
}
