import { cpuLayout } from './affinity';
import { generateCertificate } from './cert';
import { DriverProcess } from './children';
import { pinLoad, type Bench } from './measure';
import { planFrom } from './plan';
import { runProfile } from './profile';
import { report } from './report';
import { runAb } from './ab';
import { runCold } from './cold/run';
import { runFootprint } from './footprint/run';
import { machine } from './report/machine';
import {
  faultsAll,
  headToHead,
  memoryAll,
  probeAll,
  progress,
  sharedCoreRounds,
  sweep,
} from './suite';
import { startUpstream } from './upstream';

/** The command line that reproduces this run, with any BENCH_* settings. */
function commandLine(): string {
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .map(([name, value]) => `${name}=${value ?? ''} `)
    .join('');
  const argv = process.argv.slice(2);
  const flags = argv.filter((a) =>
    ['--quick', '--head-to-head', '--cold', '--footprint'].includes(a),
  );
  return `${settings}npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
}

async function runSuite(bench: Bench): Promise<void> {
  const startedAt = new Date();
  const { rows: probes, able } = await probeAll(bench);
  const only = bench.plan.headToHeadOnly;
  const throughput = only ? [] : await sweep(bench, able);
  const rounds = await headToHead(bench, able);
  const sharedCore = await sharedCoreRounds(
    bench,
    able.map((competitor) => ({ label: competitor, competitor })),
  );
  // The floor has no fault handling and is nobody's choice: throughput only.
  const real = able.filter((c) => c !== 'floor');
  const memory = only ? [] : await memoryAll(bench, real);
  const faults = only ? [] : await faultsAll(bench, real);
  report({
    startedAt: startedAt.toISOString(),
    durationSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
    command: commandLine(),
    machine: machine(),
    plan: bench.plan,
    probes,
    throughput,
    headToHead: rounds,
    sharedCore,
    cpuLayout: bench.layout.description,
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
  const bench: Bench = { plan, tls, emulators, driver, layout: cpuLayout() };
  progress(`CPU layout: ${bench.layout.description}`);
  try {
    pinLoad(bench, bench.layout.load);
    if (plan.ab !== undefined) await runAb(bench, plan.ab);
    else if (plan.profile) await runProfile(bench);
    else if (plan.cold) await runCold(bench, commandLine());
    else if (plan.footprint) await runFootprint(bench);
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
