import type { IncomingMessage } from 'node:http';

/** Request bodies above this are answered 413 (and not kept). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ReadBody {
  readonly body: Buffer;
  readonly tooLarge: boolean;
  /** False when the client went away before the end of the body. */
  readonly complete: boolean;
}

/**
 * Reads a request body, keeping at most `limit` bytes. The rest is drained, not stored, so the
 * client can finish sending and read the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const finish = (complete: boolean): void => {
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge, complete });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => finish(true));
    req.on('error', () => finish(false));
    req.on('close', () => finish(req.complete));
  });
}

/**
 * Where `send` writes a whole answer: the live `ServerResponse`, or an `AnswerCapture` that keeps
 * it for a fault to deliver (late, cut or trickled).
 */
export interface ResponseTarget {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: string): unknown;
  writeHead(status: number): unknown;
  end(body: Buffer): unknown;
}

/** Writes a whole response unless one was already started or the socket is gone. */
export function send(
  res: ResponseTarget,
  status: number,
  body: string | Buffer,
  contentType: string | undefined,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (contentType !== undefined) res.setHeader('content-type', contentType);
  res.setHeader('content-length', String(buffer.length));
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.writeHead(status);
  res.end(buffer);
}

export function sendJson(
  res: ResponseTarget,
  status: number,
  value: unknown,
  headers?: Record<string, string>,
): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8', headers);
}

export function sendHtml(
  res: ResponseTarget,
  status: number,
  html: string,
  headers?: Record<string, string>,
): void {
  send(res, status, html, 'text/html; charset=utf-8', { 'cache-control': 'no-store', ...headers });
}

export function sendRedirect(
  res: ResponseTarget,
  location: string,
  headers?: Record<string, string>,
): void {
  send(res, 302, '', undefined, { location, 'cache-control': 'no-store', ...headers });
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
