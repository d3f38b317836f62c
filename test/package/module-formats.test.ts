import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

/**
 * `npm test` builds dist/ first (pretest); when run alone, build it if missing or stale. NOTE: the
 * whole `npm run build` (tsc, then the one-file main entry), never tsc alone: a bare tsc build
 * leaves dist/ with the main entry as separate modules, which the cold-start tests refuse.
 */
async function ensureBuilt(): Promise<void> {
  const entry = join(ROOT, 'dist/index.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSourceMtime(join(ROOT, 'lib'))) return;
  // npm's own CLI under this node when npm started the tests (no shell needed, Windows too).
  const npmCli = process.env.npm_execpath;
  if (npmCli !== undefined && npmCli.endsWith('.js')) {
    await run(process.execPath, [npmCli, 'run', 'build'], { cwd: ROOT });
  } else {
    await run('npm', ['run', 'build'], { cwd: ROOT, shell: process.platform === 'win32' });
  }
}

describe('package: the built package from another project (dist/)', function () {
  this.timeout(60_000);
  let project: string;

  /** Runs `node <args>` in a project where `passport-tiktok` resolves to this repository. */
  async function node(...args: string[]): Promise<unknown> {
    const { stdout } = await run(process.execPath, args, {
      cwd: project,
      env: { ...process.env, TIKTOK_LOG_LEVEL: 'silent', NODE_OPTIONS: '' },
      timeout: 20_000,
    });
    return JSON.parse(stdout);
  }

  before(async () => {
    await ensureBuilt();
    project = mkdtempSync(join(tmpdir(), 'passport-tiktok-consumer-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules/passport-tiktok'), 'dir');
  });
  after(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it("ESM: import { TikTokStrategy, Strategy } from 'passport-tiktok'", async () => {
    const result = await node(
      '--input-type=module',
      '-e',
      `import { TikTokStrategy, Strategy, tiktokErrorHandler } from 'passport-tiktok';
       import * as all from 'passport-tiktok';
       const s = new TikTokStrategy({ clientKey: 'k', clientSecret: 's', callbackURL: 'https://a.example/cb' });
       console.log(JSON.stringify({ name: s.name, same: Strategy === TikTokStrategy,
         handler: typeof tiktokErrorHandler, keys: Object.keys(all).includes('TikTokClient') }));`,
    );
    assert.deepEqual(result, { name: 'tiktok', same: true, handler: 'function', keys: true });
  });

  it("ESM: import { startTikTokEmulator } from 'passport-tiktok/testing' starts and stops", async () => {
    const result = await node(
      '--input-type=module',
      '-e',
      `import { startTikTokEmulator } from 'passport-tiktok/testing';
       const tt = await startTikTokEmulator();
       const res = await fetch(tt.endpoints.tokenURL.slice(0, -1), { method: 'POST' });
       await tt.close();
       console.log(JSON.stringify({ status: res.status, key: tt.clientKey }));`,
    );
    assert.deepEqual(result, { status: 404, key: 'emulator-client-key' });
  });

  it("CommonJS: require('passport-tiktok').Strategy and require('passport-tiktok/testing')", async () => {
    const result = await node(
      '-e',
      `const { Strategy, TikTokStrategy } = require('passport-tiktok');
       const testing = require('passport-tiktok/testing');
       const s = new Strategy({ clientKey: 'k', clientSecret: 's', callbackURL: 'https://a.example/cb' });
       console.log(JSON.stringify({ name: s.name, same: Strategy === TikTokStrategy,
         emulator: typeof testing.startTikTokEmulator }));`,
    );
    assert.deepEqual(result, { name: 'tiktok', same: true, emulator: 'function' });
  });

  it('ships type declarations for both entry points', () => {
    assert.ok(existsSync(join(ROOT, 'dist/index.d.ts')));
    assert.ok(existsSync(join(ROOT, 'dist/strategy.d.ts')));
    assert.ok(existsSync(join(ROOT, 'dist/testing/index.d.ts')));
  });
});
