import { ERROR_CODE_INFO, type TikTokLoginFailure } from 'passport-tiktok';
import { html } from '../html';
import type { ExampleUser } from '../user';
import { layout } from './layout';

/** A heading people understand, by kind of failure. */
function headline(failure: TikTokLoginFailure): string {
  if (failure.code === 'ACCESS_DENIED') return 'You cancelled the TikTok login';
  if (failure.code === 'INVALID_STATE') return 'Your login expired';
  if (failure.code === 'SERVICE_UNAVAILABLE') return 'Login is unavailable right now';
  if (ERROR_CODE_INFO[failure.code].retryable) return 'TikTok is unavailable right now';
  return 'We could not log you in with TikTok';
}

/**
 * `/login-failed`: why the last login failed (a fixed message chosen by the error code, nothing
 * reflected from the request) and the correlation ID to quote to support.
 */
export function loginFailedPage(
  failure: TikTokLoginFailure | undefined,
  user?: ExampleUser,
): string {
  if (failure?.code === 'INVALID_STATE' && user !== undefined) {
    // A reload or an old tab of a login that already finished: nothing is wrong.
    return layout(
      'Already logged in',
      html`<h1 id="headline">This login link has expired — you are still logged in</h1>
        <p>
          You are logged in as <strong id="display-name">${user.displayName}</strong>; the link you
          followed belonged to a login that is finished or expired. Nothing else to do.
        </p>
        <p><a class="button" id="home" href="/">Go to the home page</a></p>`,
    );
  }
  if (failure === undefined) {
    return layout(
      'Log in',
      html`<h1>Log in</h1>
        <p>There is no failed login to show.</p>
        <p><a class="button" id="login" href="/auth/tiktok">Log in with TikTok</a></p>`,
    );
  }
  // No reference when the failure page's link carried none that may be shown.
  const reference =
    failure.correlationId === undefined
      ? html``
      : html` · reference <code id="correlation-id">${failure.correlationId}</code> (quote it if you
          contact support)`;
  const body = html`<h1 id="headline">${headline(failure)}</h1>
    <p id="message">${failure.message}</p>
    <p>Reason <code id="code">${failure.code}</code>${reference}.</p>
    <p><a class="button" id="login" href="/auth/tiktok">Try again</a> <a href="/">Home</a></p>`;
  return layout('Login failed', body);
}
