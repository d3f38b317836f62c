import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Bench, SharedEntry } from './measure';
import { newestProfile, PROFILE_DIR } from './profile';
import type { AllocationMeta } from './app/alloc-sampler';
import { summarizeProfile, type ProfileSummary } from './report/cpuprofile';
import { summarizeAllocation } from './report/heapprofile';
import { table } from './report/format';
import { perLoginCountersTable, sharedCoreTable } from './report/tables';
import type { SharedCoreRow } from './results';
import { median } from './stats';
import { COMPETITORS, type CompetitorId } from './types';
import { progress, sharedCoreRounds } from './suite';

/** A label without the build's own place: the frames of both builds' `dist/` then line up by file. */
const sameFrame = (label: string): string => label.replace(/:\d+$/, '');

/** Self time per login (µs) by key: the key's share of the busy samples × the build's CPU per login. */
function perLogin(
  entries: readonly [string, number][],
  summary: ProfileSummary,
  cpuMsPerLogin: number,
): Map<string, number> {
  const idle = summary.byFunction.find(([name]) => name.startsWith('(idle)'))?.[1] ?? 0;
  const busy = Math.max(1, summary.totalMs - idle);
  const out = new Map<string, number>();
  for (const [name, ms] of entries) {
    if (name.startsWith('(idle)')) continue;
    const key = sameFrame(name);
    out.set(key, (out.get(key) ?? 0) + (1000 * ms * cpuMsPerLogin) / busy);
  }
  return out;
}

/** The rows that differ most between the two builds, per login (µs of self time, or KB). */
function diffTable(
  heading: string,
  ours: Map<string, number>,
  theirs: Map<string, number>,
  limit: number,
  unit = 'µs/login',
): string {
  const keys = [...new Set([...ours.keys(), ...theirs.keys()])];
  const rows = keys
    .map((key) => ({ key, a: ours.get(key) ?? 0, b: theirs.get(key) ?? 0 }))
    .sort((x, y) => Math.abs(y.a - y.b) - Math.abs(x.a - x.b))
    .slice(0, limit)
    .map(({ key, a, b }) => [key, a.toFixed(1), b.toFixed(1), (a - b).toFixed(1)]);
  return table([heading, `this build ${unit}`, `other build ${unit}`, 'difference'], rows);
}

/**
 * `--ab <dir> --profile`: both apps of the shared-core rounds ran under `--cpu-prof`; self time
 * per login of each build by area and by function (the same load, the same core, the same time),
 * largest differences first.
 */
function profileComparison(rows: readonly SharedCoreRow[], dirs: readonly string[]): string {
  const rounds = rows[1]?.rounds ?? [];
  const cpu = [
    median(rounds.map((r) => r.oursCpuMsPerLogin)),
    median(rounds.map((r) => r.cpuMsPerLogin)),
  ];
  const summaries = dirs.map((dir) => summarizeProfile(newestProfile(dir)));
  const [a, b] = summaries;
  const [cpuA, cpuB] = cpu;
  if (a === undefined || b === undefined || cpuA === undefined || cpuB === undefined) return '';
  return [
    `#### Self time per login, this build (${cpuA} ms CPU/login) against the other (${cpuB}), profiles in ${dirs.join(' and ')}`,
    '',
    diffTable('area', perLogin(a.byArea, a, cpuA), perLogin(b.byArea, b, cpuB), 25),
    '',
    diffTable('function', perLogin(a.byFunction, a, cpuA), perLogin(b.byFunction, b, cpuB), 40),
  ].join('\n');
}

const kilobytes = (m: Map<string, number>): Map<string, number> =>
  new Map([...m].map(([key, bytes]) => [key, bytes / 1024]));

/**
 * `--ab <dir> --alloc`: both apps sampled their allocations during the shared-core rounds
 * (app/alloc-sampler.ts); KB allocated per login by area and by function, largest differences
 * first. What a login leaves the garbage collector, and where.
 */
function allocationComparison(dirs: readonly string[]): string {
  const summaries = dirs.map((dir) => {
    const meta = JSON.parse(readFileSync(join(dir, 'allocation.json'), 'utf8')) as AllocationMeta;
    return summarizeAllocation(join(dir, 'allocation.heapprofile'), meta.logins);
  });
  const [a, b] = summaries;
  if (a === undefined || b === undefined) return '';
  const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
  return [
    `#### Allocated per login (sampled, collected objects included): this build ${kb(a.bytesPerLogin)} KB, the other ${kb(b.bytesPerLogin)} KB; profiles in ${dirs.join(' and ')}`,
    '',
    diffTable('area', kilobytes(a.byArea), kilobytes(b.byArea), 20, 'KB/login'),
    '',
    diffTable('function', kilobytes(a.byFunction), kilobytes(b.byFunction), 30, 'KB/login'),
  ].join('\n');
}

/**
 * `npm run bench -- --ab <dir>`: this build (`dist/`) against another build of the package (a
 * `dist/` built from another commit), in shared-core rounds: both apps at once on the app core,
 * so the ratio of a round is mostly the ratio of CPU cost per login, whatever the machine does
 * (the table prints both, and how busy the core was: `appCoreBusy` in report/targets.ts). How a
 * change that moves a login's cost by a few percent is measured on a noisy VM. With `--profile`
 * both apps run under `--cpu-prof` and the report adds where their self time per login differs.
 */
export async function runAb(bench: Bench, dir: string): Promise<void> {
  const other = resolve(dir);
  const competitorOf = (id: string): CompetitorId | undefined => COMPETITORS.find((c) => c === id);
  // `a,b`: two other stacks against each other (e.g. hand-wired passport-oauth2 with and without
  // one defence: what that defence costs any implementation).
  const pair = dir.split(',').map(competitorOf);
  const [pairFirst, pairSecond] = pair;
  const rival = competitorOf(dir);
  if (pair.length === 2 && (pairFirst === undefined || pairSecond === undefined)) {
    throw new Error(
      `--ab ${dir}: two competitors separated by a comma, from ${COMPETITORS.join(', ')}`,
    );
  }
  if (pair.length !== 2 && rival === undefined && !existsSync(resolve(other, 'index.js'))) {
    throw new Error(
      `--ab ${dir}: no index.js there (pass the dist/ directory of another build, or a competitor: ${COMPETITORS.join(', ')})`,
    );
  }
  const dirs = [join(PROFILE_DIR, 'ab-this'), join(PROFILE_DIR, 'ab-other')];
  const allocDirs = [join(PROFILE_DIR, 'ab-this-alloc'), join(PROFILE_DIR, 'ab-other-alloc')];
  const { profile: profiling, alloc } = bench.plan;
  const fresh = (dir: string): string => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  // What the app child of entry i runs with: --cpu-prof and/or the allocation sampler.
  const instrumented = (
    i: number,
    env: NodeJS.ProcessEnv = {},
  ): Pick<SharedEntry, 'execArgv' | 'env'> => {
    const target = dirs[i];
    const allocTarget = allocDirs[i];
    return {
      ...(profiling && target !== undefined
        ? { execArgv: ['--cpu-prof', '--cpu-prof-dir', fresh(target)] }
        : {}),
      env:
        alloc && allocTarget !== undefined ? { ...env, BENCH_ALLOC_DIR: fresh(allocTarget) } : env,
    };
  };
  const first: CompetitorId =
    pairFirst !== undefined && pairSecond !== undefined ? pairFirst : 'passport-tiktok';
  const second = pairSecond ?? rival;
  progress(
    `A/B: ${first === 'passport-tiktok' ? 'dist/' : first} against ${second ?? other}, ${bench.plan.sharedRounds} shared-core rounds over ${bench.plan.sharedPairs} process pair(s)${profiling ? ', both profiled' : ''}${alloc ? ', allocations sampled' : ''}`,
  );
  // A competitor's id instead of a directory: this build against that stack, so a profile shows
  // where this package's login costs more than, say, hand-wired passport-oauth2's.
  const rows = await sharedCoreRounds(bench, [
    { label: first, competitor: first, ...instrumented(0) },
    second === undefined
      ? {
          label: `passport-tiktok (${dir})`,
          competitor: 'passport-tiktok',
          ...instrumented(1, { BENCH_PACKAGE_DIR: other }),
        }
      : { label: second, competitor: second, ...instrumented(1) },
  ]);
  const sections = [
    `### A/B (HTTPS, ${Math.max(...bench.plan.concurrencies)} concurrent each, ${bench.plan.sweepSeconds} s rounds, both apps on one core)`,
    sharedCoreTable(rows),
    '',
    perLoginCountersTable(rows),
    ...(profiling ? ['', profileComparison(rows, dirs)] : []),
    ...(alloc ? ['', allocationComparison(allocDirs)] : []),
  ];
  process.stdout.write(`${sections.join('\n')}\n`);
}
