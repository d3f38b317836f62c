/** Command line and environment of `npm run soak`. */
export interface SoakOptions {
  readonly durationMs: number;
  /** Concurrent browsers, each with its own TikTok user. */
  readonly concurrency: number;
  /** How often the app's RSS is sampled. */
  readonly sampleEveryMs: number;
  /** Allowed RSS growth (after GC) from the end of the first phase to the end: this, or 50 %. */
  readonly rssGrowthMb: number;
  /** The package logger's level in the app (debug: every line there is, all scanned). */
  readonly logLevel: 'debug' | 'info';
  /** Keep the temp directory (logs, canaries, Redis files) even when the run passes. */
  readonly keepLogs: boolean;
}

export const USAGE = `npm run soak -- [--minutes N | --seconds N] [--concurrency N] [--sample-seconds N]
                   [--rss-growth-mb N] [--log-level debug|info] [--keep-logs]
Environment: SOAK_MINUTES, SOAK_SECONDS, SOAK_CONCURRENCY (the flags win). Default: 10 minutes, 8 browsers.`;

function flag(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  if (index !== -1) return argv[index + 1];
  const inline = argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

function positive(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${what} must be a positive number`);
  return n;
}

/** Reads the options; a bad value is a TypeError naming the flag. */
export function parseSoakOptions(argv: readonly string[], env: NodeJS.ProcessEnv): SoakOptions {
  const known = new Set([
    '--minutes',
    '--seconds',
    '--concurrency',
    '--sample-seconds',
    '--rss-growth-mb',
    '--log-level',
    '--keep-logs',
  ]);
  for (const arg of argv) {
    if (arg.startsWith('--') && !known.has(arg.split('=')[0] ?? arg)) {
      throw new TypeError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  const seconds =
    positive(flag(argv, 'seconds'), '--seconds') ??
    (positive(flag(argv, 'minutes'), '--minutes') ?? 0) * 60;
  const fromEnv =
    positive(env.SOAK_SECONDS, 'SOAK_SECONDS') ??
    (positive(env.SOAK_MINUTES, 'SOAK_MINUTES') ?? 0) * 60;
  const duration = seconds > 0 ? seconds : fromEnv > 0 ? fromEnv : 600;
  const concurrency =
    positive(flag(argv, 'concurrency'), '--concurrency') ??
    positive(env.SOAK_CONCURRENCY, 'SOAK_CONCURRENCY') ??
    8;
  const level = flag(argv, 'log-level') ?? 'debug';
  if (level !== 'debug' && level !== 'info')
    throw new TypeError('--log-level must be debug or info');
  return {
    durationMs: Math.round(duration * 1000),
    concurrency: Math.max(1, Math.round(concurrency)),
    sampleEveryMs: Math.round(
      (positive(flag(argv, 'sample-seconds'), '--sample-seconds') ?? 2) * 1000,
    ),
    rssGrowthMb: positive(flag(argv, 'rss-growth-mb'), '--rss-growth-mb') ?? 96,
    logLevel: level,
    keepLogs: argv.includes('--keep-logs'),
  };
}
