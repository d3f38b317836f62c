import { html, type SafeHtml } from '../html';

const STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
  .button { display: inline-block; padding: .6rem 1.2rem; border-radius: .5rem; border: 0;
    background: #fe2c55; color: #fff; font: inherit; text-decoration: none; cursor: pointer; }
  .button.secondary { background: #555; }
  form { display: inline; margin-right: .5rem; }
  .notice { padding: .75rem 1rem; border-radius: .5rem; background: #8882; }
  img.avatar { width: 96px; height: 96px; border-radius: 50%; object-fit: cover; background: #8884; }
  dt { font-weight: 600; } dd { margin: 0 0 .5rem 0; }
  code { overflow-wrap: anywhere; }
`;

/** The example's icon: a note on TikTok's pink, served as /favicon.svg and /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#fe2c55"/><path d="M18 6v13.5a4.5 4.5 0 1 1-4.5-4.5h1v3.2h-1a1.3 1.3 0 1 0 1.3 1.3V6z M18 6c.4 3 2.3 4.8 5 5v3.2c-2 0-3.6-.7-5-1.8" fill="#fff"/></svg>`;

/** A whole page: the same head, styles and header everywhere. No scripts, no external assets. */
export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · passport-tiktok example</title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <style>
          ${{ html: STYLE }}
        </style>
      </head>
      <body>
        <header><a href="/">passport-tiktok example</a></header>
        <main>${body}</main>
      </body>
    </html> `.html;
}
