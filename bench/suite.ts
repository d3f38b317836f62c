import * as measure from './measure';
import type { Bench } from './measure';
import type { AppRun } from './measure';
import type {
  FaultRow,
  HeadToHeadRow,
  MemoryRow,
  ProbeRow,
  SharedCoreRow,
  ThroughputRow,
} from './results';
import type { CompetitorId } from './types';
import { median } from './stats';
import { FAULT_SCENARIOS } from './upstream';

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const describe = (ok: number, total: number, perSec?: number): string =>
  `${ok}/${total} ok${perSec === undefined ? '' : `, ${perSec} logins/s`}`;

/** Every competitor, over both protocols: the ones that complete no login are not measured further. */
export async function probeAll(bench: Bench): Promise<{ rows: ProbeRow[]; able: CompetitorId[] }> {
  const rows: ProbeRow[] = [];
  for (const competitor of bench.plan.competitors) {
    for (const protocol of bench.plan.protocols) {
      const run = await measure.probe(bench, competitor, protocol);
      progress(
        `probe ${competitor} ${protocol}: ${describe(run.load.succeeded, run.load.attempted)}`,
      );
      rows.push({ competitor, protocol, run });
    }
  }
  const able = bench.plan.competitors.filter((c) =>
    rows.filter((r) => r.competitor === c).every((r) => r.run.load.succeeded > 0),
  );
  return { rows, able };
}

export async function sweep(
  bench: Bench,
  competitors: readonly CompetitorId[],
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const protocol of bench.plan.protocols) {
    for (const concurrency of bench.plan.concurrencies) {
      const load = await measure.ceiling(bench, protocol, concurrency);
      progress(
        `ceiling ${protocol} c=${concurrency}: ${describe(load.succeeded, load.attempted, load.loginsPerSec)}`,
      );
      rows.push({ stack: 'ceiling', protocol, concurrency, load });
      for (const competitor of competitors) {
        const run = await measure.throughput(bench, competitor, protocol, concurrency);
        const { load: l } = run;
        progress(
          `${competitor} ${protocol} c=${concurrency}: ${describe(l.succeeded, l.attempted, l.loginsPerSec)}`,
        );
        rows.push({ stack: competitor, protocol, concurrency, load: l, run });
      }
    }
  }
  return rows;
}

export async function memoryAll(
  bench: Bench,
  competitors: readonly CompetitorId[],
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const competitor of competitors) {
    const run = await measure.memory(bench, competitor);
    const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    progress(`memory ${competitor}: RSS ${mb(run.first.rssBytes)} -> ${mb(run.second.rssBytes)}`);
    rows.push({ competitor, run });
  }
  return rows;
}

export async function faultsAll(
  bench: Bench,
  competitors: readonly CompetitorId[],
): Promise<FaultRow[]> {
  const rows: FaultRow[] = [];
  for (const scenario of FAULT_SCENARIOS) {
    for (const competitor of competitors) {
      const run = await measure.fault(bench, competitor, scenario);
      const { load } = run;
      progress(
        `fault ${scenario.id} ${competitor}: ${describe(load.succeeded, load.attempted)}, slowest ${load.slowestRequestMs} ms`,
      );
      rows.push({ scenario: scenario.id, label: scenario.label, competitor, run });
    }
  }
  return rows;
}

/**
 * The targets' point, measured as rounds: in round r every competitor runs once (a fresh app,
 * warm-up, `sweepSeconds`), the order rotated by r so that none always goes first or last.
 * The medians are what one app reaches alone on its core (the ceiling target uses this
 * package's); the targets against other stacks use the shared-core runs, because one point per
 * competitor on a shared machine moved by ±15–30 % between identical runs.
 */
export async function headToHead(
  bench: Bench,
  competitors: readonly CompetitorId[],
): Promise<HeadToHeadRow[]> {
  const c = Math.max(...bench.plan.concurrencies);
  const runs = new Map<CompetitorId, AppRun[]>(competitors.map((id) => [id, []]));
  for (let round = 0; round < bench.plan.rounds; round++) {
    const order = competitors.map((_, i) => competitors[(i + round) % competitors.length]);
    for (const competitor of order) {
      if (competitor === undefined) continue;
      const run = await measure.throughput(bench, competitor, 'https', c);
      const { load } = run;
      progress(
        `round ${round + 1}/${bench.plan.rounds} ${competitor} https c=${c}: ${describe(load.succeeded, load.attempted, load.loginsPerSec)}, ${run.cpuMsPerLogin} ms CPU/login`,
      );
      runs.get(competitor)?.push(run);
    }
  }
  return competitors.map((competitor) => {
    const list = runs.get(competitor) ?? [];
    return {
      competitor,
      runs: list,
      medianLoginsPerSec: median(list.map((r) => r.load.loginsPerSec)),
      medianCpuMsPerLogin: median(list.map((r) => r.cpuMsPerLogin)),
    };
  });
}

/**
 * The shared-core rounds (measure.sharedCore) for `entries`, the first being this package: one
 * line of progress per pair run, one row per entry.
 */
export async function sharedCoreRounds(
  bench: Bench,
  entries: readonly measure.SharedEntry[],
): Promise<SharedCoreRow[]> {
  const c = Math.max(...bench.plan.concurrencies);
  const first = entries[0]?.label ?? '?';
  const perEntry = await measure.sharedCore(bench, entries, c, (round, label, r) => {
    progress(
      `shared core round ${round + 1}/${bench.plan.sharedRounds}: ${label} ${r.loginsPerSec}, ${first} ${r.oursLoginsPerSec} logins/s (CPU ms per login ${r.cpuMsPerLogin} / ${r.oursCpuMsPerLogin}, pair ${(r.pair ?? 0) + 1})`,
    );
  });
  return entries.map((e, i) => ({
    label: e.label,
    competitor: e.competitor,
    rounds: perEntry[i] ?? [],
  }));
}
