/** `fetch` wrappers for integration tests: count attempts, or lose TikTok's answers. */

export interface CountingFetch {
  readonly fetch: typeof fetch;
  /** Attempts made, whatever their outcome (refused connections included). */
  readonly attempts: number;
}

/** The global fetch, counting every call: attempts are visible even when nothing answered. */
export function countingFetch(): CountingFetch {
  let attempts = 0;
  const impl: typeof fetch = (input, init) => {
    attempts += 1;
    return fetch(input, init);
  };
  return {
    fetch: impl,
    get attempts() {
      return attempts;
    },
  };
}

/**
 * The first `lost` requests really reach the server, which handles them fully (an authorization
 * code is consumed), but the answer never arrives: the caller sees nothing until its own timeout
 * aborts. Models "TikTok got it, the reply was lost". Later requests go through untouched.
 */
export function losingFetch(lost: number): typeof fetch {
  let remaining = lost;
  return async (input, init) => {
    if (remaining <= 0) return fetch(input, init);
    remaining -= 1;
    const { signal, ...rest } = init ?? {};
    const delivered = await fetch(input, rest);
    await delivered.arrayBuffer();
    return new Promise<Response>((_resolve, reject) => {
      const abort = (): void =>
        reject(new DOMException('This operation was aborted', 'AbortError'));
      if (signal?.aborted === true) abort();
      else signal?.addEventListener('abort', abort, { once: true });
    });
  };
}

export interface MeteringFetch {
  readonly fetch: typeof fetch;
  /** Response body bytes the caller actually read, over every call. */
  readonly bytesRead: number;
}

/** The global fetch, counting the response body bytes the caller pulls (to prove a body cap). */
export function meteringFetch(): MeteringFetch {
  let bytesRead = 0;
  const impl: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.body === null) return res;
    const reader = res.body.getReader();
    const metered = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        bytesRead += value.byteLength;
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(metered, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  return {
    fetch: impl,
    get bytesRead() {
      return bytesRead;
    },
  };
}
