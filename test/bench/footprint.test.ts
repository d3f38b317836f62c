import assert from 'node:assert/strict';
import { footprintTable } from '../../bench/footprint/run';
import { machineCode, partOf, summarize, type ScriptCoverage } from '../../bench/footprint/summary';

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
    // Code compiled from strings has no path.
    assert.equal(partOf('evalmachine.<anonymous>', PKG), undefined);
    assert.equal(partOf('[eval]', PKG), undefined);
    assert.equal(partOf('/repo/bench/app/child.ts', PKG), undefined);
    assert.equal(partOf('/repo/bench/ipc.ts', PKG), undefined);
    assert.equal(partOf('', PKG), undefined);
  });

  it('counts functions run at least once per two logins, their calls and source, per login', () => {
    const f = summarize(
      [
        script('file:///repo/dist/index.js', [
          ['', 0, 5000, 1000], // the script's top level (offset 0, no name): never counted
          ['authenticate', 100, 300, 2000],
          ['', 400, 450, 1000], // anonymous, once per login
          ['rarely', 500, 900, 499], // under once per two logins: housekeeping
          ['half', 950, 960, 500], // exactly once per two logins: counted
          ['never', 1000, 1200, 0],
        ]),
        script('/repo/node_modules/express/lib/router.js', [['handle', 0, 800, 3000]]),
        script('node:events', [['emit', 10, 60, 10000]]),
        script('/repo/bench/ipc.ts', [['serve', 10, 90, 5000]]),
      ],
      1000,
      PKG,
    );
    assert.deepEqual(f.parts.strategy, { functions: 3, callsPerLogin: 3.5, sourceChars: 260 });
    // The router's offset 0 is a named function, not a top level: counted.
    assert.deepEqual(f.parts.shared, { functions: 1, callsPerLogin: 3, sourceChars: 800 });
    assert.deepEqual(f.parts.node, { functions: 1, callsPerLogin: 10, sourceChars: 50 });
    assert.deepEqual(
      f.strategyFunctions.map((fn) => [fn.name, fn.file, fn.callsPerLogin]),
      [
        ['authenticate', 'dist/index.js', 2],
        ['(anonymous)', 'dist/index.js', 1],
        ['half', 'dist/index.js', 0.5],
      ],
    );
  });

  it("machine code: TurboFan code per part from V8's perf map, the last code of a function", () => {
    const map = [
      '7efd00015cc0 200 JS:*completeLogin /repo/dist/index.js:3758:29',
      // Deoptimized and optimized again: only the later code counts.
      '7efd00015fc0 400 JS:*completeLogin /repo/dist/index.js:3758:29',
      '7efd00016000 100 JS:*(anonymous) /repo/dist/index.js:685:42',
      // Accessors have a space in their name.
      '7efd00016100 40 JS:*get current /repo/dist/index.js:90:6',
      '7efd00016200 8 JS:*get headersSent node:_http_outgoing:900:7',
      '7efd00017000 80 JS:^sparkplug /repo/dist/index.js:1:1', // baseline code: not counted
      '7efd00018000 1000 JS:~interpreted /repo/dist/index.js:2:1',
      '7efd00019000 10 JS:*handle /repo/node_modules/express/lib/router.js:10:3',
      '7efd0001a000 20 JS:*emit node:events:460:44',
      '7efd0001b000 40 JS:*serve /repo/bench/ipc.ts:5:1', // the harness: no part
      '7efd0001c000 8 Builtin:ArrayMap',
      '',
    ].join('\n');
    assert.deepEqual(machineCode(map, PKG), {
      strategy: { bytes: 0x400 + 0x100 + 0x40, functions: 3 },
      shared: { bytes: 0x10, functions: 1 },
      node: { bytes: 0x20 + 0x8, functions: 2 },
    });
  });

  it('prints one row per stack', () => {
    const f = summarize([script('/repo/dist/index.js', [['a', 1, 1001, 20]])], 10, PKG);
    const lines = footprintTable([{ stack: 'passport-tiktok', footprint: f }]).split('\n');
    assert.equal(lines.length, 3);
    assert.match(
      lines[2] ?? '',
      /^\| passport-tiktok +\| — +\| 1 +\| 2\.0 +\| 1\.0 +\| 0 +\| 0\.0 +\| 0 +\| 0\.0 +\| — +\|$/,
    );
    const withCode = footprintTable([
      {
        stack: 'floor',
        footprint: {
          ...f,
          machineCode: {
            strategy: { bytes: 2048, functions: 3 },
            shared: { bytes: 1024, functions: 1 },
            node: { bytes: 512, functions: 1 },
          },
        },
      },
    ]).split('\n');
    assert.match(withCode[2] ?? '', /^\| floor +\| 2\.0 \(3 optimized\) +\|.*\| 1\.5 +\|$/);
  });
});
