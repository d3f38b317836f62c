import { createRequire } from 'node:module';

/**
 * The package as users get it: the compiled `dist/` (`npm run bench` builds it first). Types
 * come from `lib/` so that type-checking the bench does not need a build.
 */
const load = createRequire(__filename);

export function loadPackage(): typeof import('../lib/index') {
  return load('../dist') as typeof import('../lib/index');
}

export function loadTesting(): typeof import('../lib/testing/index') {
  return load('../dist/testing') as typeof import('../lib/testing/index');
}
