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
 * `work`'s outcome, or `timeout()`'s error after `ms`, whichever comes first; `work` goes on, and
 * its late outcome lands in a settled promise (ignored). A rejection that is not an Error is
 * wrapped in one. The timer is cleared as soon as `work` settles.
 * NOTE: while `work` is pending the timer keeps the process alive (`keepAlive`, the default): a
 * deadline is what settles an `await` on work that waits on nothing the event loop sees (a
 * promise that never settles, an unref()'d socket). Unreferenced, a CLI script or a serverless
 * handler awaiting such work exited at once, 0 in CommonJS (13 from an ES module's top-level
 * await), its work undone. `keepAlive: false` is for a timer that only frees a shared call when
 * each waiter has a timer of its own.
 * NOTE: one promise and one timer, no Promise.race: getAccessToken's hot path runs this for
 * every Redis read.
 */
export function withinTime<T>(
  work: Promise<T>,
  ms: number,
  timeout: () => Error,
  keepAlive = true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeout()), ms);
    if (!keepAlive) timer.unref();
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
