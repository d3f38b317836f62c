import { kindOf } from '../describe-value';
import { TikTokAPIError } from '../errors';
import { withinTime } from '../time-limit';

/** A credential as an option takes it: the value, or a function that fetches it (a secret manager). */
export type TikTokCredential = string | (() => string | Promise<string>);

export type CredentialOption = 'clientKey' | 'clientSecret';

/** Default lifetime of a credential fetched by a function: 5 minutes. */
export const DEFAULT_CREDENTIALS_TTL_MS = 300_000;

/**
 * When a refetch after the lifetime fails, the previous value keeps serving for this long (at
 * most the lifetime) before the function is asked again.
 */
const STALE_RETRY_MS = 30_000;

/**
 * How long a credential function may take. NOTE: a secret manager's SDK may have no request
 * timeout of its own; one call that never answers would otherwise hold every operation, since
 * each joins the call in flight.
 */
export const CREDENTIAL_FETCH_TIMEOUT_MS = 10_000;

/** Thrown by a credential function that did not answer in time. */
class CredentialTimeout extends Error {
  override readonly name = 'CredentialTimeout';
}

/** Visible ASCII without quotes: keys and secrets are opaque tokens of such characters. */
const CREDENTIAL_SYNTAX = /^[\x21\x23-\x26\x28-\x7e]{1,1024}$/;

/** Why a value is not a usable credential, or undefined. Never mentions the value itself. */
export function credentialProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `is ${kindOf(value)}, not a string`;
  if (value.length === 0) return 'is empty';
  if (value.length > 1024) return 'is longer than 1024 characters';
  if (/[\s"']/.test(value)) {
    return 'contains whitespace or quotes (copied with the quotes or a newline from a .env file?)';
  }
  if (!CREDENTIAL_SYNTAX.test(value)) return 'contains characters other than visible ASCII';
  return undefined;
}

/** A static credential, checked at construction: a TypeError naming the option and never the value. */
export function checkStaticCredential(
  value: string,
  option: CredentialOption,
  owner: string,
): string {
  const problem = credentialProblem(value);
  if (problem !== undefined) throw new TypeError(`${owner} option ${option} ${problem}`);
  return value;
}

/** A resolved value and the generation it belongs to (to drop exactly that value later). */
export interface ResolvedCredential {
  readonly value: string;
  readonly generation: number;
}

interface Cached extends ResolvedCredential {
  /** `performance.now()` ms: monotonic, so a wall clock stepped back cannot stretch the TTL. */
  readonly expiresAt: number;
}

/**
 * One credential option: a fixed string, or a function called at most once per `ttlMs`, one call
 * in flight at a time. `invalidate()` (after TikTok answered `invalid_client`) makes the next
 * operation call the function again, so a rotated secret is picked up without a restart.
 */
export class CredentialSource {
  private cached: Cached | undefined;
  private inFlight: Promise<ResolvedCredential> | undefined;
  private generation = 0;
  /** The fixed value as resolve() returns it, made once (every operation asks for it). */
  private readonly fixed: ResolvedCredential | undefined;

  constructor(
    private readonly option: CredentialOption,
    private readonly source: string | (() => string | Promise<string>),
    private readonly ttlMs: number,
    /** Told about every value the function returned (to scrub it from logs). */
    private readonly onValue: (value: string) => void,
    /** Told when a refetch failed and the previous value keeps serving. */
    private readonly onStale: (err: TikTokAPIError) => void,
    private readonly fetchTimeoutMs = CREDENTIAL_FETCH_TIMEOUT_MS,
  ) {
    this.fixed = typeof source === 'string' ? { value: source, generation: 0 } : undefined;
  }

  /** Whether the option is a function (the value can change at runtime). */
  get dynamic(): boolean {
    return typeof this.source === 'function';
  }

  /** The fixed value, or the last one the function returned (`undefined` before the first). */
  get current(): string | undefined {
    return typeof this.source === 'string' ? this.source : this.cached?.value;
  }

  /** The value to use now: fixed, cached, or fetched (single-flight). */
  resolve(correlationId: () => string): ResolvedCredential | Promise<ResolvedCredential> {
    const source = this.source;
    if (typeof source === 'string') return this.fixed ?? { value: source, generation: 0 };
    const cached = this.cached;
    if (cached !== undefined && performance.now() < cached.expiresAt) return cached;
    this.inFlight ??= this.fetch(source, correlationId).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Drops the cached value if it is still the one of `generation`. */
  invalidate(generation: number): void {
    if (this.cached?.generation === generation) this.cached = undefined;
  }

  private async fetch(
    source: () => string | Promise<string>,
    correlationId: () => string,
  ): Promise<ResolvedCredential> {
    const stale = this.cached;
    let value: unknown;
    try {
      // NOTE: this timer does not keep the process alive: each operation waits within a timer
      // of its own (TikTokClient#credentials), and once all of them have given up nothing needs
      // the process to stay up for a secret manager that hangs.
      value = await withinTime(
        new Promise<unknown>((resolve) => resolve(source())),
        this.fetchTimeoutMs,
        () => new CredentialTimeout(`no answer within ${this.fetchTimeoutMs} ms`),
        false,
      );
    } catch (err) {
      const what =
        err instanceof CredentialTimeout
          ? `did not answer within ${this.fetchTimeoutMs} ms`
          : 'failed';
      const error = new TikTokAPIError({
        code: 'SERVICE_UNAVAILABLE',
        message: `Could not get the TikTok ${this.option}: the ${this.option} function ${what}. Check the secret manager it reads from; the call is retried on the next operation.`,
        correlationId: correlationId(),
        cause: err,
      });
      // NOTE: not a value TikTok refused while this fetch was pending (invalidate() dropped it):
      // that one must not come back.
      if (stale === undefined || this.cached !== stale) throw error;
      // The lifetime ran out but the value was never refused by TikTok: keep using it a while.
      this.onStale(error);
      this.cached = {
        ...stale,
        expiresAt: performance.now() + Math.min(this.ttlMs, STALE_RETRY_MS),
      };
      return this.cached;
    }
    const problem = credentialProblem(value);
    if (problem !== undefined || typeof value !== 'string') {
      throw new TikTokAPIError({
        code: 'CONFIGURATION_ERROR',
        message: `The TikTok ${this.option} function returned a value that ${problem ?? 'is not a string'}.`,
        correlationId: correlationId(),
      });
    }
    this.onValue(value);
    if (stale !== undefined && stale.value === value) {
      this.cached = { ...stale, expiresAt: performance.now() + this.ttlMs };
    } else {
      this.generation += 1;
      this.cached = {
        value,
        generation: this.generation,
        expiresAt: performance.now() + this.ttlMs,
      };
    }
    return this.cached;
  }
}
