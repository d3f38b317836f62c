import { join } from 'node:path';
import ts from 'typescript';

/** The compiler options the package tests type-check the shipped types with. */
export const PACKAGE_TYPE_CHECK: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  target: ts.ScriptTarget.ES2022,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
};

/**
 * The public type surface of the built package, one line per item: every name an entry point's
 * `.d.ts` exports with its kind, and for classes and interfaces every public member with its
 * type. Private and protected members and `@internal` declarations (stripped from dist/) do not
 * appear. Lines are sorted, so a change shows as a small diff of the snapshot.
 */
export function apiSurface(root: string, entries: Record<string, string>): string[] {
  const files = Object.values(entries).map((entry) => join(root, entry));
  const program = ts.createProgram(files, PACKAGE_TYPE_CHECK);
  const checker = program.getTypeChecker();
  const lines: string[] = [];
  for (const [label, entry] of Object.entries(entries)) {
    const source = program.getSourceFile(join(root, entry));
    if (source === undefined) throw new Error(`${entry} not found: run npm run build`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const name = `${label}:${exported.getName()}`;
      const symbol =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      lines.push(`${name} ${kindOf(symbol)}`);
      if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
        lines.push(...membersOf(checker, symbol, name, join(root, 'dist')));
      }
    }
  }
  return lines.sort();
}

function kindOf(symbol: ts.Symbol): string {
  const kinds: [ts.SymbolFlags, string][] = [
    [ts.SymbolFlags.Class, 'class'],
    [ts.SymbolFlags.Interface, 'interface'],
    [ts.SymbolFlags.TypeAlias, 'type'],
    [ts.SymbolFlags.Function, 'function'],
    [ts.SymbolFlags.Variable, 'const'],
    [ts.SymbolFlags.Enum, 'enum'],
  ];
  const found = kinds.filter(([flag]) => symbol.flags & flag).map(([, kind]) => kind);
  return found.length > 0 ? found.join('+') : 'other';
}

/** Public, and declared by this package (members inherited from Error or passport-oauth2 are not). */
function isOwnPublic(declaration: ts.Declaration, dist: string): boolean {
  if (!declaration.getSourceFile().fileName.startsWith(dist)) return false;
  const flags = ts.getCombinedModifierFlags(declaration);
  return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
}

function membersOf(
  checker: ts.TypeChecker,
  symbol: ts.Symbol,
  owner: string,
  dist: string,
): string[] {
  const declaration = symbol.declarations?.[0];
  if (declaration === undefined) return [];
  const lines: string[] = [];
  const print = (member: ts.Symbol, prefix: string): void => {
    const decl = member.declarations?.[0];
    if (decl === undefined || !isOwnPublic(decl, dist)) return;
    const type = checker.typeToString(
      checker.getTypeOfSymbolAtLocation(member, decl),
      undefined,
      ts.TypeFormatFlags.NoTruncation,
    );
    const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
    lines.push(`${owner}${prefix}${member.getName()}${optional}: ${type}`);
  };
  const instance = checker.getDeclaredTypeOfSymbol(symbol);
  for (const member of checker.getPropertiesOfType(instance)) print(member, '#');
  if (symbol.flags & ts.SymbolFlags.Class) {
    const statics = checker.getTypeOfSymbolAtLocation(symbol, declaration);
    for (const member of checker.getPropertiesOfType(statics)) {
      if (member.getName() !== 'prototype') print(member, '.');
    }
    for (const signature of statics.getConstructSignatures()) {
      lines.push(
        `${owner} new${checker.signatureToString(signature, undefined, ts.TypeFormatFlags.NoTruncation)}`,
      );
    }
  }
  return lines;
}
