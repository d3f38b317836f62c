import type * as Undici from 'undici';
import type { Agent, Dispatcher } from 'undici';
import { MAX_BODY_BYTES } from './endpoints';
import {
  classifyNetworkError,
  errorCodes,
  TransportFailure,
  type HeaderReader,
  type HttpRequest,
  type HttpResponse,
  type Transport,
} from './http';

/**
 * One keep-alive pool per process, shared by every client: TikTok is a handful of hosts, and
 * reusing warm TLS connections is most of a login's upstream cost. TLS verification is undici's
 * default (node's CA store, `NODE_EXTRA_CA_CERTS` included): always on.
 *
 * - `keepAliveTimeout: 5000`: an idle socket is closed after 5 s when the server gives no hint.
 * - `keepAliveTimeoutThreshold: 1000`: a server's `Keep-Alive: timeout=N` hint is honoured, the
 *   socket closed at N − 1 s, before the server closes it (a request written onto a closing
 *   connection fails with a reset: a retry, or for a code exchange the one ambiguous retry).
 * - `headersTimeout`/`bodyTimeout` are off per request: one timer of ours covers the headers and
 *   the whole body (`timeoutMs`), and the login deadline bounds the attempts.
 */
let dispatcher: Agent | undefined;

function loadAgentClass(): typeof Undici.Agent {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const agent: unknown = require('undici/lib/dispatcher/agent');
    if (typeof agent === 'function' && agent.name === 'Agent') return agent as typeof Undici.Agent;
  } catch {
    // Not at that path in this undici version: the public index below.
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('undici') as typeof Undici).Agent;
}

function sharedAgent(): Agent {
  if (dispatcher === undefined) {
    // NOTE: undici is loaded at the first TikTok call, not when the package is imported, and
    // only its Agent (the connection pools and the HTTP/1.1 client): its index also loads fetch,
    // the cache, mocks and WebSocket, twice the load time and about 9 MB more RSS. The module path
    // is internal to undici, so any other layout falls back to the index.
    const AgentClass = loadAgentClass();
    dispatcher = new AgentClass({
      keepAliveTimeout: 5000,
      keepAliveTimeoutThreshold: 1000,
      connections: 256,
    });
  }
  return dispatcher;
}

interface Target {
  readonly origin: string;
  readonly path: string;
}

// The handful of TikTok URLs a process calls, parsed once. Bounded, in case an app builds many
// distinct URLs.
const targets = new Map<string, Target>();
function targetOf(url: string): Target {
  let t = targets.get(url);
  if (t === undefined) {
    const u = new URL(url);
    t = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

type RawHeaders = Record<string, string | string[] | undefined>;

function headerReader(headers: RawHeaders): HeaderReader {
  return {
    get(name: string): string | null {
      const v = headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/**
 * The default transport: undici's `dispatch` on a shared keep-alive Agent (the Node.js project's
 * HTTP client, the one under global `fetch`), driven with a handler — no streams, no `Response`.
 * Performance: docs/performance.md.
 * Redirects are returned as is, never followed; bodies over 1 MiB and incomplete bodies fail
 * the attempt; one timer covers the response headers and the whole body.
 */
export const undiciTransport: Transport = (req: HttpRequest) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let settled = false;
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: RawHeaders = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (kind: TransportFailure['kind'], message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Aborting a request in flight closes its connection: HTTP/1.1 has no other way to stop it.
      controller?.abort(new TransportFailure(kind, message, 0));
      reject(new TransportFailure(kind, message, elapsed(), { cause }));
    };
    const timer = setTimeout(
      () => fail('timeout', `no complete answer within ${req.timeoutMs} ms`),
      req.timeoutMs,
    );
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        // Timed out while waiting for a connection: never send it.
        if (settled) c.abort(new TransportFailure('timeout', 'abandoned', 0));
      },
      onResponseStart(_c, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
        const declared = Number(responseHeaders['content-length'] ?? '0');
        if (declared > MAX_BODY_BYTES) {
          fail('tooLarge', `response body of ${declared} bytes exceeds the cap`);
        }
      },
      onResponseData(_c, chunk) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          fail('tooLarge', `response body exceeds ${MAX_BODY_BYTES} bytes`);
        } else chunks.push(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status,
          headers: headerReader(headers),
          text: Buffer.concat(chunks).toString('utf8'),
          durationMs: elapsed(),
        });
      },
      onResponseError(_c, err) {
        // Connect-level errors (ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT) never sent a
        // byte; anything later (UND_ERR_SOCKET "other side closed", resets) may have reached
        // TikTok.
        const reason = errorCodes(err)[0] ?? err.message;
        fail(classifyNetworkError(err), `request failed (${reason})`, err);
      },
    };
    try {
      const target = targetOf(req.url);
      sharedAgent().dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: req.method,
          headers: req.headers,
          body: req.body ?? null,
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (err) {
      // Thrown before anything was sent (e.g. a header value undici refuses).
      fail('notSent', 'request could not be built', err);
    }
  });
