/**
 * Soak test (not part of `npm test`): complete "Log in with TikTok" flows for N minutes against
 * the emulator, with rotating faults, checking crashes, hung requests, memory and leaked secrets.
 * See docs/development.md, "Soak". Run: `npm run soak -- --seconds 45` (builds dist/ first).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseSoakOptions, USAGE } from './options';
import { runSoak } from './orchestrator';
import { formatReport, writeReport, type SoakReport } from './report';

type Check = SoakReport['checks'][number];

function checksOf(r: Omit<SoakReport, 'checks' | 'pass'>): Check[] {
  const crashes =
    r.app.unhandledRejections + r.app.uncaughtExceptions + r.driverUnhandledRejections;
  const quiet = r.logins.quiet;
  return [
    {
      check: 'no crash, no unhandled rejection or uncaught exception',
      pass: crashes === 0 && !r.app.crashed,
      value: `${crashes}${r.app.crashed ? ', app process died' : ''}`,
    },
    { check: 'no hung request', pass: r.logins.hung === 0, value: String(r.logins.hung) },
    {
      check: 'no planted secret in any log line, output or metric',
      pass: r.scan.hits.length === 0 && r.scan.linesScanned > 0,
      value: `${r.scan.hits.length} in ${r.scan.linesScanned} lines`,
    },
    {
      check: 'app RSS growth within bound',
      pass: r.rss.finalBytes > 0 && r.rss.growthBytes <= r.rss.allowedGrowthBytes,
      value: `${(r.rss.growthBytes / 1048576).toFixed(1)} MB ≤ ${(r.rss.allowedGrowthBytes / 1048576).toFixed(1)} MB`,
    },
    {
      check: 'quiet phases: ≥ 99 % of logins succeed',
      pass: quiet.logins > 0 && quiet.rate >= 0.99,
      value: `${(quiet.rate * 100).toFixed(2)} % of ${quiet.logins}`,
    },
  ];
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseSoakOptions(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  process.stdout.write(
    `soak: ${options.durationMs / 1000} s, ${options.concurrency} browsers, logs at ${options.logLevel}\n`,
  );
  const { report: partial, workDir } = await runSoak(options);
  const checks = checksOf(partial);
  const report: SoakReport = { ...partial, checks, pass: checks.every((c) => c.pass) };
  process.stdout.write(`${formatReport(report)}\n`);
  const path = writeReport(report, join(__dirname, 'results'));
  process.stdout.write(`JSON: ${path}\n`);
  if (report.pass && !options.keepLogs) rmSync(workDir, { recursive: true, force: true });
  else process.stdout.write(`Logs kept for inspection: ${workDir}\n`);
  return report.pass ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `soak failed to run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 2;
  },
);
