/** Collects unhandled promise rejections while the calling `describe` runs. */

export interface RejectionWatch {
  /** The reasons of the rejections nobody handled, so far. */
  readonly reasons: readonly unknown[];
}

/** Registers `before`/`after` hooks that install and remove a process listener. */
export function watchUnhandledRejections(): RejectionWatch {
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => {
    reasons.push(reason);
  };
  before(() => {
    process.on('unhandledRejection', listener);
  });
  after(() => {
    process.off('unhandledRejection', listener);
  });
  return { reasons };
}
