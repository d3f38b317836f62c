import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PHASE_LABELS } from './phases';
import type { ScanResult } from './scan';
import type { LoginSummary } from './stats';
import type { RssSample, SoakAppFinal } from './types';

export interface SoakReport {
  readonly startedAt: string;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly logins: LoginSummary;
  readonly rss: {
    readonly samples: readonly RssSample[];
    readonly baselineBytes: number;
    readonly finalBytes: number;
    readonly growthBytes: number;
    readonly allowedGrowthBytes: number;
  };
  readonly app: Omit<SoakAppFinal, 'metricsText'> & { readonly crashed: boolean };
  readonly driverUnhandledRejections: number;
  readonly redisRestarts: number;
  readonly scan: ScanResult;
  readonly checks: ReadonlyArray<{
    readonly check: string;
    readonly pass: boolean;
    readonly value: string;
  }>;
  readonly pass: boolean;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const pct = (ok: number, all: number): string =>
  all === 0 ? 'n/a' : `${((100 * ok) / all).toFixed(2)} %`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

function counts(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The summary as markdown tables (stdout). */
export function formatReport(r: SoakReport): string {
  const l = r.logins;
  const overview = table(
    ['figure', 'value'],
    [
      ['duration / browsers', `${(r.durationMs / 1000).toFixed(0)} s / ${r.concurrency}`],
      ['logins attempted / succeeded / failed', `${l.attempted} / ${l.succeeded} / ${l.failed}`],
      ['failed by code', counts(l.failuresByCode)],
      ['failed by step', counts(l.failuresByStep)],
      [
        'login latency p50 / p99 / max (ok)',
        `${l.latency.p50Ms} / ${l.latency.p99Ms} / ${l.latency.maxMs} ms`,
      ],
      ['login latency max (all)', `${l.latencyAll.maxMs} ms`],
      [
        'quiet phases: success',
        `${l.quiet.succeeded} / ${l.quiet.logins} = ${pct(l.quiet.succeeded, l.quiet.logins)}`,
      ],
      ['hung requests', String(l.hung)],
      [
        'app RSS baseline → final (after GC)',
        `${mb(r.rss.baselineBytes)} → ${mb(r.rss.finalBytes)} (${r.rss.growthBytes >= 0 ? '+' : ''}${mb(r.rss.growthBytes)}, allowed +${mb(r.rss.allowedGrowthBytes)})`,
      ],
      [
        'app RSS min / max sampled',
        `${mb(Math.min(...r.rss.samples.map((s) => s.rssBytes)))} / ${mb(Math.max(...r.rss.samples.map((s) => s.rssBytes)))} (${r.rss.samples.length} samples)`,
      ],
      [
        'unhandled rejections / uncaught exceptions / crashed',
        `${r.app.unhandledRejections + r.driverUnhandledRejections} / ${r.app.uncaughtExceptions} / ${r.app.crashed ? 'yes' : 'no'}`,
      ],
      [
        'app errors past tiktokErrorHandler',
        `${r.app.internalErrors}: ${counts(r.app.internalErrorNames)}`,
      ],
      ['redis restarts', String(r.redisRestarts)],
      [
        'secret scan',
        `${r.scan.hits.length} found; ${r.scan.secrets} secrets (${r.scan.forms} forms) in ${r.scan.linesScanned} lines of ${r.scan.sources} sources`,
      ],
    ],
  );
  const phases = table(
    ['#', 'phase', 'logins', 'ok', 'success', 'failures'],
    l.phases.map((p) => [
      String(p.index + 1),
      `${p.kind} (${PHASE_LABELS[p.kind]})`,
      String(p.attempted),
      String(p.succeeded),
      pct(p.succeeded, p.attempted),
      counts(p.failures),
    ]),
  );
  const rss = r.rss.samples
    .filter((_, i, all) => i % Math.max(1, Math.ceil(all.length / 12)) === 0)
    .map((s) => `${(s.atMs / 1000).toFixed(0)} s ${mb(s.rssBytes)}`)
    .join(', ');
  const slowest = table(
    ['login ms', 'phase', 'outcome'],
    l.slowest
      .slice(0, 5)
      .map((s) => [
        String(s.endedMs - s.startedMs),
        `#${s.startPhase + 1} ${l.phases[s.startPhase]?.kind ?? '?'} → #${s.endPhase + 1}`,
        s.ok ? 'ok' : `${s.step} ${s.code}`,
      ]),
  );
  const checks = table(
    ['check', 'result', 'value'],
    r.checks.map((c) => [c.check, c.pass ? 'PASS' : 'FAIL', c.value]),
  );
  return [
    `## Soak (${r.startedAt})`,
    overview,
    '### Phases',
    phases,
    `RSS over time: ${rss}`,
    '### Slowest logins',
    slowest,
    '### Checks',
    checks,
    r.app.crashNames.length > 0 ? `Crashes: ${r.app.crashNames.join('; ')}` : '',
    r.scan.hits.length > 0 ? `Secrets found: ${JSON.stringify(r.scan.hits)}` : '',
    `Result: ${r.pass ? 'PASS' : 'FAIL'}`,
  ]
    .filter((s) => s !== '')
    .join('\n\n');
}

/** Writes soak-<timestamp>.json into `dir` (test/soak/results/); returns its path. */
export function writeReport(r: SoakReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `soak-${r.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
  return path;
}
