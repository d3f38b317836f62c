import { join } from 'node:path';
import * as measure from '../measure';
import type { Bench } from '../measure';
import { machine } from '../report/machine';
import { progress } from '../suite';
import { compileColdChild } from './compile';
import { coldImport, firstLogin } from './measure';
import { reportCold } from './report';
import type { ColdImportStack, ColdSample } from './results';
import { tokenHotPath } from './tokens';

const IMPORT_STACKS: readonly ColdImportStack[] = [
  'passport-tiktok',
  'passport-oauth2',
  'passport-tiktok-auth',
];

/** The stacks of round `i`, rotated so that none always runs first (or after the same one). */
function rotated<T>(items: readonly T[], i: number): T[] {
  return items.map((_, k) => items[(k + i) % items.length] as T);
}

/** `npm run bench -- --cold`: import, first login, RSS at rest and the token hot path. */
export async function runCold(bench: Bench, command: string): Promise<void> {
  const startedAt = new Date();
  const runs = bench.plan.coldRuns;
  const imports: Record<ColdImportStack, ColdSample[]> = {
    'passport-tiktok': [],
    'passport-oauth2': [],
    'passport-tiktok-auth': [],
  };
  for (let i = 0; i < runs; i++) {
    for (const stack of rotated(IMPORT_STACKS, i))
      imports[stack].push(await coldImport(bench, stack));
  }
  progress(`cold imports: ${runs} per stack done`);

  const childJs = compileColdChild(join(__dirname, '..', 'results', 'cold-js'));
  const firstLogins: Record<'passport-tiktok' | 'passport-oauth2', number[]> = {
    'passport-tiktok': [],
    'passport-oauth2': [],
  };
  const loginStacks = ['passport-tiktok', 'passport-oauth2'] as const;
  for (let i = 0; i < runs; i++) {
    for (const stack of rotated(loginStacks, i)) {
      firstLogins[stack].push(await firstLogin(bench, stack, childJs));
    }
  }
  progress(`first logins: ${runs} per stack done`);

  const memory = [];
  for (let i = 0; i < bench.plan.coldMemoryRuns; i++) {
    for (const competitor of rotated(loginStacks, i)) {
      const run = await measure.memory(bench, competitor);
      progress(`memory ${competitor}: RSS ${(run.second.rssBytes / 2 ** 20).toFixed(1)} MB`);
      memory.push({ competitor, run });
    }
  }

  const tokens = await tokenHotPath(bench, bench.plan.coldTokenRounds, bench.plan.quick ? 1 : 2);
  progress(`token hot path: ${tokens.length} rounds done`);

  reportCold({
    startedAt: startedAt.toISOString(),
    durationSec: Math.round((Date.now() - startedAt.getTime()) / 1000),
    command,
    machine: machine(),
    cpuLayout: bench.layout.description,
    runs,
    imports,
    firstLogin: firstLogins,
    memory,
    tokens,
  });
}
