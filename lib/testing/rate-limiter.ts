/**
 * A sliding-window limit per key. NOTE: TikTok documents 600 requests per minute per endpoint
 * (https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info).
 */
export class SlidingWindowRateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number,
  ) {}

  /** Counts a request; false when `key` already had `limit` requests in the last `windowMs`. */
  allow(key: string): boolean {
    const now = this.clock();
    const recent = (this.windows.get(key) ?? []).filter((at) => at > now - this.windowMs);
    const allowed = recent.length < this.limit;
    if (allowed) recent.push(now);
    this.windows.set(key, recent);
    return allowed;
  }

  clear(): void {
    this.windows.clear();
  }
}
