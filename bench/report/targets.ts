import type { BenchResults, SharedCoreRound, SharedCoreRow, Stack } from '../results';
import { median, medianInterval } from '../stats';
import { num, percent, ratio } from './format';

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  /** Undefined when the target could not be measured in this run. */
  readonly pass: boolean | undefined;
}

const OURS = 'passport-tiktok';

/** Logins/s at the targets' point: the head-to-head median, else the sweep's point. */
function rate(r: BenchResults, stack: Stack): number | undefined {
  const rounds = r.headToHead.find((h) => h.competitor === stack);
  if (rounds !== undefined && rounds.runs.length > 0) return rounds.medianLoginsPerSec;
  const c = Math.max(...r.plan.concurrencies);
  return r.throughput.find(
    (t) => t.stack === stack && t.protocol === 'https' && t.concurrency === c,
  )?.load.loginsPerSec;
}

/** A shared-core row's per-round ratios to this package (its logins/s ÷ ours, same seconds). */
export function ratiosToOurs(row: SharedCoreRow | undefined): number[] {
  if (row === undefined) return [];
  return row.rounds
    .filter((round) => round.oursLoginsPerSec > 0)
    .map((round) => round.loginsPerSec / round.oursLoginsPerSec);
}

/**
 * The ratios a shared-core row's interval is taken over: with rounds from several pairs of app
 * processes, each pair's median ratio (rounds of one pair share that pair's luck: how V8 laid out
 * and optimized each process, a few percent that lasts the process's life); else every round's.
 */
export function intervalRatiosToOurs(row: SharedCoreRow | undefined): number[] {
  if (row === undefined) return [];
  const byPair = new Map<number, number[]>();
  for (const round of row.rounds) {
    if (round.oursLoginsPerSec <= 0) continue;
    const pair = round.pair ?? 0;
    const list = byPair.get(pair) ?? [];
    list.push(round.loginsPerSec / round.oursLoginsPerSec);
    byPair.set(pair, list);
  }
  return byPair.size > 1 ? [...byPair.values()].map((list) => median(list)) : ratiosToOurs(row);
}

/**
 * `a ÷ b` at the targets' point: from the shared-core rounds when both ran there (median of
 * ours ÷ theirs for this package against a stack; the ratio of the two stacks' medians to this
 * package otherwise), else the ratio of the head-to-head medians (or of the sweep points).
 */
export function throughputRatio(r: BenchResults, a: Stack, b: Stack): number | undefined {
  const ratios = (stack: Stack): number[] =>
    ratiosToOurs(r.sharedCore.find((row) => row.label === stack));
  const toOurs = (stack: Stack): number | undefined => {
    if (stack === OURS) return 1;
    const list = ratios(stack);
    return list.length > 0 ? median(list) : undefined;
  };
  const paired = ratios(b);
  if (a === OURS && paired.length > 0) return median(paired.map((x) => 1 / x));
  const x = toOurs(a);
  const y = toOurs(b);
  if (x !== undefined && y !== undefined && y > 0) return x / y;
  const p = rate(r, a);
  const q = rate(r, b);
  return p === undefined || q === undefined || q === 0 ? undefined : p / q;
}

/**
 * The 95 % confidence interval of {@link throughputRatio} when it is this package's shared-core
 * rounds against `b` (the throughput targets' case), else undefined.
 */
export function throughputInterval(
  r: BenchResults,
  a: Stack,
  b: Stack,
): [number, number] | undefined {
  if (a !== OURS) return undefined;
  const paired = intervalRatiosToOurs(r.sharedCore.find((row) => row.label === b));
  return medianInterval(paired.map((x) => 1 / x));
}

/**
 * How busy the app core was in one shared-core round: the two apps' CPU time (all threads) per
 * second of the round, 1 = the apps used all of it (kernel work charged to no process, such as
 * part of loopback networking, is not counted; CPU is per attempted login and the rate counts
 * completed ones, so rounds with failed logins read low). NOTE: the logins/s ratio of a round is
 * the inverse ratio of CPU per login only when both apps compete for a saturated core. On
 * 2026-12-01 the app core was 86–93 % busy, and the ratio also followed when each app yielded the
 * core: two `setImmediate()` turns added to this package's callback left its CPU per login level
 * and raised its logins/s by 4 % (bench/README.md, "Logins/s and CPU per login").
 */
export function appCoreBusy(round: SharedCoreRound): number {
  return (
    (round.cpuMsPerLogin * round.loginsPerSec + round.oursCpuMsPerLogin * round.oursLoginsPerSec) /
    1000
  );
}

/**
 * For this package's shared-core rounds against `b`: the same rounds' CPU per login as a ratio
 * oriented like the logins/s ratio (`b`'s CPU per login ÷ ours: above 1 is cheaper) and how busy
 * the app core was (medians), e.g. `CPU per login 0.93×, app core 85 % busy`. Undefined without
 * rounds. NOTE: printed with the throughput targets because the logins/s ratio is the CPU ratio
 * only on a saturated core ({@link appCoreBusy}).
 */
export function cpuContext(r: BenchResults, b: Stack): string | undefined {
  const rounds = r.sharedCore.find((row) => row.label === b)?.rounds ?? [];
  if (rounds.length === 0) return undefined;
  const theirs = median(rounds.map((x) => x.cpuMsPerLogin));
  const ours = median(rounds.map((x) => x.oursCpuMsPerLogin));
  const busy = median(rounds.map(appCoreBusy));
  return `CPU per login ${ratio(theirs, ours)}, app core ${percent(busy, 1, 0)} busy`;
}

/**
 * A ratio target, met when the median reaches `min`. NOTE: the interval is printed with it so
 * that a reader can tell a miss (or a pass) the rounds decide from one inside their noise.
 */
function atLeast(
  target: string,
  value: number | undefined,
  min: number,
  interval?: readonly [number, number],
  context?: string,
): TargetResult {
  if (value === undefined) return { target, measured: 'not measured', pass: undefined };
  const notes = [
    ...(interval === undefined
      ? []
      : [`95 % interval ${num(interval[0], 2)}–${num(interval[1], 2)}`]),
    ...(context === undefined ? [] : [context]),
  ];
  const measured =
    notes.length === 0 ? ratio(value, 1) : `${ratio(value, 1)} (${notes.join('; ')})`;
  return { target, measured, pass: value >= min };
}

/** passport-tiktok-auth as published: measured only if it completed a login in the probe. */
function publishedTarget(r: BenchResults, where: string): TargetResult {
  const target = `≥ 1.3× passport-tiktok-auth (as published) logins/s ${where}`;
  const measured = throughputRatio(r, OURS, 'passport-tiktok-auth');
  if (measured !== undefined) {
    return atLeast(target, measured, 1.3, throughputInterval(r, OURS, 'passport-tiktok-auth'));
  }
  const probes = r.probes.filter((p) => p.competitor === 'passport-tiktok-auth');
  const ok = probes.reduce((n, p) => n + p.run.load.succeeded, 0);
  const all = probes.reduce((n, p) => n + p.run.load.attempted, 0);
  return { target, measured: `no login completes (${ok}/${all} in the probe)`, pass: undefined };
}

/** The targets for this package, pass/fail (reported, never asserted). */
export function evaluateTargets(r: BenchResults): TargetResult[] {
  const ours = rate(r, OURS);
  const ceiling = rate(r, 'ceiling');
  const c = Math.max(...r.plan.concurrencies);
  const where = `(HTTPS, c=${c})`;
  const results = [
    publishedTarget(r, where),
    atLeast(
      `≥ 1.3× passport-tiktok-auth-fields logins/s ${where}`,
      throughputRatio(r, OURS, 'passport-tiktok-auth-fields'),
      1.3,
      throughputInterval(r, OURS, 'passport-tiktok-auth-fields'),
    ),
    atLeast(
      `≥ 1.0× hand-wired passport-oauth2 logins/s ${where}`,
      throughputRatio(r, OURS, 'passport-oauth2'),
      1.0,
      throughputInterval(r, OURS, 'passport-oauth2'),
      cpuContext(r, 'passport-oauth2'),
    ),
    // The ceiling has no app: ours alone on its core (head-to-head median) against it.
    atLeast(
      `≥ 70 % of the ceiling ${where}`,
      ours === undefined || ceiling === undefined ? undefined : ours / ceiling,
      0.7,
    ),
  ];
  const under503 = r.faults.find((f) => f.scenario === '503' && f.competitor === OURS);
  results.push(
    under503 === undefined
      ? {
          target: '≥ 99.5 % logins succeed under 20 % 503s',
          measured: 'not measured',
          pass: undefined,
        }
      : {
          target: '≥ 99.5 % logins succeed under 20 % 503s',
          measured: percent(under503.run.load.succeeded, under503.run.load.attempted, 2),
          pass: under503.run.load.succeeded / under503.run.load.attempted >= 0.995,
        },
  );
  const hang = r.faults.find((f) => f.scenario === 'hang' && f.competitor === OURS);
  results.push({
    target: `no request slower than the deadline (${r.plan.deadlineMs} ms) when user info hangs`,
    measured:
      hang === undefined
        ? 'not measured'
        : `slowest ${Math.round(hang.run.load.slowestRequestMs)} ms`,
    pass: hang === undefined ? undefined : hang.run.load.slowestRequestMs <= r.plan.deadlineMs,
  });
  const mem = r.memory.find((m) => m.competitor === OURS);
  const [n, m] = r.plan.memoryLogins;
  results.push({
    target: `RSS after ${m} logins within 10 % of after ${n}`,
    measured:
      mem === undefined
        ? 'not measured'
        : percent(mem.run.second.rssBytes - mem.run.first.rssBytes, mem.run.first.rssBytes),
    pass: mem === undefined ? undefined : mem.run.second.rssBytes <= mem.run.first.rssBytes * 1.1,
  });
  return results;
}

/**
 * The floor (bench/app/plugins/floor.ts) against the same figures: the most any strategy could
 * reach in these apps, so that a missed target can be told apart from an unreachable one.
 */
export function floorTable(r: BenchResults): string[][] {
  const floor = rate(r, 'floor');
  if (floor === undefined) return [];
  const rows: string[][] = [];
  const add = (what: string, value: number | undefined, target: string): void => {
    if (value !== undefined) rows.push([what, ratio(value, 1), target]);
  };
  add(
    'floor ÷ passport-tiktok-auth-fields',
    throughputRatio(r, 'floor', 'passport-tiktok-auth-fields'),
    '≥ 1.3×',
  );
  add(
    'floor ÷ hand-wired passport-oauth2',
    throughputRatio(r, 'floor', 'passport-oauth2'),
    '≥ 1.0×',
  );
  const ceiling = rate(r, 'ceiling');
  add('floor ÷ ceiling', ceiling === undefined ? undefined : floor / ceiling, '≥ 0.70×');
  add('passport-tiktok ÷ floor', throughputRatio(r, OURS, 'floor'), '—');
  return rows;
}
