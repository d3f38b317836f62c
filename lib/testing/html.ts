const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A minimal page; `body` (and `head`, e.g. a `<style>`) must already be escaped. */
export function htmlPage(title: string, body: string, head = ''): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">${head}</head>`,
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** A line under an error message: text, then optionally a code snippet to copy. */
export interface ErrorDetail {
  readonly text: string;
  readonly code?: string;
}

function detailItem(detail: ErrorDetail): string {
  const code = detail.code === undefined ? '' : ` <code>${escapeHtml(detail.code)}</code>`;
  return `<li>${escapeHtml(detail.text)}${code}</li>`;
}

/**
 * The page TikTok stops on for configuration errors, with optional detail lines. NOTE: such
 * errors never reach the callback (https://developers.tiktok.com/doc/login-kit-web).
 */
export function errorPage(message: string, details: readonly ErrorDetail[] = []): string {
  const list =
    details.length === 0 ? [] : [`<ul id="error-details">${details.map(detailItem).join('')}</ul>`];
  return htmlPage(
    'TikTok emulator - error',
    [
      '<h1>Something went wrong</h1>',
      `<p id="error" data-error="${escapeHtml(message)}">${escapeHtml(message)}</p>`,
      ...list,
    ].join('\n'),
  );
}
