/** HTML building blocks: every value that is not a literal goes through `escapeHtml`. */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Markup that is already safe (built from literals and escaped values). */
export interface SafeHtml {
  readonly html: string;
}

/**
 * A tagged template that escapes every interpolated string and number, and inserts `SafeHtml`
 * (and arrays of it) as is: `html\`<p>${name}</p>\``.
 */
export function html(
  strings: TemplateStringsArray,
  ...values: (string | number | SafeHtml | readonly SafeHtml[])[]
): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

function render(value: string | number | SafeHtml | readonly SafeHtml[]): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  if (isSafeHtmlList(value)) return value.map((part) => part.html).join('');
  return value.html;
}

function isSafeHtmlList(value: SafeHtml | readonly SafeHtml[]): value is readonly SafeHtml[] {
  return Array.isArray(value);
}
