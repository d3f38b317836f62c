import type { BenchResults, Stack } from '../results';
import { percent, ratio } from './format';

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

function atLeast(
  target: string,
  ours: number | undefined,
  theirs: number | undefined,
  min: number,
): TargetResult {
  if (ours === undefined || theirs === undefined)
    return { target, measured: 'not measured', pass: undefined };
  return { target, measured: ratio(ours, theirs), pass: ours / theirs >= min };
}

/** passport-tiktok-auth as published: measured only if it completed a login in the probe. */
function publishedTarget(r: BenchResults, ours: number | undefined, where: string): TargetResult {
  const target = `≥ 1.3× passport-tiktok-auth (as published) logins/s ${where}`;
  const theirs = rate(r, 'passport-tiktok-auth');
  if (theirs !== undefined) return atLeast(target, ours, theirs, 1.3);
  const probes = r.probes.filter((p) => p.competitor === 'passport-tiktok-auth');
  const ok = probes.reduce((n, p) => n + p.run.load.succeeded, 0);
  const all = probes.reduce((n, p) => n + p.run.load.attempted, 0);
  return { target, measured: `no login completes (${ok}/${all} in the probe)`, pass: undefined };
}

/** The targets for this package, pass/fail (reported, never asserted). */
export function evaluateTargets(r: BenchResults): TargetResult[] {
  const ours = rate(r, OURS);
  const c = Math.max(...r.plan.concurrencies);
  const where = `(HTTPS, c=${c})`;
  const results = [
    publishedTarget(r, ours, where),
    atLeast(
      `≥ 1.3× passport-tiktok-auth-fields logins/s ${where}`,
      ours,
      rate(r, 'passport-tiktok-auth-fields'),
      1.3,
    ),
    atLeast(
      `≥ 1.0× hand-wired passport-oauth2 logins/s ${where}`,
      ours,
      rate(r, 'passport-oauth2'),
      1.0,
    ),
    atLeast(`≥ 70 % of the ceiling ${where}`, ours, rate(r, 'ceiling'), 0.7),
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
  const add = (what: string, theirs: number | undefined, target: string): void => {
    if (theirs !== undefined) rows.push([what, ratio(floor, theirs), target]);
  };
  add('floor ÷ passport-tiktok-auth-fields', rate(r, 'passport-tiktok-auth-fields'), '≥ 1.3×');
  add('floor ÷ hand-wired passport-oauth2', rate(r, 'passport-oauth2'), '≥ 1.0×');
  add('floor ÷ ceiling', rate(r, 'ceiling'), '≥ 0.70×');
  const ours = rate(r, OURS);
  if (ours !== undefined) rows.push(['passport-tiktok ÷ floor', ratio(ours, floor), '—']);
  return rows;
}
