import { MAX_BODY_BYTES } from './endpoints';

/** Read access to response headers (case-insensitive); fetch's `Headers` is one. */
export interface HeaderReader {
  get(name: string): string | null;
}

/** One HTTP attempt's outcome when TikTok answered (any status). */
export interface HttpResponse {
  readonly status: number;
  readonly headers: HeaderReader;
  readonly text: string;
  readonly durationMs: number;
}

/** Why an attempt produced no usable answer. `notSent` failures provably never reached TikTok. */
export type TransportFailureKind = 'notSent' | 'ambiguous' | 'timeout' | 'tooLarge';

/** Sends one attempt; rejects with a TransportFailure when there is no usable answer. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';
  constructor(
    readonly kind: TransportFailureKind,
    message: string,
    readonly durationMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Budget for this attempt: headers and the whole body. */
  readonly timeoutMs: number;
}

// Errors raised before a single byte of the request left this machine: safe to retry even for
// single-use authorization codes.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  // undici (under node's global fetch) refused to build the request (a header value with CR/LF,
  // say): its client raises it only while validating or writing the request head, never after a
  // byte has left.
  'UND_ERR_INVALID_ARG',
  // The TLS handshake refused the server's certificate (or the server spoke no TLS): the request
  // is written only after a handshake that succeeded.
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

export function errorCodes(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return [];
  const codes: string[] = [];
  if ('code' in err && typeof err.code === 'string') codes.push(err.code);
  if ('cause' in err) codes.push(...errorCodes(err.cause, depth + 1));
  if (err instanceof AggregateError)
    for (const e of err.errors) codes.push(...errorCodes(e, depth + 1));
  return codes;
}

/** Classifies a network error (fetch's or node:http's): connect-level ones are `notSent`. */
export function classifyNetworkError(err: unknown): TransportFailureKind {
  const codes = errorCodes(err);
  return codes.length > 0 && codes.every((c) => NOT_SENT_CODES.has(c)) ? 'notSent' : 'ambiguous';
}

async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new TransportFailure('tooLarge', `response body of ${declared} bytes exceeds the cap`, 0);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new TransportFailure('tooLarge', `response body exceeds ${MAX_BODY_BYTES} bytes`, 0);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One attempt: sends the request, reads the whole body under one timer, refuses redirects
 * (`redirect: 'manual'` — a 3xx comes back as a response) and bodies over 1 MiB.
 * Keep-alive connection reuse is the injected fetch's (global fetch: undici's global dispatcher).
 */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return (req) => timedRequest(fetchImpl, req);
}

export async function timedRequest(
  fetchImpl: typeof fetch,
  req: HttpRequest,
): Promise<HttpResponse> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), req.timeoutMs);
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const init: RequestInit = {
      method: req.method,
      headers: req.headers,
      redirect: 'manual',
      signal: controller.signal,
    };
    if (req.body !== undefined) init.body = req.body;
    const res = await fetchImpl(req.url, init);
    const text = await readCapped(res);
    return { status: res.status, headers: res.headers, text, durationMs: elapsed() };
  } catch (err) {
    if (err instanceof TransportFailure) {
      throw new TransportFailure(err.kind, err.message, elapsed(), { cause: err.cause });
    }
    if (controller.signal.aborted) {
      throw new TransportFailure(
        'timeout',
        `no complete answer within ${req.timeoutMs} ms`,
        elapsed(),
        { cause: err },
      );
    }
    const kind = classifyNetworkError(err);
    const reason = errorCodes(err)[0] ?? (err instanceof Error ? err.message : 'unknown');
    throw new TransportFailure(kind, `request failed (${reason})`, elapsed(), { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
