import assert from 'node:assert/strict';
import { footprintTable } from '../../bench/footprint/run';
import { partOf, summarize, type ScriptCoverage } from '../../bench/footprint/summary';

const PKG = '/repo/dist';

function script(
  url: string,
  fns: Array<[name: string, start: number, end: number, count: number]>,
): ScriptCoverage {
  return {
    url,
    functions: fns.map(([functionName, startOffset, endOffset, count]) => ({
      functionName,
      ranges: [{ startOffset, endOffset, count }],
    })),
  };
}

describe('bench: footprint', () => {
  it('sorts scripts into the strategy, the shared app code, node, or the harness', () => {
    assert.equal(partOf('file:///repo/dist/index.js', PKG), 'strategy');
    assert.equal(partOf('/repo/dist/index.js', PKG), 'strategy');
    // Another directory whose name starts with the build's is not the build.
    assert.equal(partOf('file:///repo/dist-old/index.js', PKG), undefined);
    assert.equal(partOf('/repo/bench/app/plugins/floor.ts', PKG), 'strategy');
    assert.equal(partOf('/repo/node_modules/passport-oauth2/lib/strategy.js', PKG), 'strategy');
    assert.equal(partOf('/repo/node_modules/oauth/lib/oauth2.js', PKG), 'strategy');
    assert.equal(partOf('/repo/node_modules/express-session/index.js', PKG), 'shared');
    assert.equal(partOf('/repo/bench/app/factory.ts', PKG), 'shared');
    assert.equal(partOf('node:_http_client', PKG), 'node');
    assert.equal(partOf('events', PKG), 'node');
    assert.equal(partOf('/repo/bench/app/child.ts', PKG), undefined);
    assert.equal(partOf('/repo/bench/ipc.ts', PKG), undefined);
    assert.equal(partOf('', PKG), undefined);
  });

  it('counts functions run at least once per two logins, their calls and source, per login', () => {
    const f = summarize(
      [
        script('file:///repo/dist/index.js', [
          ['', 0, 5000, 1], // the script's top level: run once, at load
          ['authenticate', 100, 300, 2000],
          ['', 400, 450, 1000], // anonymous, once per login
          ['rarely', 500, 900, 499], // under once per two logins: housekeeping
          ['never', 1000, 1200, 0],
        ]),
        script('/repo/node_modules/express/lib/router.js', [['handle', 0, 800, 3000]]),
        script('node:events', [['emit', 10, 60, 10000]]),
        script('/repo/bench/ipc.ts', [['serve', 10, 90, 5000]]),
      ],
      1000,
      PKG,
    );
    assert.deepEqual(f.parts.strategy, { functions: 2, callsPerLogin: 3, sourceChars: 250 });
    // The router's offset 0 is a named function, not a top level: counted.
    assert.deepEqual(f.parts.shared, { functions: 1, callsPerLogin: 3, sourceChars: 800 });
    assert.deepEqual(f.parts.node, { functions: 1, callsPerLogin: 10, sourceChars: 50 });
    assert.deepEqual(
      f.strategyFunctions.map((fn) => [fn.name, fn.file, fn.callsPerLogin]),
      [
        ['authenticate', 'dist/index.js', 2],
        ['(anonymous)', 'dist/index.js', 1],
      ],
    );
  });

  it('prints one row per stack', () => {
    const f = summarize([script('/repo/dist/index.js', [['a', 1, 1001, 20]])], 10, PKG);
    const lines = footprintTable([{ stack: 'passport-tiktok', footprint: f }]).split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[2] ?? '',
      /^\| passport-tiktok +\| 1 +\| 2\.0 +\| 1\.0 +\| 0 +\| 0\.0 +\| 0 +\| 0\.0 +\|$/,
    );
  });
});
