import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Every log line the package writes is listed in docs/operations.md ("Logs and correlation
// IDs"), the table operators search when a line shows up: a line added to lib/ without its row
// fails here. A line's text is matched up to its first parenthesis (the table may shorten what
// follows with "…"); lines whose area is computed (`${operation} - failure`) are matched by their
// event; lines whose event is computed (`circuit - ${state}`) have rows of their own, by hand.
const ROOT = resolve(__dirname, '../..');
const CATALOGUE = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
const LINE = /\[TikTokOAuth\] ([^'`"]*)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** What the table must contain for one line of the source, or undefined when it cannot say. */
function catalogueKey(line: string): string | undefined {
  const cut = line.indexOf(' (');
  const text = (cut === -1 ? line : line.slice(0, cut)).trimEnd();
  const separator = text.indexOf(' - ');
  if (separator === -1) return undefined; // `<area> - <event>` in a comment
  const area = text.slice(0, separator);
  const event = text.slice(separator + 3);
  if (event.includes('${') || event === '' || event.startsWith('<')) return undefined;
  return area.includes('${') ? `- ${event}` : `\`${text}`;
}

describe('package: the log-line catalogue (docs/operations.md)', () => {
  const lines = new Map<string, string>();
  for (const file of sources(join(ROOT, 'lib'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(LINE)) {
      const key = catalogueKey(match[1] ?? '');
      if (key !== undefined) lines.set(key, file.slice(ROOT.length + 1));
    }
  }

  it('finds the lines of the source (the scan works)', () => {
    assert.ok(lines.size >= 30, `only ${lines.size} lines found`);
    assert.ok(lines.has('`login - failure'));
    assert.ok(lines.has('- failure'));
  });

  it('lists every one of them', () => {
    const missing = [...lines].filter(([key]) => !CATALOGUE.includes(key));
    assert.deepEqual(
      missing.map(([key, file]) => `${key} (${file})`),
      [],
      'add a row for each to the table in docs/operations.md',
    );
  });
});
