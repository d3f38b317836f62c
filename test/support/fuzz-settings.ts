/**
 * fast-check settings shared by the fuzz suites: one seed per run of the file, printed so that a
 * failure can be replayed, and a run count that an environment variable can raise.
 *
 *   FC_SEED=123456 npx mocha --grep '^fuzz:'   # replay (the fuzz suites' titles start so)
 *   FC_RUNS=20000 npx mocha --grep '^fuzz:'    # run longer
 */
import type { Parameters } from 'fast-check';

function integerFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${raw}`);
  return value;
}

export interface FuzzSettings {
  readonly seed: number;
  /** fast-check parameters: the file's seed, `FC_RUNS` runs when set, else `defaultRuns`. */
  params<T>(defaultRuns: number): Parameters<T>;
}

/**
 * Registers a `before` hook in the calling `describe` that prints the seed once, and returns
 * the settings: `fc.assert(property, fuzz.params(300))`.
 */
export function useFuzzSettings(): FuzzSettings {
  const seed = integerFromEnv('FC_SEED') ?? Date.now() % 2 ** 31;
  const runs = integerFromEnv('FC_RUNS');
  before(() => {
    console.log(`      fast-check seed: ${seed} (replay with FC_SEED=${seed})`);
  });
  return {
    seed,
    params: <T>(defaultRuns: number): Parameters<T> => ({ seed, numRuns: runs ?? defaultRuns }),
  };
}
