import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { apiSurface } from '../support/api-surface';

// The public type surface of dist/*.d.ts, pinned: every exported name and kind, and every public
// member of the exported classes and interfaces with its type. Internals (`@internal`, stripped
// by tsconfig.build.json's stripInternal) must not appear. A deliberate change to the public API
// updates the snapshot in the same commit: UPDATE_API_SURFACE=1 npm test (or this file alone).
const ROOT = resolve(__dirname, '../..');
const SNAPSHOT = join(__dirname, 'api-surface.snapshot.txt');
const ENTRIES = {
  'passport-tiktok': 'dist/index.d.ts',
  'passport-tiktok/testing': 'dist/testing/index.d.ts',
};

describe('package: public type surface (dist/*.d.ts)', function () {
  this.timeout(60_000);
  let surface: string[];
  before(() => {
    surface = apiSurface(ROOT, ENTRIES);
  });

  it('matches the checked-in snapshot', () => {
    if (process.env.UPDATE_API_SURFACE === '1') writeFileSync(SNAPSHOT, `${surface.join('\n')}\n`);
    const expected = readFileSync(SNAPSHOT, 'utf8').trimEnd().split('\n');
    assert.deepEqual(surface, expected);
  });

  it('exposes no internals of the client', () => {
    assert.equal(
      surface.some((line) => /TikTokClient#logFor|owner/.test(line)),
      false,
    );
    const constructors = surface.filter((line) =>
      line.startsWith('passport-tiktok:TikTokClient new'),
    );
    assert.deepEqual(constructors, [
      'passport-tiktok:TikTokClient new(options?: TikTokClientOptions | undefined): TikTokClient',
    ]);
  });

  it('exports every type a public option uses', () => {
    const names = new Set(
      surface.filter((l) => !/[#. ]/.test(l.split(' ')[0] ?? '')).map((l) => l.split(' ')[0]),
    );
    for (const name of [
      'CircuitBreakerOptions',
      'RetryBudgetOptions',
      'TikTokErrorCodeInfo',
      'TikTokStrategyOptionsWithRequest',
      'TikTokStrategyOptionsWithoutRequest',
    ]) {
      assert.ok(names.has(`passport-tiktok:${name}`), `${name} is exported`);
    }
  });
});
