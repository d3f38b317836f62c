import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mb, num, table } from '../report/format';
import type { TargetResult } from '../report/targets';
import { median } from '../stats';
import type { ColdImportStack, ColdResults } from './results';

const RESULTS_DIR = join(__dirname, '..', 'results');
const MB = 2 ** 20;

/** The limits of issue #18's targets. */
export const COLD_LIMITS = {
  importTimeRatio: 2,
  importExtraRssBytes: 5 * MB,
  firstLoginRatio: 1.5,
  restingRssRatio: 1.1,
  tokenRatio: 0.5,
} as const;

const medianOf = (values: readonly number[]): number | undefined =>
  values.length === 0 ? undefined : median(values);

function importMedians(
  r: ColdResults,
  stack: ColdImportStack,
): { ms: number | undefined; rss: number | undefined } {
  const samples = r.imports[stack];
  return {
    ms: medianOf(samples.map((s) => s.ms)),
    rss: medianOf(samples.map((s) => s.rssBytes)),
  };
}

/** The median RSS at rest of a stack's memory runs (each in a fresh process). */
function restingRss(r: ColdResults, competitor: string): number | undefined {
  return medianOf(
    r.memory.filter((m) => m.competitor === competitor).map((m) => m.run.second.rssBytes),
  );
}

/** Median over the rounds of getAccessToken/s ÷ HMGET/s (each round's pair ran back to back). */
export function tokenRatio(r: ColdResults): number | undefined {
  return medianOf(
    r.tokens.filter((t) => t.hmgetPerSec > 0).map((t) => t.getAccessTokenPerSec / t.hmgetPerSec),
  );
}

function check(
  target: string,
  value: number | undefined,
  pass: (v: number) => boolean,
  show: (v: number) => string,
): TargetResult {
  return value === undefined || !Number.isFinite(value)
    ? { target, measured: 'not measured', pass: undefined }
    : { target, measured: show(value), pass: pass(value) };
}

const times = (v: number): string => `${v.toFixed(2)}×`;

/** Issue #18's targets, each PASS/FAIL from this run's medians (undefined: not measured). */
export function evaluateColdTargets(r: ColdResults): TargetResult[] {
  const ours = importMedians(r, 'passport-tiktok');
  const base = importMedians(r, 'passport-oauth2');
  const div = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined || b === 0 ? undefined : a / b;
  const sub = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : a - b;
  const firstLogin = div(
    medianOf(r.firstLogin['passport-tiktok']),
    medianOf(r.firstLogin['passport-oauth2']),
  );
  return [
    check(
      `import time ≤ ${COLD_LIMITS.importTimeRatio}× passport-oauth2 (medians)`,
      div(ours.ms, base.ms),
      (v) => v <= COLD_LIMITS.importTimeRatio,
      times,
    ),
    check(
      `import RSS ≤ passport-oauth2 + ${COLD_LIMITS.importExtraRssBytes / MB} MB (medians)`,
      sub(ours.rss, base.rss),
      (v) => v <= COLD_LIMITS.importExtraRssBytes,
      (v) => `${v >= 0 ? '+' : ''}${mb(v)} MB`,
    ),
    check(
      `first login in a fresh process ≤ ${COLD_LIMITS.firstLoginRatio}× hand-wired passport-oauth2`,
      firstLogin,
      (v) => v <= COLD_LIMITS.firstLoginRatio,
      times,
    ),
    check(
      `RSS at rest after the memory run ≤ ${COLD_LIMITS.restingRssRatio}× hand-wired passport-oauth2 (medians)`,
      div(restingRss(r, 'passport-tiktok'), restingRss(r, 'passport-oauth2')),
      (v) => v <= COLD_LIMITS.restingRssRatio,
      times,
    ),
    check(
      `getAccessToken (encrypted RedisTokenStore, 64 callers) ≥ ${COLD_LIMITS.tokenRatio}× bare HMGET`,
      tokenRatio(r),
      (v) => v >= COLD_LIMITS.tokenRatio,
      times,
    ),
  ];
}

const verdict = (pass: boolean | undefined): string =>
  pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL';

/** The markdown report of a cold run. */
export function renderColdReport(r: ColdResults): string {
  const stacks: ColdImportStack[] = ['passport-tiktok', 'passport-oauth2', 'passport-tiktok-auth'];
  const base = importMedians(r, 'passport-oauth2');
  const importRows = stacks.map((stack) => {
    const { ms, rss } = importMedians(r, stack);
    const samples = r.imports[stack].map((s) => s.ms);
    return [
      stack,
      String(samples.length),
      ms === undefined ? '—' : num(ms, 1),
      samples.length === 0
        ? '—'
        : `${num(Math.min(...samples), 1)}–${num(Math.max(...samples), 1)}`,
      ms === undefined || base.ms === undefined ? '—' : times(ms / base.ms),
      rss === undefined ? '—' : mb(rss),
      rss === undefined || base.rss === undefined
        ? '—'
        : `${rss >= base.rss ? '+' : ''}${mb(rss - base.rss)}`,
    ];
  });
  const loginBase = medianOf(r.firstLogin['passport-oauth2']);
  const loginRows = (['passport-tiktok', 'passport-oauth2'] as const).map((stack) => {
    const values = r.firstLogin[stack];
    const med = medianOf(values);
    return [
      stack,
      String(values.length),
      med === undefined ? '—' : num(med, 1),
      values.length === 0 ? '—' : `${num(Math.min(...values), 1)}–${num(Math.max(...values), 1)}`,
      med === undefined || loginBase === undefined ? '—' : times(med / loginBase),
    ];
  });
  const memoryBase = restingRss(r, 'passport-oauth2');
  const memoryRows = r.memory.map((row) => [
    row.competitor,
    mb(row.run.first.rssBytes),
    mb(row.run.second.rssBytes),
    mb(row.run.second.heapUsedBytes),
    memoryBase === undefined ? '—' : times(row.run.second.rssBytes / memoryBase),
  ]);
  const tokenRows = r.tokens.map((t, i) => [
    String(i + 1),
    num(t.hmgetPerSec),
    num(t.getAccessTokenPerSec),
    t.hmgetPerSec > 0 ? times(t.getAccessTokenPerSec / t.hmgetPerSec) : '—',
  ]);
  const targets = evaluateColdTargets(r);
  return [
    `## Cold start and footprint (${r.startedAt}, ${r.durationSec} s)`,
    '',
    `\`${r.command}\` — ${r.machine.cpu}, ${r.machine.nproc} CPUs, node ${r.machine.node}; ${r.cpuLayout}`,
    '',
    `#### Import (\`require()\` in a fresh process, ${r.runs} per stack, alternated)`,
    '',
    table(
      [
        'stack',
        'runs',
        'median ms',
        'range ms',
        '× passport-oauth2',
        'median RSS added MB',
        'RSS vs passport-oauth2 MB',
      ],
      importRows,
    ),
    '',
    '#### First login in a fresh process (first statement → last step answered, HTTPS TikTok emulator)',
    '',
    table(['stack', 'runs', 'median ms', 'range ms', '× passport-oauth2'], loginRows),
    '',
    '#### RSS at rest (HTTPS, 64 concurrent; five GCs 200 ms apart, lowest RSS)',
    '',
    table(
      ['stack', 'RSS after first MB', 'RSS after second MB', 'heap MB', '× passport-oauth2'],
      memoryRows,
    ),
    '',
    '#### Token hot path (64 concurrent callers, encrypted RedisTokenStore, valid token)',
    '',
    table(['round', 'HMGET/s', 'getAccessToken/s', 'ratio'], tokenRows),
    '',
    '#### Targets (issue #18)',
    '',
    table(
      ['target', 'measured', 'result'],
      targets.map((t) => [t.target, t.measured, verdict(t.pass)]),
    ),
  ].join('\n');
}

/** Prints the report and writes `bench/results/cold-<time>.json`, `cold-latest.{json,md}`. */
export function reportCold(r: ColdResults): void {
  const text = renderColdReport(r);
  process.stdout.write(`${text}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify({ ...r, targets: evaluateColdTargets(r) }, null, 2)}\n`;
  writeFileSync(join(RESULTS_DIR, `cold-${r.startedAt.replace(/[:.]/g, '-')}.json`), json);
  writeFileSync(join(RESULTS_DIR, 'cold-latest.json'), json);
  writeFileSync(join(RESULTS_DIR, 'cold-latest.md'), `${text}\n`);
}
