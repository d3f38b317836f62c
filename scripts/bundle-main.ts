/**
 * `npm run build`, after tsc: the main entry (`passport-tiktok`) as one file.
 *
 * NOTE: importing the package is compiling and running its modules, and the main entry is about
 * 40 of them (the strategy, the client, state, middleware, tokens, webhooks); one file of the
 * same code, scope-hoisted, loads in about 65 % of the time (bench/README.md, "Cold start").
 * esbuild compiles lib/index.ts with tsconfig.build.json's settings (ES2022, define semantics
 * for class fields, as tsc); tsc still checks the types and writes every `.d.ts`. Packages
 * (passport-oauth2, winston, prom-client) stay `require()`s: winston and prom-client are still
 * loaded only when used. `passport-tiktok/testing` is a separate, self-contained entry (it
 * imports nothing from lib/ outside lib/testing/) and stays as tsc wrote it.
 *
 * The other JavaScript files of the main entry are removed from dist/; every `.d.ts` stays (the
 * entry's types import them).
 */
import { buildSync } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');

buildSync({
  entryPoints: [join(ROOT, 'lib', 'index.ts')],
  outfile: join(DIST, 'index.js'),
  tsconfig: join(ROOT, 'tsconfig.build.json'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

function prune(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(DIST, path);
    if (entry.isDirectory()) {
      if (rel !== 'testing') prune(path);
      continue;
    }
    const isJs = rel.endsWith('.js') || rel.endsWith('.js.map');
    if (isJs && rel !== 'index.js' && rel !== 'index.js.map') rmSync(path);
  }
}
prune(DIST);
