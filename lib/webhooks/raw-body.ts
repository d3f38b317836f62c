import type { Request } from 'express';

/** How reading the body ended when it did not give the bytes. */
export type RawBodyFailure = 'too_large' | 'consumed' | 'aborted' | 'encoded';

export type RawBodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly failure: RawBodyFailure };

function declaredLength(req: Request): number | undefined {
  const header = req.headers['content-length'];
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

/**
 * The request body as received, at most `maxBytes`. A body parser that ran before may have left
 * it as `req.body`: a Buffer (`express.raw()`) is used as is; anything else with the stream
 * already read (`express.json()` turned it into an object) is `consumed` — the signature covers
 * the exact bytes, which are gone. Otherwise the stream is read here, stopping at the cap.
 */
export function readRawBody(req: Request, maxBytes: number): Promise<RawBodyResult> {
  const parsed: unknown = req.body;
  if (Buffer.isBuffer(parsed)) {
    return Promise.resolve(
      parsed.length > maxBytes ? { ok: false, failure: 'too_large' } : { ok: true, body: parsed },
    );
  }
  if (req.readableEnded || Reflect.get(req, '_body') === true) {
    return Promise.resolve({ ok: false, failure: 'consumed' });
  }
  // NOTE: the signature covers the JSON as TikTok sent it; a gzip or deflate body read here would
  // be checked as its compressed bytes and refused as a wrong signature, misleadingly.
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    req.resume();
    return Promise.resolve({ ok: false, failure: 'encoded' });
  }
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) {
    req.resume(); // drain, so the client can read the 413
    return Promise.resolve({ ok: false, failure: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: RawBodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += bytes.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle({ ok: false, failure: 'too_large' });
        req.resume(); // keep draining without keeping anything
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => settle({ ok: true, body: Buffer.concat(chunks) });
    const onAbort = (): void => settle({ ok: false, failure: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}
