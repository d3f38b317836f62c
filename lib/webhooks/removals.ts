/**
 * The removal list: when TikTok said a user's authorization was removed, so that every app
 * instance can end that user's sessions at their next request. An entry is only a time, and it
 * must outlive every session that could predate it: keep it at least as long as the longest
 * session lifetime (cookie `maxAge`, rolling sessions included).
 */
export interface TikTokRemovalList {
  /**
   * Records that `openId`'s authorization was removed at `removedAt` (epoch ms). A later time
   * replaces an earlier one, never the reverse (deliveries can arrive out of order).
   */
  record(openId: string, removedAt: number): Promise<void>;
  /** When `openId`'s authorization was last removed (epoch ms), or `undefined`. */
  removedAt(openId: string): Promise<number | undefined>;
}

/** Default lifetime of an entry: 30 days (set it to at least your session lifetime). */
export const DEFAULT_REMOVAL_TTL_MS = 30 * 24 * 3600 * 1000;

/** Validates `ttlMs` for the removal lists. */
export function removalTtl(value: unknown, owner: string): number {
  if (value === undefined) return DEFAULT_REMOVAL_TTL_MS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1000) {
    throw new TypeError(`${owner} option ttlMs must be an integer number of ms >= 1000`);
  }
  return value;
}

/** Options of {@link MemoryRemovalList}. */
export interface MemoryRemovalListOptions {
  /** How long an entry is kept, ms; at least the session lifetime. Default: 30 days. */
  ttlMs?: number | undefined;
  /** Most users kept; the oldest entries are dropped beyond it. Default: 100 000. */
  maxEntries?: number | undefined;
  /** Clock (epoch ms). Default: `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * Removals in this process only: for a single app instance, or tests. Several instances need
 * {@link RedisRemovalList}, or a removal delivered to one instance would not end a session
 * served by another.
 */
export class MemoryRemovalList implements TikTokRemovalList {
  private readonly entries = new Map<string, { removedAt: number; expiresAt: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryRemovalListOptions = {}) {
    this.ttlMs = removalTtl(options.ttlMs, 'MemoryRemovalList');
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new TypeError('MemoryRemovalList option maxEntries must be a positive integer');
    }
    this.maxEntries = max;
    this.now = options.now ?? Date.now;
  }

  record(openId: string, removedAt: number): Promise<void> {
    const previous = this.entries.get(openId);
    const latest = Math.max(removedAt, previous?.removedAt ?? removedAt);
    this.entries.delete(openId); // re-inserted last: the map stays in expiry order
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(openId, { removedAt: latest, expiresAt: this.now() + this.ttlMs });
    return Promise.resolve();
  }

  removedAt(openId: string): Promise<number | undefined> {
    const entry = this.entries.get(openId);
    if (entry === undefined) return Promise.resolve(undefined);
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(openId);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry.removedAt);
  }
}
