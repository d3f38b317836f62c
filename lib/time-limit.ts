/** The longest delay a Node.js timer honours (a longer one fires after 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * The error text of a duration option above {@link MAX_TIMER_MS}. NOTE: Node.js fires a timer of
 * a longer delay after 1 ms (with a TimeoutOverflowWarning), so such a value would make every
 * wait on it end at once.
 */
export function tooLongForTimer(name: string, value: number): string {
  return `${name} must be at most ${MAX_TIMER_MS} ms (the longest delay a Node.js timer honours), got ${String(value)}`;
}

/**
 * `work`'s outcome, or `timeout()`'s error after `ms`, whichever comes first. The timer does not
 * keep the process alive; `work` goes on, and its late outcome lands in a settled promise
 * (ignored). A rejection that is not an Error is wrapped in one.
 * NOTE: one promise and one timer, no Promise.race: getAccessToken's hot path runs this for
 * every Redis read.
 */
export function withinTime<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    timer.unref();
    Promise.resolve(work).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
