import { createRequire } from 'node:module';

/**
 * The package as users get it: the compiled `dist/` (`npm run bench` builds it first). Types
 * come from `lib/` so that type-checking the bench does not need a build.
 */
const load = createRequire(__filename);

/** `BENCH_PACKAGE_DIR` (set by `--ab` for the other build's app): a different build to load. */
export function loadPackage(): typeof import('../lib/index') {
  return load(process.env.BENCH_PACKAGE_DIR ?? '../dist') as typeof import('../lib/index');
}

export function loadTesting(): typeof import('../lib/testing/index') {
  return load('../dist/testing') as typeof import('../lib/testing/index');
}
