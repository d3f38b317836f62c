import type { EmulatorState, RequestContext } from './context';
import { escapeHtml, htmlPage } from './html';
import { send } from './http-io';
import { wellFormed } from './users';

/** Where a user's default `profile_deep_link` points: `/@<username>`, as on tiktok.com. */
const PROFILE_PATH = /^\/@([^/]+)$/;

/**
 * Serves a user's profile page (GET or HEAD) when the path is a profile path; false otherwise.
 * NOTE: the default `profile_deep_link` of every emulated user points here, so that an app that
 * links to it (a "view on TikTok" link) can be clicked through in development.
 */
export function serveProfilePage(ctx: RequestContext, state: EmulatorState): boolean {
  const match = PROFILE_PATH.exec(ctx.record.path);
  if (match === null) return false;
  if (ctx.record.method !== 'GET' && ctx.record.method !== 'HEAD') {
    send(ctx.res, 405, 'Use GET for profiles.', 'text/plain; charset=utf-8', {
      allow: 'GET, HEAD',
    });
    return true;
  }
  let username: string;
  try {
    username = decodeURIComponent(match[1] ?? '');
  } catch {
    username = '';
  }
  const user = state.users.find((candidate) => wellFormed(candidate.username) === username);
  if (user === undefined) {
    send(ctx.res, 404, "Couldn't find this account.", 'text/plain; charset=utf-8');
    return true;
  }
  const body = [
    `<img src="${escapeHtml(user.avatarUrl100)}" alt="" width="100" height="100">`,
    `<h1 id="display-name">${escapeHtml(user.displayName)}</h1>`,
    `<p id="username">@${escapeHtml(user.username)}</p>`,
    `<p id="bio">${escapeHtml(user.bioDescription)}</p>`,
    `<p><small>Profile page of the TikTok emulator (open_id <code>${escapeHtml(user.openId)}</code>).</small></p>`,
  ].join('\n');
  send(
    ctx.res,
    200,
    htmlPage(`${user.displayName} (@${user.username})`, body),
    'text/html; charset=utf-8',
    {
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; img-src 'self' data: https: http:",
      'x-content-type-options': 'nosniff',
    },
  );
  return true;
}
