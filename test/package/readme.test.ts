import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import ts from 'typescript';
import { markdownFiles, tsBlocks } from '../support/markdown';

// Every ```ts block of README.md and docs/**/*.md is written to its own ES module next to the
// repo's sources (so `passport-tiktok` resolves to this package by self-reference, through dist/
// and its .d.ts) and compiled with the repo's strict settings.
const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'test', '.readme-blocks');

function documentedBlocks(): { file: string; line: number; code: string }[] {
  const files = markdownFiles(ROOT).filter((f) => f === 'README.md' || f.startsWith('docs/'));
  return files.flatMap((file) => tsBlocks(ROOT, file));
}

describe('package: README and docs/ code blocks', function () {
  this.timeout(60_000);
  after(() => rmSync(OUT, { recursive: true, force: true }));

  it('every ```ts block type-checks against the built package, exactOptionalPropertyTypes on or off', () => {
    const blocks = documentedBlocks();
    assert.ok(blocks.length >= 10, `expected the docs' code blocks, found ${blocks.length}`);
    assert.ok(
      blocks.some((b) => b.file === 'README.md'),
      'the README has a type-checked quick start',
    );
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const files = blocks.map((b, i) => {
      const name = b.file.replace(/[/.]/g, '_');
      const file = join(OUT, `block-${String(i + 1).padStart(2, '0')}-${name}-line-${b.line}.mts`);
      // The emulator snippet imports this repo's example app by a path relative to the root.
      // The emulator recipe imports the Quick start as `./app.js`: example/minimal.ts is it.
      const code = b.code
        .replace(
          /from '\.\/example\/app'/g,
          `from '${relative(OUT, join(ROOT, 'example', 'app.js')).replace(/\\/g, '/')}'`,
        )
        .replace(
          /from '\.\/app\.js'/g,
          `from '${relative(OUT, join(ROOT, 'example', 'minimal.js')).replace(/\\/g, '/')}'`,
        );
      writeFileSync(file, `export {};\n${code}`);
      return file;
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    assert.ok(config);
    // Twice: exactOptionalPropertyTypes off (the repo's setting) and on, as `tsc --init` sets it
    // (an option passed through from an optional value must type-check there too).
    const problems = [false, true].flatMap((exact) => {
      const program = ts.createProgram(files, {
        ...config.options,
        exactOptionalPropertyTypes: exact,
        noEmit: true,
      });
      return ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file !== undefined && files.includes(resolve(d.file.fileName)))
        .map((d) => {
          const where = d.file?.fileName.replace(`${OUT}/`, '') ?? '';
          const setting = exact ? ' (exactOptionalPropertyTypes)' : '';
          return `${where}${setting}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
        });
    });
    assert.deepEqual(problems, []);
  });

  it("the Quick start's files run as written in a CommonJS project (`npm init`'s default), which `npx tsx` compiles to CommonJS", () => {
    const files = tsBlocks(ROOT, 'README.md').flatMap((b) => {
      const name = /^\/\/ ([\w-]+\.ts) /.exec(b.code)?.[1];
      return name === undefined ? [] : [{ name, code: b.code }];
    });
    assert.deepEqual(
      files.map((f) => f.name),
      ['app.ts', 'server.ts', 'dev-server.ts'],
    );
    const problems = files.flatMap(({ name, code }) => {
      try {
        transformSync(code, { loader: 'ts', format: 'cjs', sourcefile: name });
        return [];
      } catch (err) {
        return [`${name}: ${err instanceof Error ? err.message : String(err)}`];
      }
    });
    assert.deepEqual(problems, []);
  });
});
