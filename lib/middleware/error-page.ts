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

/**
 * The first `max` UTF-16 units of `text`, one fewer when the last would be the first half of a
 * surrogate pair (an emoji): a lone surrogate becomes U+FFFD in a UTF-8 page, and `\ud83d` in
 * JSON, which strict parsers refuse.
 */
export function sliceWhole(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Each run of control characters made one space, then cut to `max` UTF-16 units (adding …). */
export function truncateText(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${sliceWhole(flat, max)}…` : flat;
}

export interface ErrorPageInput {
  status: number;
  code: string;
  message: string;
  correlationId: string;
  /** The error ended a TikTok login (not another page's call to TikTok). */
  login: boolean;
}

/**
 * The page's title and heading. NOTE: `SERVICE_UNAVAILABLE` is also what `tiktokSessionGuard`
 * answers on any page while the session store is down, not only at login: its page does not say
 * the login failed. Neither does the page of an error from another TikTok call of the app (a
 * token manager's on a logged-in page, a session ended by a webhook).
 */
function headings(input: Pick<ErrorPageInput, 'code' | 'status' | 'login'>): {
  title: string;
  heading: string;
} {
  const { code, status } = input;
  if (code === 'SERVICE_UNAVAILABLE') {
    return {
      title: `Temporarily unavailable (${status})`,
      heading: 'This page is temporarily unavailable',
    };
  }
  return input.login
    ? { title: `Login problem (${status})`, heading: 'We could not log you in with TikTok' }
    : { title: `TikTok problem (${status})`, heading: 'Something went wrong with TikTok' };
}

/** A small, self-contained error page: every value escaped, no scripts, no external assets. */
export function renderErrorPage(input: ErrorPageInput): string {
  const message = escapeHtml(truncateText(input.message, 500));
  const { title, heading } = headings(input);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">',
    `<h1>${escapeHtml(heading)}</h1>`,
    `<p id="message">${message}</p>`,
    `<p>Error <code id="code">${escapeHtml(input.code)}</code>, reference <code id="correlation-id">${escapeHtml(input.correlationId)}</code></p>`,
    '</body></html>',
  ].join('\n');
}
