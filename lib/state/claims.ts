import { hash } from 'node:crypto';

/**
 * Makes a callback's `state` single-use across concurrent requests. Two callbacks with the same
 * state can both find it in their own copy of the session (express-session loads one copy per
 * request), so the session alone cannot stop a second token call: the first request to claim the
 * state wins. Implementations must be atomic across every process that serves callbacks —
 * {@link MemoryClaimStore} is per process, {@link RedisClaimStore} spans instances.
 */
export interface TikTokStateClaimStore {
  /** Claims `key` for `ttlMs`. Resolves true for the first claimant only. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the callback stopped before any token call). */
  release(key: string): Promise<void>;
  /**
   * Whether `key` is claimed now, without claiming it. Optional: the webhook's dedupe uses it to
   * look for an event's done marker; without it, it claims the marker and gives it back.
   */
  has?(key: string): Promise<boolean>;
}

/** The key a state is claimed under: a SHA-256, so no store ever holds a live state. */
export function claimKeyForState(state: string): string {
  return hash('sha256', state, 'hex');
}

/** Options of {@link MemoryClaimStore}. */
export interface MemoryClaimStoreOptions {
  /** Most claims kept; the oldest are evicted beyond it. Default: 10 000. */
  maxEntries?: number | undefined;
  /** Clock (epoch ms). Default: `Date.now`. */
  now?: (() => number) | undefined;
}

/** Process-local claims: a bounded map of expiring keys. The default claim store. */
export class MemoryClaimStore implements TikTokStateClaimStore {
  private readonly claims = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryClaimStoreOptions = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError('MemoryClaimStore option maxEntries must be a positive integer');
    }
    this.maxEntries = max;
    this.now = options.now ?? Date.now;
  }

  /** Claims currently held (expired ones may linger until the next sweep). */
  get size(): number {
    return this.claims.size;
  }

  claim(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const expiresAt = this.claims.get(key);
    if (expiresAt !== undefined && expiresAt > now) return Promise.resolve(false);
    this.claims.delete(key);
    if (this.claims.size >= this.maxEntries) this.evict(now);
    this.claims.set(key, now + ttlMs);
    return Promise.resolve(true);
  }

  release(key: string): Promise<void> {
    this.claims.delete(key);
    return Promise.resolve();
  }

  has(key: string): Promise<boolean> {
    const expiresAt = this.claims.get(key);
    return Promise.resolve(expiresAt !== undefined && expiresAt > this.now());
  }

  /**
   * Makes room from the head of the map (insertion order ≈ expiry order for one TTL): drops
   * expired claims until the first live one, then — still full — the oldest, plus a tenth of
   * the capacity so a full store is not swept again on every claim. O(evicted), not O(size).
   */
  private evict(now: number): void {
    const target = this.maxEntries - Math.max(1, Math.floor(this.maxEntries / 10));
    for (const [key, expiresAt] of this.claims) {
      if (expiresAt > now && this.claims.size <= target) break;
      this.claims.delete(key);
    }
  }
}
