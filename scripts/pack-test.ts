/**
 * The package as a user gets it: `npm pack`, the tarball installed into temporary projects
 * (ESM nodenext, CommonJS node10, bundler resolution; strict, no skipLibCheck, only the usual
 * @types), README's Quick start and emulator recipe type-checked there and the recipe's mocha +
 * supertest login run from the installed package. Also checks the tarball's file list.
 *
 * `npm run test:pack` (part of .ci/run). Installs from the npm registry through the shared npm
 * cache (`--prefer-offline`), at the versions this repository's own devDependencies use.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const started = Date.now();

function step(message: string): void {
  process.stdout.write(`pack-test [${((Date.now() - started) / 1000).toFixed(1)} s] ${message}\n`);
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TIKTOK_LOG_LEVEL: 'silent', NODE_OPTIONS: '' },
    });
  } catch (err) {
    const output = (name: string): string => {
      const value: unknown = typeof err === 'object' && err !== null ? Reflect.get(err, name) : '';
      return typeof value === 'string' ? value : '';
    };
    throw new Error(
      `${cmd} ${args.join(' ')} failed in ${cwd}\n${output('stdout')}${output('stderr')}`,
      {
        cause: err,
      },
    );
  }
}

function fail(message: string): never {
  throw new Error(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The ```ts block right after `heading` in README.md. */
function readmeBlockAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) fail(`README.md has no "${heading}" heading`);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  return block?.[1] ?? fail(`README.md has no code block after "${heading}"`);
}

interface Packed {
  tarball: string;
  files: string[];
}

function pack(into: string): Packed {
  const out: unknown = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', into], ROOT));
  const entry: unknown = Array.isArray(out) ? out[0] : undefined;
  if (!isRecord(entry) || typeof entry.filename !== 'string' || !Array.isArray(entry.files)) {
    fail('npm pack --json answered something unexpected');
  }
  const files = entry.files.map((f: unknown) =>
    isRecord(f) && typeof f.path === 'string' ? f.path : fail('npm pack: a file without path'),
  );
  return { tarball: join(into, entry.filename), files };
}

/**
 * What may ship: the build, the docs and their API reference (docs/api/, Markdown), the
 * changelog, the security policy, the licence. Nothing else.
 */
function checkFileList(files: string[], extracted: string, readme: string): void {
  const allowed =
    /^(dist\/.+\.(js|d\.ts|js\.map)|docs\/[A-Za-z0-9-]+\.md|docs\/api\/[A-Za-z0-9/_-]+\.md|README\.md|CHANGELOG\.md|SECURITY\.md|LICENSE|package\.json)$/;
  const unexpected = files.filter((f) => !allowed.test(f));
  if (unexpected.length > 0) fail(`unexpected files in the tarball: ${unexpected.join(', ')}`);
  const forbidden = files.filter((f) =>
    /(^|\/)(test|tests|__tests__|bench|example|scripts|\.ci)\/|\.test\.|(^|\/)\.env|\.pem$|\.key$|\.tsbuildinfo$/.test(
      f,
    ),
  );
  if (forbidden.length > 0)
    fail(`tests, secrets or build leftovers shipped: ${forbidden.join(', ')}`);
  for (const must of ['dist/index.js', 'dist/index.d.ts', 'dist/testing/index.d.ts', 'LICENSE']) {
    if (!files.includes(must)) fail(`${must} is missing from the tarball`);
  }
  // Every source map carries its sources: nothing points at files that are not shipped.
  for (const map of files.filter((f) => f.endsWith('.map'))) {
    const parsed: unknown = JSON.parse(readFileSync(join(extracted, map), 'utf8'));
    if (!isRecord(parsed) || !Array.isArray(parsed.sources)) fail(`${map}: not a source map`);
    const contents = parsed.sourcesContent;
    if (
      !Array.isArray(contents) ||
      contents.length !== parsed.sources.length ||
      contents.some((c) => typeof c !== 'string' || c.length === 0)
    ) {
      fail(`${map} points at sources that are not shipped (no sourcesContent)`);
    }
  }
  // No secret-looking content anywhere in what ships.
  for (const file of files) {
    const text = readFileSync(join(extracted, file), 'utf8');
    if (
      /-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|\bnpm_[A-Za-z0-9]{36}\b/.test(text)
    ) {
      fail(`${file} contains something that looks like a secret`);
    }
  }
  // README links work on the npm page, and the shipped docs' links in node_modules: relative
  // ones must point into the package (links out of docs/ to the repository's other files, such
  // as example/ or test/, are GitHub's to serve and are not checked here).
  for (const m of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^(https?:|mailto:|#)/.test(target)) continue;
    const path = target.split('#')[0] ?? '';
    if (!files.includes(path)) fail(`README links to ${target}, which is not in the package`);
  }
  for (const doc of files.filter((f) => f.startsWith('docs/'))) {
    const text = readFileSync(join(extracted, doc), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] ?? '').split('#')[0] ?? '';
      if (target === '' || /^(https?:|mailto:)/.test(target)) continue;
      const path = posix.normalize(posix.join(posix.dirname(doc), target));
      const inDocs = path.startsWith('docs/');
      if (inDocs && !files.includes(path)) fail(`${doc} links to ${target}, which is not shipped`);
    }
  }
}

const DEV_TYPES = [
  '@types/express',
  '@types/express-session',
  '@types/passport',
  '@types/node',
  '@types/mocha',
  '@types/supertest',
];
const TOOLS = ['express', 'express-session', 'passport', 'typescript', 'mocha', 'supertest'];

function installSpecs(): string[] {
  const pkg: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  if (!isRecord(pkg) || !isRecord(pkg.devDependencies)) fail('package.json: no devDependencies');
  const dev = pkg.devDependencies;
  return [...TOOLS, ...DEV_TYPES].map((name) => {
    const version = dev[name];
    return typeof version === 'string' ? `${name}@${version}` : fail(`no devDependency ${name}`);
  });
}

const STRICT = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  esModuleInterop: true,
  skipLibCheck: false,
  target: 'ES2022',
  lib: ['ES2023'],
  types: ['node', 'mocha'],
};

interface Project {
  name: string;
  type: 'module' | 'commonjs';
  compilerOptions: Record<string, unknown>;
  /** Compile and run the recipe's test with mocha (else type-check only). */
  runs: boolean;
}

const PROJECTS: Project[] = [
  {
    name: 'esm-nodenext',
    type: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
    runs: true,
  },
  {
    name: 'cjs-node10',
    type: 'commonjs',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10' },
    runs: true,
  },
  {
    name: 'bundler',
    type: 'module',
    compilerOptions: { module: 'preserve', moduleResolution: 'bundler', noEmit: true },
    runs: false,
  },
];

/** Options held in variables and spread into the constructor, both forms (no annotations). */
const SPREAD_OPTIONS = `import {
  TikTokStrategy,
  type TikTokStrategyOptions,
  type TikTokStrategyOptionsWithRequest,
} from 'passport-tiktok';
import { startTikTokEmulator } from 'passport-tiktok/testing';

const options: TikTokStrategyOptions = { scope: ['user.info.basic'] };
export const plain = new TikTokStrategy({ ...options }, async (accessToken, refreshToken, profile) => {
  const id: string = profile.id;
  return { id, accessToken, refreshToken: refreshToken ?? null };
});
const withRequest: TikTokStrategyOptionsWithRequest = { ...options, passReqToCallback: true };
export const withReq = new TikTokStrategy(withRequest, async (req, _at, _rt, profile) => ({
  id: profile.id,
  ip: req.ip ?? null,
}));
export const emulator = startTikTokEmulator;
`;

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'passport-tiktok-pack-'));
  try {
    step('npm pack');
    const packed = pack(work);
    const extracted = join(work, 'extracted');
    mkdirSync(extracted);
    run('tar', ['-xzf', packed.tarball, '-C', extracted, '--strip-components=1'], work);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    checkFileList(packed.files, extracted, readme);
    step(`tarball: ${packed.files.length} files, file list checked`);

    // One install shared by the three projects below (node and tsc look up the directory tree).
    const consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        packed.tarball,
        ...installSpecs(),
      ],
      consumer,
    );
    step('installed the tarball, its peers and the usual @types');

    const quickStart = readmeBlockAfter(readme, '## Quick start');
    const recipe = readmeBlockAfter(readme, '## Test your app with the emulator');
    for (const project of PROJECTS) {
      const dir = join(consumer, project.name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: project.type }) + '\n');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: { ...STRICT, ...project.compilerOptions, outDir: 'out', rootDir: '.' },
            include: ['*.ts'],
          },
          null,
          2,
        ),
      );
      writeFileSync(join(dir, 'app.ts'), quickStart);
      writeFileSync(join(dir, 'login.test.ts'), recipe);
      writeFileSync(join(dir, 'options.ts'), SPREAD_OPTIONS);
      run(process.execPath, [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
      step(`${project.name}: the Quick start, the recipe and spread options compile`);
      if (project.runs) {
        const out = run(
          process.execPath,
          [join(consumer, 'node_modules/mocha/bin/mocha.js'), '--exit', 'out/login.test.js'],
          dir,
        );
        if (!/1 passing/.test(out) || /failing/.test(out))
          fail(`${project.name}: mocha said\n${out}`);
        step(`${project.name}: the recipe's login passes under mocha`);
      }
    }
    step('the packed package works as the README says');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
