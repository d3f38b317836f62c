import { html } from '../html';
import { layout } from './layout';

/** 503 for the login routes while `TIKTOK_OAUTH_ENABLED=false`. */
export function loginDisabledPage(): string {
  return layout(
    'Login unavailable',
    html`<h1 id="headline">Log in with TikTok is turned off</h1>
      <p>
        Logging in with TikTok is temporarily disabled. You can keep using the rest of the site;
        please try logging in again later.
      </p>
      <p><a href="/">Home</a></p>`,
  );
}

/** 404. */
export function notFoundPage(): string {
  return layout(
    'Not found',
    html`<h1>Page not found</h1>
      <p><a href="/">Home</a></p>`,
  );
}

/** 500: no details, only the reference that is also in the log line. */
export function serverErrorPage(correlationId: string): string {
  return layout(
    'Something went wrong',
    html`<h1>Something went wrong</h1>
      <p>Please try again. Reference <code id="correlation-id">${correlationId}</code>.</p>
      <p><a href="/">Home</a></p>`,
  );
}
