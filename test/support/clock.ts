/** The real clock, captured before any test moves `Date.now` (give it to the emulator). */
export const realNow: () => number = Date.now.bind(Date);

/**
 * Runs `fn` with `Date.now()` moved `offsetMs` into the future, then restores it. For expiry
 * tests: no waiting, and nothing else about time changes.
 */
export async function withClockAhead<T>(offsetMs: number, fn: () => Promise<T>): Promise<T> {
  const real = Date.now.bind(Date);
  Date.now = () => real() + offsetMs;
  try {
    return await fn();
  } finally {
    Date.now = real;
  }
}
