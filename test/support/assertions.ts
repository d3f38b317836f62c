import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib';

/** Awaits a promise that must reject with a TikTokAPIError, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<TikTokAPIError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TikTokAPIError) return err;
    throw err;
  }
  assert.fail('expected the promise to reject with a TikTokAPIError');
}

/** Runs `fn` and measures it; `error` is set (and `value` not) when it threw a TikTokAPIError. */
export async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value?: T; error?: TikTokAPIError }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - started, value };
  } catch (err) {
    if (!(err instanceof TikTokAPIError)) throw err;
    return { ms: performance.now() - started, error: err };
  }
}

/** Asserts `actual` is at least `min` and at most `max` (inclusive), with a readable message. */
export function assertBetween(actual: number, min: number, max: number, what: string): void {
  assert.ok(
    actual >= min && actual <= max,
    `${what}: ${Math.round(actual)} not in [${min}, ${max}]`,
  );
}
