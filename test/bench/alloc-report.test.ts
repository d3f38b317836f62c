import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planFrom } from '../../bench/plan';
import { summarizeAllocation } from '../../bench/report/heapprofile';

const frame = (functionName: string, url: string, selfSize: number, children: object[] = []) => ({
  callFrame: { functionName, url, lineNumber: 9, columnNumber: 0, scriptId: '1' },
  selfSize,
  id: 1,
  children,
});

describe('bench: report/heapprofile', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'alloc-report-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('divides sampled bytes by the logins, by area and by function, nested frames included', () => {
    const path = join(dir, 'allocation.heapprofile');
    const profile = {
      head: frame('(root)', '', 0, [
        frame('handle', '/x/node_modules/router/index.js', 4000, [
          frame('authenticateRequest', '/x/dist/index.js', 2000, [
            frame('exchangeCodeForTokens', '/x/dist/index.js', 1000),
          ]),
          frame('authenticateRequest', '/x/dist/index.js', 500),
        ]),
        frame('emit', 'node:events', 300),
      ]),
    };
    writeFileSync(path, JSON.stringify(profile));
    const s = summarizeAllocation(path, 100);
    assert.equal(s.bytesPerLogin, 78);
    assert.deepEqual(Object.fromEntries(s.byArea), {
      router: 40,
      'passport-tiktok dist/index.js': 35,
      'node:events': 3,
    });
    assert.equal(s.byFunction.get('authenticateRequest passport-tiktok dist/index.js'), 25);
    assert.equal(s.byFunction.get('exchangeCodeForTokens passport-tiktok dist/index.js'), 10);
  });

  it('--alloc without --ab is refused: it samples the two apps of an A/B run', () => {
    assert.throws(() => planFrom(['--alloc'], {}), /--alloc .* use it with --ab <dir>/);
    assert.equal(planFrom(['--ab', 'passport-oauth2', '--alloc'], {}).alloc, true);
    assert.equal(planFrom(['--ab', 'passport-oauth2'], {}).alloc, false);
  });
});
