import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { throughput, type AppRun, type Bench } from './measure';
import { num, table } from './report/format';
import { renderProfile, summarizeProfile } from './report/cpuprofile';
import { progress } from './suite';
import type { CompetitorId } from './types';

const PROFILE_DIR = join(__dirname, 'results', 'profiles');

function newestProfile(dir: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const newest = files[0];
  if (newest === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return newest;
}

async function profiled(bench: Bench, competitor: CompetitorId, c: number): Promise<string> {
  const dir = join(PROFILE_DIR, competitor);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = await throughput(bench, competitor, 'https', c, {
    execArgv: ['--cpu-prof', '--cpu-prof-dir', dir],
  });
  progress(`profiled ${competitor}: ${run.load.loginsPerSec} logins/s under the profiler`);
  const path = newestProfile(dir);
  return [
    `#### ${competitor} (HTTPS, c=${c}) — ${path}`,
    renderProfile(summarizeProfile(path)),
  ].join('\n');
}

/**
 * `npm run bench -- --profile`: where this package's login path spends its time. CPU profiles
 * of this package and of hand-wired passport-oauth2 at HTTPS/c=max, and the cost of logging at
 * `info` (the default) against `warn`.
 */
export async function runProfile(bench: Bench): Promise<void> {
  const c = Math.max(...bench.plan.concurrencies);
  const variants: [string, CompetitorId, NodeJS.ProcessEnv][] = [
    ['passport-tiktok, TIKTOK_LOG_LEVEL=info (default)', 'passport-tiktok', {}],
    ['passport-tiktok, TIKTOK_LOG_LEVEL=warn', 'passport-tiktok', { TIKTOK_LOG_LEVEL: 'warn' }],
    ['passport-oauth2 (hand-wired)', 'passport-oauth2', {}],
  ];
  const rows: string[][] = [];
  for (const [label, competitor, env] of variants) {
    const run: AppRun = await throughput(bench, competitor, 'https', c, { env });
    progress(`${label}: ${run.load.loginsPerSec} logins/s`);
    const { load } = run;
    rows.push([
      label,
      num(load.loginsPerSec),
      num(load.p50Ms, 1),
      num(load.p99Ms, 1),
      String(load.failed),
      num(run.cpuMsPerLogin, 2),
      String(run.connections),
    ]);
  }
  const sections = [
    `### Logging cost (HTTPS, c=${c}, ${bench.plan.sweepSeconds} s)`,
    table(
      ['variant', 'logins/s', 'p50 ms', 'p99 ms', 'errors', 'app CPU ms/login', 'upstream conns'],
      rows,
    ),
    '',
    '### CPU profiles (self time)',
    await profiled(bench, 'passport-tiktok', c),
    '',
    await profiled(bench, 'passport-oauth2', c),
  ];
  process.stdout.write(`${sections.join('\n')}\n`);
}
