import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Bench } from './measure';
import { sharedCoreTable } from './report/tables';
import { progress, sharedCoreRounds } from './suite';

/**
 * `npm run bench -- --ab <dir>`: this build (`dist/`) against another build of the package (a
 * `dist/` built from another commit), in shared-core rounds: both apps at once on the app core,
 * so the ratio of a round is the ratio of CPU cost per login, whatever the machine does. How a
 * change that moves a login's cost by a few percent is measured on a noisy VM.
 */
export async function runAb(bench: Bench, dir: string): Promise<void> {
  const other = resolve(dir);
  if (!existsSync(resolve(other, 'index.js'))) {
    throw new Error(`--ab ${dir}: no index.js there (pass the dist/ directory of another build)`);
  }
  progress(`A/B: dist/ against ${other}, ${bench.plan.sharedRounds} shared-core rounds`);
  const rows = await sharedCoreRounds(bench, [
    { label: 'passport-tiktok', competitor: 'passport-tiktok' },
    {
      label: `passport-tiktok (${dir})`,
      competitor: 'passport-tiktok',
      env: { BENCH_PACKAGE_DIR: other },
    },
  ]);
  process.stdout.write(
    `### A/B (HTTPS, ${Math.max(...bench.plan.concurrencies)} concurrent each, ${bench.plan.sweepSeconds} s rounds, both apps on one core)\n${sharedCoreTable(rows)}\n`,
  );
}
