import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from '../results';
import { table } from './format';
import {
  faultTable,
  headToHeadTable,
  memoryTable,
  probeTable,
  perLoginCountersTable,
  sharedCoreTable,
  throughputTable,
} from './tables';
import { evaluateTargets, floorTable } from './targets';

const RESULTS_DIR = join(__dirname, '..', 'results');

/** The whole report as markdown: what `npm run bench` prints and docs/performance.md quotes. */
export function renderReport(r: BenchResults): string {
  const { machine: m, plan } = r;
  const targets = evaluateTargets(r).map((t) => [
    t.target,
    t.measured,
    t.pass === undefined ? 'n/a' : t.pass ? 'PASS' : 'FAIL',
  ]);
  return [
    `Command: \`${r.command}\` — ${r.startedAt}, ${r.durationSec} s`,
    `Machine: nproc ${m.nproc}, ${m.cpu}, node ${m.node}, ${m.platform}`,
    `CPU layout: ${r.cpuLayout}`,
    '',
    '### Can it log in? (probe)',
    probeTable(r),
    '',
    `### Throughput (${plan.sweepSeconds} s per point after a warm-up of ${plan.warmupLogins} logins or ${plan.warmupSeconds} s)`,
    throughputTable(r),
    '',
    `### Head to head (HTTPS, ${Math.max(...plan.concurrencies)} concurrent, ${plan.rounds} rounds in rotated order, each stack alone on the app core)`,
    headToHeadTable(r),
    '',
    `### Shared core (HTTPS, ${Math.max(...plan.concurrencies)} concurrent per stack, ${plan.sharedRounds} rounds of ${plan.sweepSeconds} s, each competitor at the same time as this package on the app core; the throughput targets use these ratios)`,
    sharedCoreTable(r.sharedCore),
    '',
    perLoginCountersTable(r.sharedCore),
    '',
    `### Memory (HTTPS, ${plan.memoryConcurrency} concurrent, RSS/heap at rest: five GCs 200 ms apart, lowest RSS)`,
    memoryTable(r),
    '',
    `### Faults (HTTPS, ${plan.faultLogins} logins, ${plan.faultConcurrency} concurrent; driver gives up at ${plan.driverTimeoutMs} ms)`,
    faultTable(r),
    '',
    '### Targets (this package)',
    table(['target', 'measured', 'result'], targets),
    '',
    '### What any strategy could reach: the floor (no PKCE, no checks, no timeouts; bench/README.md)',
    table(
      ["ratio (logins/s at the targets' point)", 'measured', 'target it bounds'],
      floorTable(r),
    ),
  ].join('\n');
}

/** Prints the report and writes `bench/results/<time>.json`, `latest.json` and `latest.md`. */
export function report(r: BenchResults): void {
  const text = renderReport(r);
  process.stdout.write(`${text}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify({ ...r, targets: evaluateTargets(r) }, null, 2)}\n`;
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  writeFileSync(join(RESULTS_DIR, 'latest.md'), `${text}\n`);
}
