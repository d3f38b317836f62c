import type { TikTokTokens } from '../client/types';
import { TikTokAPIError } from '../errors';
import { SafeLogger, type LogLevel } from '../logging';
import type { ResolvedManagerOptions } from './manager-options';
import { UnreadableTokenRecordError, type StoredTokenRecord, type TokenStore } from './store';
import { issuedAt } from './token-record';
import {
  forCaller,
  grantEndedError,
  lockWaitTimeoutError,
  noTokensError,
  refreshImpossibleError,
  storeError,
  wrongUserError,
} from './token-errors';

/** Whether the record read (again) still needs a refresh; false means someone else did it. */
export type NeedsRefresh = (record: StoredTokenRecord, now: number) => boolean;

export interface RefreshRun {
  readonly openId: string;
  readonly correlationId: string;
  readonly needsRefresh: NeedsRefresh;
}

const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 250;
const WRITE_RETRY_FIRST_MS = 50;
const WRITE_RETRY_MAX_MS = 500;
const RELEASE_RETRY_MS = [100, 300, 900];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One refresh per user at a time, in this process (a map of in-flight promises) and across
 * processes (the store's lock). NOTE: TikTok rotates refresh tokens and a reused one can kill the
 * grant (https://developers.tiktok.com/doc/oauth-user-access-token-management), hence: lock, re-read, refresh, compare-and-set, then
 * return — the rotated refresh token is persisted before anyone sees the new access token.
 */
export class TokenRefresher {
  private readonly inFlight = new Map<string, Promise<TikTokTokens>>();
  /** Redacting wrapper; no token is ever put in a message or meta in the first place. */
  private readonly log: SafeLogger;

  constructor(private readonly o: ResolvedManagerOptions) {
    this.log = new SafeLogger(o.logger);
  }

  /** Joins the user's in-flight refresh (its failure under this run's ID), or starts one. */
  refresh(run: RefreshRun): Promise<TikTokTokens> {
    const running = this.inFlight.get(run.openId);
    if (running !== undefined) {
      return running.catch((err: unknown) => {
        throw forCaller(err, run.correlationId);
      });
    }
    const started = this.coordinate(run).finally(() => this.inFlight.delete(run.openId));
    this.inFlight.set(run.openId, started);
    return started;
  }

  // NOTE: leases, waits and durations are measured on the monotonic clock (`performance.now()`):
  // a wall clock stepped during a refresh (NTP, a VM resumed) must neither let the TikTok call
  // outlive the lock lease (back) nor give up storing rotated tokens at once (forward). Token
  // expiry (`expires_at`, stored for every instance) stays on the wall clock.
  private async coordinate(run: RefreshRun): Promise<TikTokTokens> {
    const started = performance.now();
    try {
      let delay = POLL_FIRST_MS;
      for (;;) {
        const leaseStart = performance.now();
        const lock = await this.store(run, (s) => s.acquireLock(run.openId, this.o.lockTtlMs));
        if (lock !== undefined) {
          try {
            return await this.underLock(run, lock, leaseStart + this.o.lockTtlMs);
          } finally {
            await this.release(run, lock);
          }
        }
        // Another instance holds the lock: watch the store until it wrote or let go.
        const record = await this.read(run);
        if (!run.needsRefresh(record, Date.now())) return this.done(run, 'shared', record.tokens);
        const waited = Math.round(performance.now() - started);
        if (waited >= this.o.lockWaitMs) throw lockWaitTimeoutError(run.correlationId, waited);
        const jittered = delay * (0.8 + Math.random() * 0.4);
        await sleep(Math.min(jittered, this.o.lockWaitMs - waited));
        delay = Math.min(delay * 1.5, POLL_MAX_MS);
      }
    } catch (err) {
      const code = err instanceof TikTokAPIError ? err.code : 'error';
      const retryable = err instanceof TikTokAPIError && err.retryable;
      this.o.metrics?.tokenRefresh.inc({ outcome: code });
      this.log.log(retryable ? 'warn' : 'info', '[TikTokOAuth] token_refresh - failure', {
        ...this.meta(run),
        errorCode: code,
        retryable,
        durationMs: Math.round(performance.now() - started),
      });
      throw err;
    }
  }

  /** `leaseEnd`: `performance.now()` ms. */
  private async underLock(run: RefreshRun, lock: string, leaseEnd: number): Promise<TikTokTokens> {
    const record = await this.read(run);
    if (!run.needsRefresh(record, Date.now())) return this.done(run, 'shared', record.tokens);
    const old = record.tokens;
    if (old.refresh_token === undefined) throw refreshImpossibleError(run.correlationId, 'missing');
    if (old.refresh_expires_at !== undefined && old.refresh_expires_at <= Date.now()) {
      throw refreshImpossibleError(run.correlationId, 'expired');
    }
    // The TikTok call ends inside the lease, so a live holder never outlasts its lock.
    const margin = renewalMargin(this.o.lockTtlMs, this.o.store);
    let fresh: TikTokTokens;
    try {
      fresh = await this.o.client.refreshAccessToken(old.refresh_token, {
        correlationId: run.correlationId,
        expectedOpenId: run.openId,
        // The client takes an epoch-ms deadline: what is left of the lease, from now.
        deadlineAt: Date.now() + (leaseEnd - margin - performance.now()),
        // NOTE: TikTok may answer after the client's timeoutMs. Its answer carries the rotated
        // refresh token, and a retry after a cut attempt sends the spent one, which TikTok
        // refuses (the grant would end): the attempt waits as long as the lease allows.
        waitUntilDeadline: true,
      });
    } catch (err) {
      if (endsGrant(err)) {
        // Delete the grant unless someone saved newer tokens since (a new login, or a holder
        // that rotated the token after our lock expired): use those.
        if (!(await this.store(run, (s) => s.delete(run.openId, record.version)))) {
          const newer = await this.store(run, (s) => s.get(run.openId));
          if (newer !== undefined && !run.needsRefresh(newer, Date.now())) {
            return this.done(run, 'shared', newer.tokens);
          }
        }
        throw grantEndedError(run.correlationId, err);
      }
      throw err; // transient or configuration: the stored tokens stay as they are
    }
    // NOTE: TikTokClient refuses such an answer itself (expectedOpenId): this guards a client of
    // the app's own (`TokenManagerClient`) that does not.
    if (fresh.open_id !== run.openId) throw wrongUserError(run.correlationId);
    return this.persist(
      run,
      record,
      keepScope(keepRefreshToken(fresh, old), old),
      await this.extend(run, lock, leaseEnd),
    );
  }

  /**
   * The lease renewed for the write of the rotated tokens, when the store can (`extendLock`):
   * however late TikTok answered, the write then gets a whole lease of retries. Otherwise, or
   * when the store does not answer, the lease ends when it did.
   */
  private async extend(run: RefreshRun, lock: string, leaseEnd: number): Promise<number> {
    const store = this.o.store;
    if (store.extendLock === undefined) return leaseEnd;
    const from = performance.now();
    try {
      if (await store.extendLock(run.openId, lock, this.o.lockTtlMs))
        return from + this.o.lockTtlMs;
    } catch {
      // Redis trouble right now: the write's own retries deal with it, within the old lease.
    }
    return leaseEnd;
  }

  /**
   * Writes the rotated tokens, retrying a failed write until shortly before the lease ends: TikTok
   * has already invalidated the old refresh token, so dropping these would end the grant. An
   * attempt whose reply was lost may have written them anyway; a refused compare-and-set that
   * finds our own tokens stored rewrites them over their version, so the write (and the store's
   * replication check) is confirmed before the access token is handed out.
   */
  private async persist(
    run: RefreshRun,
    record: StoredTokenRecord,
    next: TikTokTokens,
    leaseEnd: number,
  ): Promise<TikTokTokens> {
    const writeUntil = leaseEnd - Math.min(500, Math.floor(this.o.lockTtlMs / 10));
    let expected = record.version;
    let delay = WRITE_RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      let wait = delay;
      let current: StoredTokenRecord | undefined;
      try {
        if (await this.o.store.compareAndSet(run.openId, expected, next)) {
          return this.done(run, 'success', next);
        }
        current = await this.o.store.get(run.openId);
      } catch (err) {
        // NOTE: every store failure is retried until the lease ends, even one that looks
        // permanent: TikTok has rotated the refresh token, and dropping these tokens ends the
        // grant. Only a stored record that cannot be read stops it (nothing to compare with).
        // Under the refresh's correlation ID, with the reason on the error line, as every other
        // read of such a record.
        if (err instanceof UnreadableTokenRecordError)
          throw storeError(err, run.correlationId, this.log);
        failure = err;
      }
      if (failure === undefined) {
        if (current === undefined) {
          // Deleted meanwhile (a logout, an authorization.removed): the grant is gone.
          this.log.log(
            'info',
            '[TikTokOAuth] token_refresh - the tokens were deleted while refreshing, the rotated ones are dropped',
            this.meta(run),
          );
          throw noTokensError(run.correlationId);
        }
        if (!sameTokens(current.tokens, next)) {
          // Our lock expired and another holder wrote meanwhile: its tokens win, ours are dropped.
          this.log.log(
            'warn',
            '[TikTokOAuth] token_refresh - stale write refused, using the stored tokens',
            this.meta(run),
          );
          return this.done(run, 'shared', current.tokens);
        }
        expected = current.version;
        wait = 0;
      }
      if (failure !== undefined) {
        // Whole ms: it is the wait logged below.
        const left = Math.round(writeUntil - performance.now());
        if (left <= 0) {
          this.log.log(
            'error',
            '[TikTokOAuth] token_refresh - the rotated tokens could not be stored before the lock lease ended',
            { ...this.meta(run), attempts: attempt },
          );
          throw storeError(failure, run.correlationId, this.log);
        }
        this.log.log(
          'warn',
          '[TikTokOAuth] token_refresh - storing the rotated tokens failed, retrying',
          {
            ...this.meta(run),
            attempt,
            delayMs: Math.min(wait, left),
          },
        );
        await sleep(Math.min(wait, left));
        delay = Math.min(delay * 2, WRITE_RETRY_MAX_MS);
      } else if (performance.now() >= writeUntil) {
        throw storeError(
          new Error('the lock lease ended while storing'),
          run.correlationId,
          this.log,
        );
      }
    }
  }

  /**
   * Releases the lock; a failed release is retried in the background a few times, so that the
   * next refresh of this user (a forced one, say) need not wait out the lease.
   */
  private async release(run: RefreshRun, lock: string): Promise<void> {
    // NOTE: a store's releaseLock may throw synchronously (a hand-written, non-async store): that
    // counts as a failed release, never as the refresh's outcome or an unhandled rejection.
    const attempt = (): Promise<boolean> =>
      Promise.resolve()
        .then(() => this.o.store.releaseLock(run.openId, lock))
        .then(
          () => true,
          () => false,
        );
    if (await attempt()) return;
    this.log.log(
      'warn',
      '[TikTokOAuth] token_refresh - lock release failed, retrying in the background (it also expires on its own)',
      this.meta(run),
    );
    void (async () => {
      for (const ms of RELEASE_RETRY_MS) {
        await new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
        if (await attempt()) return;
      }
    })();
  }

  private done(run: RefreshRun, outcome: 'success' | 'shared', tokens: TikTokTokens): TikTokTokens {
    this.o.metrics?.tokenRefresh.inc({ outcome });
    const level: LogLevel = outcome === 'success' ? 'info' : 'debug';
    this.log.log(level, `[TikTokOAuth] token_refresh - ${outcome}`, {
      ...this.meta(run),
      expiresAt: tokens.expires_at,
    });
    return tokens;
  }

  private async read(run: RefreshRun): Promise<StoredTokenRecord> {
    const record = await this.store(run, (s) => s.get(run.openId));
    if (record === undefined) throw noTokensError(run.correlationId);
    return record;
  }

  private async store<T>(
    run: RefreshRun,
    call: (s: ResolvedManagerOptions['store']) => Promise<T>,
  ): Promise<T> {
    try {
      return await call(this.o.store);
    } catch (err) {
      throw storeError(err, run.correlationId, this.log);
    }
  }

  private meta(run: RefreshRun): Record<string, unknown> {
    return { correlationId: run.correlationId, operation: 'token_refresh', openId: run.openId };
  }
}

/** Whether the stored tokens are the ones this refresh got (its write landed). */
function sameTokens(stored: TikTokTokens, ours: TikTokTokens): boolean {
  return stored.access_token === ours.access_token && stored.refresh_token === ours.refresh_token;
}

/** TikTok's OAuth errors, besides `invalid_grant`, that say the refresh token is dead. */
const GRANT_ENDING_ERRORS: ReadonlySet<string> = new Set(['invalid_request', 'access_denied']);

/**
 * Whether a refresh failure means the refresh token is dead, so the stored tokens go:
 * INVALID_TOKEN (`invalid_grant`), `invalid_request` or `access_denied`. NOTE: TikTok's docs
 * show `invalid_request` for an invalid or expired refresh token
 * (https://developers.tiktok.com/doc/oauth-user-access-token-management). Any other answer keeps
 * them: a refusal of the app's own credentials (`invalid_client`), a grant type or scope
 * complaint (the app's request), an error value TikTok does not document for a refresh — deleting
 * a grant that may still be good cannot be undone, keeping one that is not only fails again.
 */
function endsGrant(err: unknown): err is TikTokAPIError {
  if (!(err instanceof TikTokAPIError)) return false;
  if (err.code === 'INVALID_TOKEN') return true;
  return !err.retryable && GRANT_ENDING_ERRORS.has(err.tiktokError?.error ?? '');
}

/**
 * NOTE: TikTok rotates refresh tokens (https://developers.tiktok.com/doc/oauth-user-access-token-management); should an answer come without one, the
 * old one is kept rather than leaving the grant unrefreshable. A rotated one whose answer gave
 * no lifetime (none, or one the client ignored) keeps the grant's previous end: a refresh
 * token's lifetime counts from the login, not from its last refresh, so the end does not move;
 * without it, the stored record would also expire with the access token.
 */
function keepRefreshToken(fresh: TikTokTokens, old: TikTokTokens): TikTokTokens {
  if (old.refresh_token === undefined) return fresh;
  if (fresh.refresh_token === undefined) {
    const kept: TikTokTokens = { ...fresh, refresh_token: old.refresh_token };
    if (old.refresh_expires_in !== undefined) kept.refresh_expires_in = old.refresh_expires_in;
    if (old.refresh_expires_at !== undefined) kept.refresh_expires_at = old.refresh_expires_at;
    return kept;
  }
  if (fresh.refresh_expires_at !== undefined || old.refresh_expires_at === undefined) return fresh;
  const sentAt = issuedAt(fresh);
  // NOTE: an end already past when the refresh was sent (TikTok renewed the grant anyway, at the
  // edge of its end) is not copied: the new refresh token would be stored as dead.
  if (old.refresh_expires_at <= sentAt) return fresh;
  return {
    ...fresh,
    refresh_expires_in: Math.max(1, Math.round((old.refresh_expires_at - sentAt) / 1000)),
    refresh_expires_at: old.refresh_expires_at,
  };
}

/**
 * A refresh answer without `scope` (parsed as '') keeps the grant's stored scopes: a refresh
 * does not change what the user granted, and an empty scope would have callers that read
 * `tokens.scope` ask TikTok for no fields.
 */
function keepScope(fresh: TikTokTokens, old: TikTokTokens): TikTokTokens {
  return fresh.scope === '' && old.scope !== '' ? { ...fresh, scope: old.scope } : fresh;
}

/** Added to the store's command timeout: the lease renewal's own round trip and scheduling. */
const RENEWAL_SLACK_MS = 250;

/**
 * How long before the lock lease ends the TikTok refresh call must end: long enough for the
 * lease renewal after it ({@link TokenStore.extendLock}) to be answered, or to have failed by the
 * store's `commandTimeoutMs`, while the lease still holds. NOTE: TikTok's answer has already
 * rotated the refresh token by then; a renewal landing after the lease ended would let another
 * instance take the lock and send the spent refresh token, which ends the grant. At most half
 * the lease, so that a short lease still leaves TikTok time to answer.
 */
export function renewalMargin(lockTtlMs: number, store: TokenStore): number {
  const base = Math.min(1000, Math.floor(lockTtlMs / 5));
  const renewal =
    store.extendLock === undefined || store.commandTimeoutMs === undefined
      ? 0
      : store.commandTimeoutMs + RENEWAL_SLACK_MS;
  return Math.min(Math.floor(lockTtlMs / 2), Math.max(base, renewal));
}
