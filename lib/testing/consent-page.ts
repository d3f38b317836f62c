import { AUTHORIZE_PARAMS, type AuthorizeRequest } from './authorize-params';
import { escapeHtml, htmlPage } from './html';
import { ENDPOINT_PATHS } from './routes';
import { SCOPE_DESCRIPTIONS } from './scopes';
import type { EmulatorUser } from './types';

/** The scope a user cannot untick on TikTok's consent screen. */
export const MANDATORY_SCOPE = 'user.info.basic';

/**
 * A hidden field of the consent form. NOTE: a browser posts no `granted_scope` at all when the
 * user unticked every box; this field tells that post (nothing granted beyond `user.info.basic`)
 * from a scripted one that sends no `granted_scope` (every requested scope granted).
 */
export const CONSENT_FORM_FIELD = 'consent_form';

/** Inline styles only (no script, no external resource), close to TikTok's own screen. */
const STYLE = `<style>
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; background: #f1f1f2; color: #161823;
    font: 15px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
  header { display: flex; align-items: center; gap: 8px; padding: 14px 24px; background: #fff;
    border-bottom: 1px solid #e3e3e4; }
  header .logo { width: 28px; height: 28px; border-radius: 8px; background: #161823; color: #fff;
    display: grid; place-items: center; font-weight: 700; box-shadow: -2px -2px 0 #25f4ee inset, 2px 2px 0 #fe2c55 inset; }
  header h1 { margin: 0; font-size: 17px; font-weight: 700; }
  main { max-width: 440px; margin: 32px auto; padding: 28px 28px 24px; background: #fff;
    border-radius: 12px; box-shadow: 0 2px 12px rgba(22, 24, 35, .08); }
  h2 { margin: 0 0 4px; font-size: 21px; text-align: center; }
  .sub { margin: 0 0 20px; color: #75767c; text-align: center; font-size: 14px; }
  .account { display: flex; align-items: center; gap: 12px; padding: 12px; border: 1px solid #e3e3e4;
    border-radius: 10px; margin: 0 0 6px; cursor: pointer; }
  .account img { width: 48px; height: 48px; border-radius: 50%; flex: none; background: #e3e3e4; }
  .account .name { font-weight: 600; }
  .account .handle { color: #75767c; font-size: 13px; }
  .account input { margin-left: auto; accent-color: #fe2c55; }
  h3 { margin: 20px 0 8px; font-size: 14px; color: #75767c; font-weight: 600; }
  ul#scopes { list-style: none; margin: 0; padding: 0; }
  ul#scopes li { display: flex; align-items: flex-start; gap: 10px; padding: 10px 0;
    border-bottom: 1px solid #f1f1f2; }
  ul#scopes input { margin-top: 3px; accent-color: #fe2c55; width: 16px; height: 16px; flex: none; }
  ul#scopes label { display: block; }
  ul#scopes code, .redirect code { display: block; color: #75767c; font-size: 12px; }
  .redirect { margin: 16px 0 0; font-size: 13px; color: #75767c; }
  .redirect code { display: inline; word-break: break-all; }
  .actions { display: flex; flex-direction: row-reverse; gap: 12px; margin-top: 22px; }
  .actions button { flex: 1; padding: 11px 0; border-radius: 8px; font: inherit; font-weight: 600;
    cursor: pointer; border: 1px solid transparent; }
  #approve { background: #fe2c55; color: #fff; }
  #deny { background: #fff; color: #161823; border-color: #d0d0d3; }
  footer { text-align: center; font-size: 12px; color: #8a8b91; margin: -16px 0 32px; }
</style>`;

function hiddenInput(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function scopeItem(scope: string): string {
  const id = `scope-${scope.replace(/[^a-z0-9]/gi, '-')}`;
  const description = SCOPE_DESCRIPTIONS.get(scope) ?? scope;
  const label = `<label for="${id}">${escapeHtml(description)}<code>${escapeHtml(scope)}</code></label>`;
  if (scope === MANDATORY_SCOPE) {
    // A disabled checkbox is not submitted: the hidden input carries the mandatory scope.
    return `<li><input type="checkbox" id="${id}" checked disabled>${hiddenInput('granted_scope', scope)} ${label}</li>`;
  }
  return `<li><input type="checkbox" id="${id}" name="granted_scope" value="${escapeHtml(scope)}" checked> ${label}</li>`;
}

function accountCard(user: EmulatorUser, control: string): string {
  return [
    `<label class="account">`,
    `<img src="${escapeHtml(user.avatarUrl100)}" alt="" width="48" height="48">`,
    `<span><span class="name">${escapeHtml(user.displayName)}</span><br>`,
    `<span class="handle">@${escapeHtml(user.username)}</span></span>`,
    control,
    '</label>',
  ].join('');
}

/** The account that logs in: a card for a single user, a radio card per user otherwise. */
function userChooser(users: readonly EmulatorUser[]): string {
  const [only] = users;
  if (users.length === 1 && only !== undefined) {
    return `<div id="user">${accountCard(only, hiddenInput('open_id', only.openId))}</div>`;
  }
  const cards = users.map((user, index) =>
    accountCard(
      user,
      `<input type="radio" name="open_id" value="${escapeHtml(user.openId)}"${index === 0 ? ' checked' : ''} aria-label="Log in as ${escapeHtml(user.displayName)}">`,
    ),
  );
  return `<div id="user" role="radiogroup" aria-label="Log in as">${cards.join('')}</div>`;
}

/**
 * The consent screen: the app's name, the account that logs in (with its avatar), each requested
 * scope with what it allows (ticked), Approve / Deny. The form posts the original parameters back
 * to the authorize endpoint, with `consent_form=1`: the ticked boxes then decide what is granted,
 * even when none is ticked. Everything reflected is escaped.
 */
export function renderConsentPage(
  params: URLSearchParams,
  request: AuthorizeRequest,
  users: readonly EmulatorUser[],
  appName: string,
): string {
  const hidden = AUTHORIZE_PARAMS.flatMap((name) => {
    const value = params.get(name);
    return value === null ? [] : [hiddenInput(name, value)];
  });
  const app = escapeHtml(appName);
  const body = [
    '<header><span class="logo" aria-hidden="true">&#9834;</span><h1>TikTok emulator</h1></header>',
    '<main>',
    `<h2 id="app-name">${app}</h2>`,
    `<p class="sub">${app} would like to access your TikTok account</p>`,
    `<form method="post" action="${ENDPOINT_PATHS.authorize}">`,
    ...hidden,
    hiddenInput(CONSENT_FORM_FIELD, '1'),
    userChooser(users),
    `<h3>${app} will be able to:</h3>`,
    `<ul id="scopes">${request.scopes.map(scopeItem).join('')}</ul>`,
    `<p class="redirect">You will be sent back to <code id="redirect-uri">${escapeHtml(request.redirectUri)}</code></p>`,
    '<div class="actions">',
    '<button type="submit" id="approve" name="decision" value="approve">Approve</button>',
    '<button type="submit" id="deny" name="decision" value="deny">Deny</button>',
    '</div>',
    '</form>',
    '</main>',
    '<footer>This is a local emulator of TikTok Login Kit: no TikTok account is involved.</footer>',
  ];
  return htmlPage(`${appName} - Log in with TikTok (emulator)`, body.join('\n'), STYLE);
}
