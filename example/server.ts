import { readConfig } from './config';
import { startExample } from './start';

/** `npm start`: the example on PORT (default 3000), stopped cleanly by Ctrl-C or SIGTERM. */
async function main(): Promise<void> {
  const running = await startExample(readConfig(process.env));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
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
