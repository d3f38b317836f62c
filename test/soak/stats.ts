import type { LoginRecord, Phase, PhaseKind } from './types';

export interface PhaseSummary {
  readonly index: number;
  readonly kind: PhaseKind;
  readonly startMs: number;
  readonly endMs: number;
  /** Logins that started in this phase. */
  readonly attempted: number;
  readonly succeeded: number;
  /** Logins that started and ended inside this phase (what the quiet-phase rate counts). */
  readonly contained: number;
  readonly containedSucceeded: number;
  readonly failures: Readonly<Record<string, number>>;
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LoginSummary {
  readonly attempted: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Failures by code, and by `step code`. */
  readonly failuresByCode: Readonly<Record<string, number>>;
  readonly failuresByStep: Readonly<Record<string, number>>;
  readonly hung: number;
  /** Whole logins (start → logout), successful ones. */
  readonly latency: LatencySummary;
  /** Whole logins, failed ones included (a hung one would show here). */
  readonly latencyAll: LatencySummary;
  readonly quiet: { readonly logins: number; readonly succeeded: number; readonly rate: number };
  readonly phases: readonly PhaseSummary[];
  /** The 10 slowest logins, for diagnosis. */
  readonly slowest: readonly LoginRecord[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

function latencyOf(records: readonly LoginRecord[]): LatencySummary {
  const sorted = records.map((r) => r.endedMs - r.startedMs).sort((a, b) => a - b);
  return {
    p50Ms: Math.round(percentile(sorted, 50)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function summarisePhase(phase: Phase, records: readonly LoginRecord[]): PhaseSummary {
  const started = records.filter((r) => r.startPhase === phase.index);
  const contained = started.filter((r) => r.endPhase === phase.index);
  const failures: Record<string, number> = {};
  for (const r of started) if (!r.ok) bump(failures, r.code);
  return {
    index: phase.index,
    kind: phase.kind,
    startMs: phase.startMs,
    endMs: phase.endMs,
    attempted: started.length,
    succeeded: started.filter((r) => r.ok).length,
    contained: contained.length,
    containedSucceeded: contained.filter((r) => r.ok).length,
    failures,
  };
}

/** Everything the report says about the logins. */
export function summariseLogins(
  records: readonly LoginRecord[],
  phases: readonly Phase[],
): LoginSummary {
  const failuresByCode: Record<string, number> = {};
  const failuresByStep: Record<string, number> = {};
  for (const r of records) {
    if (r.ok) continue;
    bump(failuresByCode, r.code);
    bump(failuresByStep, `${r.step} ${r.code}`);
  }
  const phaseSummaries = phases.map((p) => summarisePhase(p, records));
  const quiet = phaseSummaries.filter((p) => p.kind === 'quiet');
  const quietLogins = quiet.reduce((n, p) => n + p.contained, 0);
  const quietOk = quiet.reduce((n, p) => n + p.containedSucceeded, 0);
  const succeeded = records.filter((r) => r.ok);
  return {
    attempted: records.length,
    succeeded: succeeded.length,
    failed: records.length - succeeded.length,
    failuresByCode,
    failuresByStep,
    hung: failuresByCode.HUNG ?? 0,
    latency: latencyOf(succeeded),
    latencyAll: latencyOf(records),
    quiet: {
      logins: quietLogins,
      succeeded: quietOk,
      rate: quietLogins === 0 ? 0 : quietOk / quietLogins,
    },
    phases: phaseSummaries,
    slowest: [...records]
      .sort((a, b) => b.endedMs - b.startedMs - (a.endedMs - a.startedMs))
      .slice(0, 10),
  };
}
