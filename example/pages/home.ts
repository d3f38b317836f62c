import { html, type SafeHtml } from '../html';
import type { ExampleUser } from '../user';
import { layout } from './layout';

export interface HomeView {
  user: ExampleUser | undefined;
  oauthEnabled: boolean;
  /** Which TikTok the login talks to. */
  tiktok: 'emulator' | 'tiktok';
  /** What just happened, confirmed at the top of the page. */
  done?: HomeConfirmation | undefined;
}

/** Confirmations the home page shows after a redirect (`/?done=<kind>`). */
export type HomeConfirmation = 'logged-out' | 'disconnected';

const CONFIRMATIONS: Record<HomeConfirmation, string> = {
  'logged-out': 'You are logged out.',
  disconnected:
    "TikTok is disconnected: this app's access was revoked at TikTok, its tokens deleted, and you are logged out.",
};

/** The confirmation for `?done=`, only for the known kinds (nothing is reflected). */
export function homeConfirmation(value: unknown): HomeConfirmation | undefined {
  return value === 'logged-out' || value === 'disconnected' ? value : undefined;
}

function confirmation(done: HomeConfirmation | undefined): SafeHtml {
  if (done === undefined) return html``;
  return html`<p class="notice" id="confirmation" role="status">${CONFIRMATIONS[done]}</p>`;
}

function loginButton(oauthEnabled: boolean): SafeHtml {
  if (!oauthEnabled) {
    return html`<p class="notice" id="login-disabled">
      Log in with TikTok is turned off right now. Please come back later.
    </p>`;
  }
  return html`<p><a class="button" id="login" href="/auth/tiktok">Log in with TikTok</a></p>`;
}

function emulatorNote(tiktok: HomeView['tiktok']): SafeHtml {
  if (tiktok !== 'emulator') return html``;
  return html`<p class="notice">
    TikTok here is the project's <strong>emulator</strong>: you will see its consent page, and can
    approve or deny. Set <code>TIKTOK_CLIENT_KEY</code>, <code>TIKTOK_CLIENT_SECRET</code> and
    <code>TIKTOK_REDIRECT_URI</code> to use the real TikTok.
  </p>`;
}

/** `/`: the login button, or a greeting when logged in. */
export function homePage(view: HomeView): string {
  const body =
    view.user === undefined
      ? html`${confirmation(view.done)}
          <h1>Welcome</h1>
          <p>This app shows "Log in with TikTok" with <code>passport-tiktok</code>.</p>
          ${loginButton(view.oauthEnabled)} ${emulatorNote(view.tiktok)}`
      : html`<h1>Hello, <span id="display-name">${view.user.displayName}</span></h1>
          <p><a class="button" id="profile" href="/profile">Your profile</a></p>`;
  return layout('Home', body);
}
