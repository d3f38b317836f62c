/**
 * A scripted `fetch` for unit tests of the transport and retry loop: each call takes the next
 * step of the script, and every call is recorded. No sockets, no timers of its own.
 */

/** One scripted answer: a Response, an error to reject with, or a function of the request. */
export type FakeStep =
  Response | Error | ((url: string, init: RequestInit) => Response | Promise<Response>);

export interface FakeCall {
  readonly url: string;
  readonly init: RequestInit;
  readonly headers: Headers;
  readonly body: string | undefined;
}

export interface FakeFetch {
  readonly fetch: typeof fetch;
  readonly calls: FakeCall[];
}

/** Builds a fetch that answers with `steps` in order (the last one repeats). */
export function fakeFetch(...steps: FakeStep[]): FakeFetch {
  const calls: FakeCall[] = [];
  let index = 0;
  const impl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = typeof init.body === 'string' ? init.body : undefined;
    calls.push({ url, init, headers: new Headers(init.headers), body });
    const step = steps[Math.min(index, steps.length - 1)];
    index += 1;
    if (step === undefined) throw new Error('fakeFetch: empty script');
    if (step instanceof Error) throw step;
    if (step instanceof Response) return step.clone();
    return step(url, init);
  };
  return { fetch: impl, calls };
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A text response with an explicit content type. */
export function text(
  status: number,
  body: string,
  contentType = 'text/plain',
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { 'content-type': contentType, ...headers } });
}

/** A step that never answers until the request's signal aborts (then rejects like undici). */
export function hang(): FakeStep {
  return (_url, init) =>
    new Promise<Response>((_resolve, reject) => {
      const signal = init.signal;
      if (signal === null || signal === undefined) return;
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), {
        once: true,
      });
    });
}

/** An error shaped like undici's "fetch failed" with a system error `code` as its cause. */
export function netError(code: string): Error {
  const cause = Object.assign(new Error(`connect ${code}`), { code });
  return new TypeError('fetch failed', { cause });
}

/**
 * A response whose body is produced on demand, `chunkBytes` per pull, forever or up to `total`;
 * `pulled()` tells how many bytes the reader actually took.
 */
export function meteredBody(
  chunkBytes: number,
  total = Infinity,
  headers: Record<string, string> = {},
): { response: Response; pulled: () => number } {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(chunkBytes, total - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
  const response = new Response(stream, {
    status: 200,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { response, pulled: () => sent };
}
