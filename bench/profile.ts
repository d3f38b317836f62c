import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { throughput, type Bench } from './measure';
import { renderProfile, summarizeProfile } from './report/cpuprofile';
import { sharedCoreTable } from './report/tables';
import { progress, sharedCoreRounds } from './suite';
import type { CompetitorId } from './types';

export const PROFILE_DIR = join(__dirname, 'results', 'profiles');

export function newestProfile(dir: string): string {
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
  // Shared core (measure.sharedCore): each variant at the same time as the default on the app
  // core, so that a few percent can be told apart from the machine's noise (single sequential
  // points of the same build moved by ±20 %).
  const rows = await sharedCoreRounds(bench, [
    { label: 'passport-tiktok, TIKTOK_LOG_LEVEL=info (default)', competitor: 'passport-tiktok' },
    {
      label: 'passport-tiktok, TIKTOK_LOG_LEVEL=warn',
      competitor: 'passport-tiktok',
      env: { TIKTOK_LOG_LEVEL: 'warn' },
    },
    { label: 'passport-oauth2 (hand-wired)', competitor: 'passport-oauth2' },
  ]);
  const sections = [
    `### Logging cost: each variant against the default on a shared core (HTTPS, c=${c} each, ${bench.plan.sharedRounds} runs of ${bench.plan.sweepSeconds} s)`,
    sharedCoreTable(rows),
    '',
    '### CPU profiles (self time)',
    await profiled(bench, 'passport-tiktok', c),
    '',
    await profiled(bench, 'passport-oauth2', c),
  ];
  process.stdout.write(`${sections.join('\n')}\n`);
}
