import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const BENCH = join(__dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Transpiles the app side of the bench (bench/app, bench/cold, fields.ts, dist.ts) to CommonJS
 * JavaScript under `outDir`, mirroring bench/'s layout, so cold processes run plain node. Run it
 * with `BENCH_PACKAGE_DIR` pointing at dist/ (the relative path of bench/dist.ts moves with it).
 * Returns the JavaScript path of bench/cold/first-login-child.ts.
 */
export function compileColdChild(outDir: string): string {
  rmSync(outDir, { recursive: true, force: true });
  const files = [
    ...tsFiles(join(BENCH, 'app')),
    ...tsFiles(join(BENCH, 'cold')),
    join(BENCH, 'fields.ts'),
    join(BENCH, 'dist.ts'),
  ];
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
      fileName: file,
    });
    const out = join(outDir, relative(BENCH, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  return join(outDir, 'cold', 'first-login-child.js');
}
