/** Small formatting helpers for the markdown tables. */

export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export const num = (value: number, digits = 0): string => value.toFixed(digits);

/** `a / b` as `1.23×`, or `—` when there is nothing to compare. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return '—';
  return `${(a / b).toFixed(2)}×`;
}

export const percent = (part: number, whole: number, digits = 1): string =>
  whole === 0 ? '—' : `${((100 * part) / whole).toFixed(digits)} %`;

/** The most frequent failures, `reason ×count`, for a table cell. */
export function topErrors(errors: Record<string, number>, limit = 2): string {
  const entries = Object.entries(errors).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '—';
  const shown = entries.slice(0, limit).map(([reason, count]) => `${reason} ×${count}`);
  return entries.length > limit ? `${shown.join('; ')}; …` : shown.join('; ');
}

/** A GitHub-flavoured markdown table with aligned columns (readable in a terminal too). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
