import { footprint, type Bench } from '../measure';
import { num, table } from '../report/format';
import { progress } from '../suite';
import type { CompetitorId } from '../types';
import type { Footprint } from './summary';

/** The stacks compared: this package, the hand-wired baseline, and the two cheapest implementations. */
const ALL_STACKS: readonly CompetitorId[] = [
  'passport-tiktok',
  'passport-oauth2',
  'floor-contract-full',
  'floor',
];

/** `BENCH_FOOTPRINT_STACKS=passport-tiktok,floor`: only these (for quick iterations). */
function stacks(): readonly CompetitorId[] {
  const only = process.env.BENCH_FOOTPRINT_STACKS;
  if (only === undefined || only === '') return ALL_STACKS;
  const picked = ALL_STACKS.filter((s) => only.split(',').includes(s));
  if (picked.length === 0)
    throw new Error(`BENCH_FOOTPRINT_STACKS: none of ${ALL_STACKS.join(', ')}`);
  return picked;
}

/** Logins counted per stack, after the usual warm-up. */
const LOGINS = 2000;

/** One row per stack: distinct functions, calls and source per login, by part of the app. */
export function footprintTable(
  rows: ReadonlyArray<{ stack: string; footprint: Footprint }>,
): string {
  return table(
    [
      'stack',
      'strategy: machine code KB',
      'strategy: functions',
      'strategy: calls/login',
      'strategy: source KB',
      'shared: functions',
      'shared: calls/login',
      'node: functions',
      'node: calls/login',
      'shared + node: machine code KB',
    ],
    rows.map(({ stack, footprint: { parts, machineCode } }) => [
      stack,
      machineCode === undefined
        ? '—'
        : `${num(machineCode.strategy.bytes / 1024, 1)} (${machineCode.strategy.functions} optimized)`,
      String(parts.strategy.functions),
      num(parts.strategy.callsPerLogin, 1),
      num(parts.strategy.sourceChars / 1000, 1),
      String(parts.shared.functions),
      num(parts.shared.callsPerLogin, 1),
      String(parts.node.functions),
      num(parts.node.callsPerLogin, 1),
      machineCode === undefined
        ? '—'
        : num((machineCode.shared.bytes + machineCode.node.bytes) / 1024, 1),
    ]),
  );
}

/** This package's functions a login runs, most called first. */
export function functionsTable(f: Footprint): string {
  return table(
    ['function', 'file', 'calls/login', 'source chars'],
    f.strategyFunctions.map((fn) => [
      fn.name,
      fn.file,
      num(fn.callsPerLogin, 2),
      String(fn.sourceChars),
    ]),
  );
}

/**
 * `npm run bench -- --footprint`: how much distinct code a login runs in each stack (HTTPS, the
 * targets' concurrency, one app at a time), from V8's call counts.
 */
export async function runFootprint(bench: Bench): Promise<void> {
  const c = Math.max(...bench.plan.concurrencies);
  const rows: { stack: string; footprint: Footprint }[] = [];
  for (const stack of stacks()) {
    const run = await footprint(bench, stack, c, LOGINS);
    progress(
      `footprint ${stack}: ${run.footprint.parts.strategy.functions} strategy functions per login (${run.footprint.logins} logins, ${run.failed} failed)`,
    );
    rows.push({ stack, footprint: run.footprint });
  }
  const ours = rows.find((r) => r.stack === 'passport-tiktok');
  const sections = [
    `### Code run per login (HTTPS, ${c} concurrent, ${LOGINS} logins per stack after the warm-up; functions run at least once per two logins)`,
    footprintTable(rows),
    ...(ours === undefined
      ? []
      : ['', '### This package: the functions a login runs', functionsTable(ours.footprint)]),
  ];
  process.stdout.write(`${sections.join('\n')}\n`);
}
