import { createHash } from 'node:crypto';
import { findUser, type EmulatorState, type RequestContext } from './context';
import { escapeHtml } from './html';
import { send } from './http-io';
import type { EmulatorUser } from './types';

/** Where the emulator serves avatars: `/emulator/avatar/<open id>.svg[?size=100|large]`. */
const AVATAR_PATH = /^\/emulator\/avatar\/([^/]+)\.svg$/;

/** Pixel size per `size` query value: `avatar_url` (none), `avatar_url_100`, `avatar_large_url`. */
const SIZES: ReadonlyMap<string | null, number> = new Map([
  [null, 168],
  ['100', 100],
  ['large', 720],
]);

/** The default `avatarUrl` of a user: served by the emulator itself. */
export function defaultAvatarUrl(baseUrl: string, openId: string): string {
  return `${baseUrl}/emulator/avatar/${encodeURIComponent(openId)}.svg`;
}

/** Up to two initials of the display name (or the username), uppercase; `?` when none. */
export function initialsOf(user: Pick<EmulatorUser, 'displayName' | 'username'>): string {
  const words = (user.displayName.trim() || user.username.trim()).split(/\s+/u).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => Array.from(word)[0] ?? '');
  return letters.join('').toUpperCase() || '?';
}

/** A stable hue (0-359) derived from the open_id, so that each user keeps a colour. */
export function hueOf(openId: string): number {
  return createHash('sha256').update(openId).digest().readUInt16BE(0) % 360;
}

// Characters XML 1.0 forbids even escaped: a display name holding one (a control character)
// would make the whole SVG unreadable, a broken image.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text for the SVG: escaped, without characters XML refuses (each becomes U+FFFD). */
function svgText(text: string): string {
  return escapeHtml(text.replace(NOT_XML, '\uFFFD'));
}

/** A round avatar: the initials on a colour derived from the open_id. */
export function avatarSvg(user: EmulatorUser, size: number): string {
  const hue = hueOf(user.openId);
  const initials = svgText(initialsOf(user));
  const label = svgText(user.displayName);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100" role="img" aria-label="${label}">`,
    `<circle cx="50" cy="50" r="50" fill="hsl(${hue}, 62%, 46%)"/>`,
    `<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="40" font-weight="600" fill="#fff">${initials}</text>`,
    '</svg>',
  ].join('');
}

function notFound(ctx: RequestContext, message: string): void {
  send(ctx.res, 404, message, 'text/plain; charset=utf-8');
}

/**
 * Serves a user's avatar (GET or HEAD) when the path is an avatar path; false otherwise. The
 * image is an SVG with no script and no external reference, sent with its own restrictive CSP.
 */
export function serveAvatar(ctx: RequestContext, state: EmulatorState): boolean {
  const match = AVATAR_PATH.exec(ctx.record.path);
  if (match === null) return false;
  if (ctx.record.method !== 'GET' && ctx.record.method !== 'HEAD') {
    send(ctx.res, 405, 'Use GET for avatars.', 'text/plain; charset=utf-8', { allow: 'GET, HEAD' });
    return true;
  }
  let openId: string;
  try {
    openId = decodeURIComponent(match[1] ?? '');
  } catch {
    notFound(ctx, 'No such avatar.');
    return true;
  }
  const user = findUser(state, openId);
  const size = SIZES.get(ctx.query.get('size'));
  if (user === undefined || size === undefined) {
    notFound(ctx, user === undefined ? 'No user has this open_id.' : 'Unknown avatar size.');
    return true;
  }
  const svg = avatarSvg(user, size);
  send(ctx.res, 200, svg, 'image/svg+xml; charset=utf-8', {
    'cache-control': 'public, max-age=86400',
    etag: `"${createHash('sha256').update(svg).digest('base64url').slice(0, 22)}"`,
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'x-content-type-options': 'nosniff',
  });
  return true;
}
