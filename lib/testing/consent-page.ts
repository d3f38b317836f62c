import { AUTHORIZE_PARAMS, type AuthorizeRequest } from './authorize-params';
import { escapeHtml, htmlPage } from './html';
import { ENDPOINT_PATHS } from './routes';
import type { EmulatorUser } from './types';

/** The scope a user cannot untick on TikTok's consent screen. */
export const MANDATORY_SCOPE = 'user.info.basic';

function hiddenInput(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function scopeCheckbox(scope: string): string {
  const id = `scope-${scope.replace(/[^a-z0-9]/gi, '-')}`;
  const label = `<label for="${id}">${escapeHtml(scope)}</label>`;
  if (scope === MANDATORY_SCOPE) {
    // A disabled checkbox is not submitted: the hidden input carries the mandatory scope.
    return `<li><input type="checkbox" id="${id}" checked disabled>${hiddenInput('granted_scope', scope)} ${label}</li>`;
  }
  return `<li><input type="checkbox" id="${id}" name="granted_scope" value="${escapeHtml(scope)}" checked> ${label}</li>`;
}

function userChooser(users: readonly EmulatorUser[]): string {
  const [only] = users;
  if (users.length === 1 && only !== undefined) {
    return `<p>Logging in as <strong>${escapeHtml(only.displayName)}</strong> (@${escapeHtml(only.username)})</p>${hiddenInput('open_id', only.openId)}`;
  }
  const options = users.map(
    (user) =>
      `<option value="${escapeHtml(user.openId)}">${escapeHtml(user.displayName)} (@${escapeHtml(user.username)})</option>`,
  );
  return `<p><label for="open_id">Log in as</label> <select id="open_id" name="open_id">${options.join('')}</select></p>`;
}

/**
 * The consent screen: requested scopes (ticked), a user chooser, Approve / Deny. The form posts
 * the original parameters back to the authorize endpoint. Everything reflected is escaped.
 */
export function renderConsentPage(
  params: URLSearchParams,
  request: AuthorizeRequest,
  users: readonly EmulatorUser[],
): string {
  const hidden = AUTHORIZE_PARAMS.flatMap((name) => {
    const value = params.get(name);
    return value === null ? [] : [hiddenInput(name, value)];
  });
  const body = [
    '<h1>TikTok emulator</h1>',
    `<p>The app <strong>${escapeHtml(request.clientKey)}</strong> wants to access your account.</p>`,
    `<p>It will come back to <code id="redirect-uri">${escapeHtml(request.redirectUri)}</code></p>`,
    `<form method="post" action="${ENDPOINT_PATHS.authorize}">`,
    ...hidden,
    userChooser(users),
    `<ul id="scopes">${request.scopes.map(scopeCheckbox).join('')}</ul>`,
    '<button type="submit" id="approve" name="decision" value="approve">Approve</button>',
    '<button type="submit" id="deny" name="decision" value="deny">Deny</button>',
    '</form>',
  ];
  return htmlPage('TikTok emulator - authorize', body.join('\n'));
}
