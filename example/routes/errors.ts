import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { tiktokErrorHandler, type TikTokLogger } from 'passport-tiktok';
import { notFoundPage, serverErrorPage } from '../pages/status';
import { correlationIdOf } from '../request-log';

function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

/** 404 for anything no route answered. */
export function notFound(): RequestHandler {
  return function notFoundHandler(req: Request, res: Response): void {
    if (wantsHtml(req)) res.status(404).type('html').send(notFoundPage());
    else res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Not found' } });
  };
}

/**
 * The last error handlers: tiktokErrorHandler for the package's errors (a 503 page when the
 * session store is down, say), then a plain 500 that logs the error's name and message with the
 * correlation ID — never its stack in the response, never a request's query or cookies.
 */
export function errorHandlers(logger: TikTokLogger): ErrorRequestHandler[] {
  const last: ErrorRequestHandler = (err: unknown, req, res, next) => {
    const correlationId = correlationIdOf(req);
    logger.error('unhandled error', {
      correlationId,
      errorName: err instanceof Error ? err.name : typeof err,
      errorMessage: err instanceof Error ? err.message.slice(0, 300) : undefined,
    });
    if (res.headersSent) {
      // Ended already (a session save failing in express-session's end hook, say): logged is
      // enough. Mid-stream: Express's default handler closes the connection.
      if (!res.writableEnded) next(err);
      return;
    }
    res.status(500).set('X-Correlation-Id', correlationId);
    if (wantsHtml(req)) res.type('html').send(serverErrorPage(correlationId));
    else
      res.json({
        error: { code: 'INTERNAL_ERROR', message: 'Something went wrong', correlationId },
      });
  };
  return [tiktokErrorHandler(), last];
}
