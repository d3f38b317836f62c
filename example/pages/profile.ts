import { html, type SafeHtml } from '../html';
import type { ExampleUser } from '../user';
import { layout } from './layout';

export interface ProfileView {
  user: ExampleUser;
  /** Scopes the user granted (from the stored token response); empty when unknown. */
  scopes: readonly string[];
  /** When the access token expires (epoch ms); undefined when no tokens are stored. */
  accessTokenExpiresAt: number | undefined;
  /** Clock for "in N minutes". */
  now: number;
  /** The emulator only: its page where the user removes this app's access, as in the TikTok app. */
  tiktokDisconnectUrl?: string;
}

function tiktokSide(url: string | undefined): SafeHtml {
  if (url === undefined) return html``;
  return html`<p>
    <a class="button secondary" id="disconnect-in-tiktok" href="${url}"
      >Disconnect this app in TikTok</a
    >
    (the emulator's "manage app permissions" page: TikTok then tells this app by webhook, and your
    session here ends at your next page load)
  </p>`;
}

/**
 * Only http(s) images: anything else (say `javascript:`) is not rendered. Decorative (empty
 * alt): the display name is next to it, and an avatar that does not load shows as a plain disc.
 */
function avatar(url: string | undefined): SafeHtml {
  if (url === undefined) return html``;
  try {
    const { protocol } = new URL(url);
    if (protocol !== 'https:' && protocol !== 'http:') return html``;
  } catch {
    return html``;
  }
  return html`<img class="avatar" id="avatar" src="${url}" alt="" referrerpolicy="no-referrer" />`;
}

function expiry(expiresAt: number | undefined, now: number): SafeHtml {
  if (expiresAt === undefined) {
    return html`<span id="token-expiry">no TikTok tokens stored (disconnected)</span>`;
  }
  return html`<time id="token-expiry" datetime="${new Date(expiresAt).toISOString()}"
      >${new Date(expiresAt).toISOString()}</time
    >
    (<span id="token-expiry-relative">${relativeTime(expiresAt - now)}</span>)`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** `in 24 hours`, `in 5 minutes`, `3 days ago`: what a person reads, not milliseconds. */
export function relativeTime(deltaMs: number): string {
  const minutes = Math.round(Math.abs(deltaMs) / 60_000);
  let amount: string;
  if (minutes < 1) amount = 'less than a minute';
  else if (minutes < 90) amount = plural(minutes, 'minute');
  else if (minutes < 48 * 60) amount = plural(Math.round(minutes / 60), 'hour');
  else amount = plural(Math.round(minutes / (24 * 60)), 'day');
  return deltaMs >= 0 ? `in ${amount}` : `${amount} ago`;
}

/** `/profile` without a login: what the page is, and the way in (back here afterwards). */
export function loggedOutProfilePage(): string {
  return layout(
    'Profile',
    html`<h1 id="headline">You are not logged in</h1>
      <p>Your profile shows who you are on TikTok once you have logged in with TikTok.</p>
      <p>
        <a class="button" id="login" href="/auth/tiktok?returnTo=/profile">Log in with TikTok</a>
        <a href="/">Home</a>
      </p>`,
  );
}

/** `/profile`: who you are on TikTok, and the token's lifetime — never the token itself. */
export function profilePage(view: ProfileView): string {
  const { user } = view;
  const scopes = view.scopes.map((scope) => html`<li>${scope}</li>`);
  const username =
    user.username === undefined
      ? html``
      : html`<dt>Username</dt>
          <dd>@${user.username}</dd>`;
  const body = html`<h1>Your TikTok profile</h1>
    ${avatar(user.avatarUrl)}
    <dl>
      <dt>Display name</dt>
      <dd id="display-name">${user.displayName}</dd>
      ${username}
      <dt>open_id</dt>
      <dd><code id="open-id">${user.id}</code></dd>
      <dt>Granted scopes</dt>
      <dd>
        <ul id="scopes">
          ${scopes}
        </ul>
      </dd>
      <dt>Access token expires</dt>
      <dd>${expiry(view.accessTokenExpiresAt, view.now)}</dd>
    </dl>
    <form method="post" action="/logout">
      <button class="button secondary" id="logout" type="submit">Log out</button>
    </form>
    <form method="post" action="/disconnect">
      <button class="button" id="disconnect" type="submit">Disconnect TikTok</button>
    </form>
    <p>
      Disconnect revokes this app's access at TikTok, deletes the stored tokens and logs you out.
    </p>
    ${tiktokSide(view.tiktokDisconnectUrl)}`;
  return layout('Profile', body);
}
