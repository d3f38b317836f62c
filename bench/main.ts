import { generateCertificate } from './cert';
import { DriverProcess } from './children';
import type { Bench } from './measure';
import { planFrom } from './plan';
import { runProfile } from './profile';
import { report } from './report';
import { machine } from './report/machine';
import { faultsAll, memoryAll, probeAll, progress, sweep } from './suite';
import { startUpstream } from './upstream';

/** The command line that reproduces this run, with any BENCH_* settings. */
function commandLine(quick: boolean): string {
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value ?? ''} `)
    .join('');
  return `${settings}npm run bench${quick ? ' -- --quick' : ''}`;
}

async function runSuite(bench: Bench): Promise<void> {
  const startedAt = new Date();
  const { rows: probes, able } = await probeAll(bench);
  const throughput = await sweep(bench, able);
  const memory = await memoryAll(bench, able);
  const faults = await faultsAll(bench, able);
  report({
    startedAt: startedAt.toISOString(),
    durationSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
    command: commandLine(bench.plan.quick),
    machine: machine(),
    plan: bench.plan,
    probes,
    throughput,
    memory,
    faults,
  });
}

/** `npm run bench [-- --quick | --profile]`: see bench/README.md. */
async function main(): Promise<void> {
  const plan = planFrom(process.argv.slice(2), process.env);
  const tls = generateCertificate();
  const emulators = { http: await startUpstream(undefined), https: await startUpstream(tls) };
  const driver = new DriverProcess();
  const bench: Bench = { plan, tls, emulators, driver };
  try {
    if (plan.profile) await runProfile(bench);
    else await runSuite(bench);
  } finally {
    await driver.stop();
    await Promise.all([emulators.http.close(), emulators.https.close()]);
    tls.remove();
  }
}

main().catch((err: unknown) => {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
