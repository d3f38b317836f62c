import type { RequestHandler } from 'express';

// The names a browser on this machine may use for it: each is its own cookie host.
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Local development: `localhost`, `127.0.0.1` and `[::1]` are different hosts to a browser's
 * cookies. A login started on one of them and sent back by TikTok to the callback URL's would
 * arrive without its session cookie and fail as an expired login, again on every try. So a GET
 * on another loopback name than the callback URL's, same port, is redirected to the same path on
 * the callback URL's origin first. Does nothing when the callback URL is not on a loopback host
 * (a deployed app is reached by one name; behind a proxy the Host header may differ on purpose).
 */
export function sameLoopbackHost(callbackURL: string): RequestHandler {
  const target = new URL(callbackURL);
  if (!LOOPBACK.has(target.hostname)) return (_req, _res, next) => next();
  return (req, res, next) => {
    const host = req.get('host');
    // A request target that is not a path (`GET http://…`, `GET *`) is left alone.
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      host === undefined ||
      !req.originalUrl.startsWith('/')
    ) {
      next();
      return;
    }
    const asked = URL.canParse(`http://${host}`) ? new URL(`http://${host}`) : undefined;
    if (
      asked === undefined ||
      asked.host === target.host ||
      !LOOPBACK.has(asked.hostname) ||
      asked.port !== target.port
    ) {
      next();
      return;
    }
    // The origin is the configured one and originalUrl a path: no open redirect.
    res.redirect(302, `${target.origin}${req.originalUrl}`);
  };
}
