import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { generateCorrelationId, type TikTokLogger } from 'passport-tiktok';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const ids = new WeakMap<Request, string>();

/**
 * The request's correlation ID: the package's (`req.tiktokCorrelationId`, set by the strategy on
 * login routes, by the session guard when it answers 503, and by the webhook and the session
 * revocation), else a safe incoming `X-Correlation-Id`, else one made for this request.
 */
export function correlationIdOf(req: Request): string {
  if (req.tiktokCorrelationId !== undefined) return req.tiktokCorrelationId;
  let id = ids.get(req);
  if (id === undefined) {
    const incoming = req.headers['x-correlation-id'];
    id =
      typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : generateCorrelationId();
    ids.set(req, id);
  }
  return id;
}

/** Longest path written to a log line; longer ones are cut and end with `…`. */
export const MAX_LOGGED_PATH = 200;

/** The path without its query string (callback queries carry the code and state), capped. */
function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}

/**
 * One structured line per request, when its response is finished (or the client went away):
 * method, path (no query string, at most {@link MAX_LOGGED_PATH} characters), status, duration ms
 * and correlation ID. Never a query string,
 * a cookie or a token.
 */
export function requestLogger(logger: TikTokLogger): RequestHandler {
  return function logRequest(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    let logged = false;
    const log = (): void => {
      if (logged) return;
      logged = true;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const status = res.headersSent ? res.statusCode : 0;
      const meta = {
        method: req.method,
        path: pathOf(req),
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        correlationId: correlationIdOf(req),
      };
      if (status >= 500 || status === 0) logger.warn('request', meta);
      else logger.info('request', meta);
    };
    res.once('finish', log);
    res.once('close', log);
    next();
  };
}
