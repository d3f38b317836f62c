import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Folders whose Markdown is not the repository's own (dependencies, build and run outputs). */
const SKIP_NAMES = new Set(['node_modules', 'dist', 'coverage', '.c8_output', '.git']);
const SKIP_PATHS = new Set([
  join('docs', 'api'),
  join('bench', 'results'),
  join('test', '.readme-blocks'),
]);

/** Every Markdown file of the repository, as paths relative to `root`, sorted. */
export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (SKIP_NAMES.has(name) || SKIP_PATHS.has(rel)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) found.push(rel);
    }
  };
  walk(root);
  return found.sort();
}

export interface CodeBlock {
  file: string;
  line: number;
  code: string;
}

/** The ```ts blocks of one Markdown file. */
export function tsBlocks(root: string, file: string): CodeBlock[] {
  const text = readFileSync(join(root, file), 'utf8');
  const blocks: CodeBlock[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m !== null; m = fence.exec(text)) {
    blocks.push({ file, line: text.slice(0, m.index).split('\n').length, code: m[1] ?? '' });
  }
  return blocks;
}

/** The text outside fenced code blocks and inline code, where links are links. */
function prose(text: string): string {
  return text.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1\s*$/gm, '').replace(/`+[^`\n]*`+/g, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces become hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file's headings define (duplicates get GitHub's `-1`, `-2`…). */
export function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const m of prose(readFileSync(path, 'utf8')).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${String(n)}`);
  }
  return result;
}

export interface Link {
  file: string;
  target: string;
}

/**
 * Where the repository's files are on GitHub. Docs that npm ships link to files it does not ship
 * (bench/, example/) by this address, which the link check resolves in the working tree.
 */
export const REPOSITORY_BLOB = 'https://github.com/passport-tiktok/passport-tiktok/blob/main/';

/**
 * The relative links (inline and reference-style) of one Markdown file, and its links to the
 * repository's own files on GitHub ({@link REPOSITORY_BLOB}).
 */
export function relativeLinks(root: string, file: string): Link[] {
  const text = prose(readFileSync(join(root, file), 'utf8'));
  const targets = [
    ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ''),
    ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] ?? ''),
  ];
  return targets
    .filter((t) => t !== '' && (t.startsWith(REPOSITORY_BLOB) || !/^[a-z][a-z0-9+.-]*:/i.test(t)))
    .map((target) => ({ file, target }));
}

/** The repository path a link points to (`#anchor` dropped), relative to the root. */
export function linkedPath(root: string, link: Link): string {
  const [pathPart = ''] = link.target.split('#', 1);
  if (pathPart.startsWith(REPOSITORY_BLOB)) {
    return relative(root, resolve(root, decodeURI(pathPart.slice(REPOSITORY_BLOB.length))));
  }
  return pathPart === ''
    ? link.file
    : relative(root, resolve(root, dirname(link.file), decodeURI(pathPart)));
}

/**
 * Why a relative link does not resolve, or undefined when it does. `#anchor`s into Markdown files
 * are checked against their headings; the API reference (docs/api/, generated Markdown) is
 * committed, so links into it are checked like any other.
 */
export function brokenLink(root: string, link: Link): string | undefined {
  const [, anchor] = link.target.split('#', 2);
  const path = join(root, linkedPath(root, link));
  if (!existsSync(path)) return `no such file: ${relative(root, path)}`;
  if (anchor === undefined || anchor === '' || !path.endsWith('.md')) return undefined;
  return anchors(path).has(anchor)
    ? undefined
    : `no heading for #${anchor} in ${relative(root, path)}`;
}
