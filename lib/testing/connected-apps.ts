import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, htmlPage } from './html';
import { readBody, sendHtml } from './http-io';
import type { EmulatorUser } from './types';

/** The emulator's stand-in for TikTok's "Manage app permissions" screen. */
export const CONNECTED_APPS_PATH = '/emulator/connected-apps';

/** What the page needs from the emulator. */
export interface ConnectedAppsHost {
  readonly clientKey: string;
  readonly users: ReadonlyArray<EmulatorUser>;
  /** Removes the user's authorization; resolves once the webhook was delivered or has failed. */
  disconnect(openId: string): Promise<string>;
}

function backLink(value: string | null): string {
  if (value === null) return '';
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
    return `<p><a id="back" href="${escapeHtml(url.href)}">Back to the app</a></p>`;
  } catch {
    return '';
  }
}

function page(
  host: ConnectedAppsHost,
  openId: string | null,
  returnTo: string | null,
  note: string,
): string {
  const user = host.users.find((u) => u.openId === openId);
  if (user === undefined) {
    return htmlPage(
      'TikTok emulator - connected apps',
      '<h1>Connected apps</h1><p id="error">Unknown user: pass ?open_id=&lt;open_id&gt;.</p>',
    );
  }
  const form = [
    `<form method="post" action="${CONNECTED_APPS_PATH}">`,
    `<input type="hidden" name="open_id" value="${escapeHtml(user.openId)}">`,
    returnTo === null
      ? ''
      : `<input type="hidden" name="return_to" value="${escapeHtml(returnTo)}">`,
    `<button type="submit" id="remove-access">Remove access</button>`,
    '</form>',
  ].join('');
  return htmlPage(
    'TikTok emulator - connected apps',
    [
      '<h1>TikTok emulator: manage app permissions</h1>',
      `<p>Signed in as <strong>${escapeHtml(user.displayName)}</strong>.</p>`,
      `<p>App <strong>${escapeHtml(host.clientKey)}</strong> can access your account.</p>`,
      note === '' ? form : `<p id="result">${escapeHtml(note)}</p>`,
      backLink(returnTo),
    ].join('\n'),
  );
}

/**
 * GET `?open_id=&return_to=` shows the app with a "Remove access" button; POST removes the
 * authorization as a user would in the TikTok app (reason 1), which sends `authorization.removed`
 * to the webhook URL. Not recorded in `tt.requests` (it is not a TikTok API).
 */
export async function handleConnectedApps(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  host: ConnectedAppsHost,
): Promise<void> {
  if (req.method === 'POST') {
    const { body } = await readBody(req, 16 * 1024);
    const form = new URLSearchParams(body.toString('utf8'));
    const openId = form.get('open_id');
    if (openId === null || !host.users.some((u) => u.openId === openId)) {
      sendHtml(res, 400, page(host, null, null, ''));
      return;
    }
    const result = await host.disconnect(openId);
    sendHtml(res, 200, page(host, openId, form.get('return_to'), result));
    return;
  }
  sendHtml(res, 200, page(host, query.get('open_id'), query.get('return_to'), ''));
}
