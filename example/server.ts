import { readConfig } from './config';
import { SHUTDOWN_GRACE_MS, startExample } from './start';

/** What the shutdown may take beyond the grace period (the emulator and Redis closing). */
const SHUTDOWN_BACKSTOP_MS = 5000;

/**
 * `npm start`: the example on PORT (default 3000), stopped cleanly by Ctrl-C or SIGTERM: the
 * requests in flight finish (for up to SHUTDOWN_GRACE_MS), then it exits 0.
 */
async function main(): Promise<void> {
  const running = await startExample(readConfig(process.env));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // A shutdown that hangs anyway still ends, before the platform's SIGKILL.
    setTimeout(() => {
      process.stderr.write('The example did not stop in time: exiting\n');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + SHUTDOWN_BACKSTOP_MS).unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Listens only when run directly (`tsx example/server.ts`), never when imported by a test.
if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `Could not start the example: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
