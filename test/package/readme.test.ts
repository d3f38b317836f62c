import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

// style.md: README code blocks are type-checked. Every ```ts block of README.md is written to
// its own ES module next to the repo's sources (so `passport-tiktok` resolves to this package by
// self-reference, through dist/ and its .d.ts) and compiled with the repo's strict settings.
const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'test', '.readme-blocks');

function readmeBlocks(): { line: number; code: string }[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks: { line: number; code: string }[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    blocks.push({ line: text.slice(0, m.index).split('\n').length, code: m[1] ?? '' });
  }
  return blocks;
}

describe('README code blocks', function () {
  this.timeout(60_000);
  after(() => rmSync(OUT, { recursive: true, force: true }));

  it('every ```ts block type-checks against the built package', () => {
    const blocks = readmeBlocks();
    assert.ok(blocks.length >= 8, `expected the README's code blocks, found ${blocks.length}`);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const files = blocks.map((b, i) => {
      const file = join(OUT, `block-${String(i + 1).padStart(2, '0')}-line-${b.line}.mts`);
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
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.includes(resolve(d.file.fileName)))
      .map((d) => {
        const where = d.file?.fileName.replace(`${OUT}/`, '') ?? '';
        return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    assert.deepEqual(problems, []);
  });
});
