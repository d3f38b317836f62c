import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TESTING = resolve(__dirname, '../../lib/testing');

/** Every module specifier a TypeScript file imports, exports from or requires. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:from|import|require\()\s*'([^']+)'/g)) {
    if (m[1] !== undefined) found.push(m[1]);
  }
  return found;
}

// The main entry is one bundled file (scripts/bundle-main.ts) and passport-tiktok/testing is
// tsc's output: a module of lib/ imported by both would exist twice at run time, and its
// classes (TikTokAPIError…) would fail instanceof across the two entries.
describe('package: the two entries share no module', () => {
  it('lib/testing/ imports nothing from lib/ outside lib/testing/', () => {
    const outside: string[] = [];
    for (const file of readdirSync(TESTING).filter((f) => f.endsWith('.ts'))) {
      for (const spec of specifiers(readFileSync(join(TESTING, file), 'utf8'))) {
        if (spec.startsWith('../')) outside.push(`${file}: ${spec}`);
      }
    }
    assert.deepEqual(outside, []);
  });

  it('the check finds an import that leaves lib/testing/', () => {
    assert.deepEqual(
      specifiers(`import { TikTokAPIError } from '../errors';\nexport { x } from './x';`),
      ['../errors', './x'],
    );
  });
});
