// The describe convention of test/ (docs/development.md, "Tests"): the top-level describe names
// what a user sees — an export, a lib/ module, a repository file, or a prefixed subject — and a
// second-level '#name' is a member of the class the top level names. Read from the sources with
// the TypeScript parser, so nothing runs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface Subjects {
  /** Exported names of every lib/ module (the package's entry points included). */
  readonly exports: ReadonlySet<string>;
  /** Member names of every exported class of lib/, by class name. */
  readonly classMembers: ReadonlyMap<string, ReadonlySet<string>>;
  /** Exported names of example/ modules. */
  readonly exampleExports: ReadonlySet<string>;
  /** URL paths ('/profile') written as string literals in example/. */
  readonly exampleRoutes: ReadonlySet<string>;
  /** Repository root, to resolve module and file names. */
  readonly root: string;
}

function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(path, keep);
    return keep(path) ? [path] : [];
  });
}

const parse = (file: string): ts.SourceFile =>
  ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

const hasExport = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Names a module exports (declarations and `export { … }`; `export *` is followed). */
function exportedNames(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const names: string[] = [];
  for (const s of parse(file).statements) {
    if (ts.isExportDeclaration(s)) {
      if (s.exportClause && ts.isNamedExports(s.exportClause)) {
        names.push(...s.exportClause.elements.map((e) => e.name.text));
      } else if (!s.exportClause && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) {
        const target = join(dirname(file), s.moduleSpecifier.text);
        const resolved = [`${target}.ts`, join(target, 'index.ts')].find((f) => existsSync(f));
        if (resolved !== undefined) names.push(...exportedNames(resolved, seen));
      }
    } else if (hasExport(s)) {
      if (ts.isVariableStatement(s)) {
        for (const d of s.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) names.push(d.name.text);
        }
      } else if (
        (ts.isFunctionDeclaration(s) ||
          ts.isClassDeclaration(s) ||
          ts.isInterfaceDeclaration(s) ||
          ts.isTypeAliasDeclaration(s) ||
          ts.isEnumDeclaration(s)) &&
        s.name !== undefined
      ) {
        names.push(s.name.text);
      }
    }
  }
  return names;
}

/** Members of exported classes, with those of a superclass declared in lib/. */
function classMembers(files: readonly string[]): Map<string, Set<string>> {
  const own = new Map<string, { members: Set<string>; base?: string }>();
  for (const file of files) {
    for (const s of parse(file).statements) {
      if (!ts.isClassDeclaration(s) || s.name === undefined || !hasExport(s)) continue;
      const members = new Set<string>();
      for (const m of s.members) {
        if (m.name !== undefined && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) {
          members.add(m.name.text);
        }
      }
      const base = s.heritageClauses
        ?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
        ?.types[0]?.expression.getText();
      own.set(s.name.text, { members, base });
    }
  }
  const all = new Map<string, Set<string>>();
  for (const [name] of own) {
    const members = new Set<string>();
    for (let c = own.get(name); c !== undefined; c = c.base ? own.get(c.base) : undefined) {
      for (const m of c.members) members.add(m);
    }
    all.set(name, members);
  }
  return all;
}

export function loadSubjects(root: string): Subjects {
  const isSource = (f: string): boolean => f.endsWith('.ts') && !f.endsWith('.d.ts');
  const libFiles = walk(join(root, 'lib'), isSource);
  const exampleFiles = walk(join(root, 'example'), isSource);
  const routes = new Set<string>();
  for (const file of exampleFiles) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](\/[\w/.-]*)['"`]/g)) {
      routes.add(m[1]!);
    }
  }
  return {
    exports: new Set(libFiles.flatMap((f) => exportedNames(f))),
    classMembers: classMembers(libFiles),
    exampleExports: new Set(exampleFiles.flatMap((f) => exportedNames(f))),
    exampleRoutes: routes,
    root,
  };
}

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

/** Why a top-level describe title breaks the convention in `file` (repository-relative), or undefined. */
export function topLevelProblem(title: string, file: string, s: Subjects): string | undefined {
  const dir = file.split('/').slice(0, 2).join('/');
  const prefixed = /^([a-z ]+): (.+)$/.exec(title);
  if (prefixed !== null) {
    const [, prefix, subject] = prefixed as unknown as [string, string, string];
    switch (prefix) {
      case 'fuzz':
        return topLevelProblem(subject, file, s);
      case 'emulator':
        return isFile(join(s.root, 'lib', 'testing', `${subject}.ts`))
          ? undefined
          : `'emulator: ${subject}' names no module of lib/testing/`;
      case 'example app':
        return s.exampleExports.has(subject) || s.exampleRoutes.has(subject)
          ? undefined
          : `'example app: ${subject}' is neither an export of example/ nor one of its routes`;
      case 'package':
        return dir === 'test/package' ? undefined : `'package: …' belongs in test/package/`;
      case 'bench':
        if (dir !== 'test/bench') return `'bench: …' belongs in test/bench/`;
        return existsSync(join(s.root, 'bench', subject)) ||
          existsSync(join(s.root, 'bench', `${subject}.ts`))
          ? undefined
          : `'bench: ${subject}' names nothing in bench/`;
      default:
        return `'${prefix}:' is not a describe prefix (security and other suites go under the module they test)`;
    }
  }
  if (s.exports.has(title)) return undefined;
  if (
    isFile(join(s.root, 'lib', `${title}.ts`)) ||
    isFile(join(s.root, 'lib', title, 'index.ts'))
  ) {
    return undefined;
  }
  if (!/^(lib|test)\//.test(title) && isFile(join(s.root, title))) return undefined;
  return `'${title}' is not an export, a lib/ module, a repository file or a prefixed subject`;
}

const isCall = (n: ts.Node, name: string): n is ts.CallExpression =>
  ts.isCallExpression(n) &&
  (ts.isIdentifier(n.expression)
    ? n.expression.text === name
    : ts.isPropertyAccessExpression(n.expression) &&
      ts.isIdentifier(n.expression.expression) &&
      n.expression.expression.text === name);

const literalTitle = (c: ts.CallExpression): string | undefined => {
  const a = c.arguments[0];
  return a !== undefined && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a))
    ? a.text
    : undefined;
};

/** Every break of the convention in one test source (`file` is repository-relative). */
export function problemsIn(file: string, source: string, s: Subjects): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  const at = (n: ts.Node): string =>
    `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  let tops = 0;
  const visit = (n: ts.Node, parents: readonly (string | undefined)[]): void => {
    if (isCall(n, 'describe')) {
      const title = literalTitle(n);
      if (parents.length === 0) {
        tops += 1;
        if (title === undefined) problems.push(`${at(n)}: a top-level describe title is a literal`);
        else {
          const why = topLevelProblem(title, file, s);
          if (why !== undefined) problems.push(`${at(n)}: ${why}`);
          if (file.endsWith('.fuzz.test.ts') !== title.startsWith('fuzz: ')) {
            problems.push(`${at(n)}: 'fuzz: …' suites are exactly those of *.fuzz.test.ts`);
          }
        }
      } else if (title?.startsWith('#') === true) {
        const owner = parents[0];
        const name = /^#(\w+)/.exec(title)?.[1] ?? '';
        const members = owner === undefined ? undefined : s.classMembers.get(owner);
        if (parents.length !== 1 || members === undefined || !members.has(name)) {
          problems.push(
            `${at(n)}: '${title}' is not a member of the class '${owner ?? '?'}' above it`,
          );
        }
      }
      ts.forEachChild(n, (c) => visit(c, [...parents, title]));
      return;
    }
    if (isCall(n, 'it') && parents.length === 0) {
      problems.push(`${at(n)}: it() outside any describe`);
      return;
    }
    ts.forEachChild(n, (c) => visit(c, parents));
  };
  visit(sf, []);
  const usesSuite = sf.statements.some(
    (st) =>
      ts.isImportDeclaration(st) &&
      ts.isStringLiteral(st.moduleSpecifier) &&
      st.moduleSpecifier.text.endsWith('.suite'),
  );
  if (file.endsWith('.test.ts') && tops === 0 && !usesSuite) {
    problems.push(`${file}: no top-level describe`);
  }
  return problems;
}

/** The test sources the convention applies to: *.test.ts and *.suite.ts outside test/support/. */
export function testSources(root: string): string[] {
  return walk(join(root, 'test'), (f) => /\.(test|suite)\.ts$/.test(f))
    .map((f) => relative(root, f).split(sep).join('/'))
    .filter((f) => !f.startsWith('test/support/'))
    .sort();
}
