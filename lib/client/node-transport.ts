import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { BoundedMemo } from '../memo';
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

type Protocol = 'http:' | 'https:';

interface Pool {
  readonly module: typeof Http | typeof Https;
  readonly agent: Http.Agent;
}

/**
 * One keep-alive pool per protocol and process, shared by every client: TikTok is a handful of
 * hosts, and reusing warm TLS connections is most of a login's upstream cost. TLS verification is
 * node's default (its CA store, `NODE_EXTRA_CA_CERTS` included): always on.
 *
 * - `scheduling: 'lifo'` keeps the most recently used sockets busy and lets the others expire.
 * - `timeout: 5000` closes a pooled socket idle for 5 s; with it set, node also honours a
 *   server's `Keep-Alive: timeout=N` hint and closes the socket at N − 1 s, before the server
 *   does (a request written onto a closing connection fails with a reset: a retry, or for a code
 *   exchange the one ambiguous retry).
 * - Idle pooled sockets are unreferenced by node's agent: they never keep the process alive.
 */
const AGENT_OPTIONS = {
  keepAlive: true,
  scheduling: 'lifo',
  maxSockets: 256,
  timeout: 5000,
} as const;

const pools: Partial<Record<Protocol, Pool>> = {};

function poolOf(protocol: Protocol): Pool {
  let pool = pools[protocol];
  if (pool === undefined) {
    // NOTE: node:https (and with it node:tls) is loaded at the first TikTok call, not at import.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const module =
      protocol === 'https:'
        ? (require('node:https') as typeof Https)
        : (require('node:http') as typeof Http);
    /* eslint-enable @typescript-eslint/no-require-imports */
    pool = { module, agent: new module.Agent(AGENT_OPTIONS) };
    pools[protocol] = pool;
  }
  return pool;
}

interface Target {
  readonly protocol: Protocol;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
  /** The protocol's pool, looked up with the URL (a call makes no second lookup). */
  readonly pool: Pool;
}

// The handful of TikTok URLs a process calls, parsed once.
const targets = new BoundedMemo<Target>();
function targetOf(url: string): Target {
  return targets.get(url, () => {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      throw new TypeError(`unsupported protocol ${u.protocol}`);
    }
    return {
      protocol: u.protocol,
      // IPv6 literals come bracketed in URL.hostname; node wants them bare.
      hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port,
      path: `${u.pathname}${u.search}`,
      pool: poolOf(u.protocol),
    };
  });
}

class HeaderView implements HeaderReader {
  constructor(private readonly headers: Http.IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.headers[name.toLowerCase()];
    if (v === undefined) return null;
    return Array.isArray(v) ? v.join(', ') : v;
  }
}

/** The body as UTF-8 text. NOTE: a TikTok answer is one chunk, decoded without a copy. */
function bodyText(chunks: readonly Buffer[]): string {
  const only = chunks.length === 1 ? chunks[0] : undefined;
  return (only ?? Buffer.concat(chunks)).toString('utf8');
}

/**
 * The default transport: node:http(s) with a shared keep-alive agent (performance and memory:
 * docs/performance.md). Redirects are returned as is, never followed; bodies over 1 MiB and
 * incomplete bodies fail the attempt; one timer covers the response headers and the whole body.
 */
export const nodeTransport: Transport = (req: HttpRequest) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let request: Http.ClientRequest;
    try {
      const target = targetOf(req.url);
      const pool = target.pool;
      // NOTE: no Content-Length here: node sets it from the body handed to end() in one piece.
      request = pool.module.request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port === '' ? undefined : target.port,
        path: target.path,
        method: req.method,
        headers: req.headers,
        agent: pool.agent,
      });
    } catch (err) {
      // Thrown before anything was sent (a URL that cannot be parsed, a header value node
      // refuses).
      reject(
        new TransportFailure('notSent', 'request could not be built', elapsed(), { cause: err }),
      );
      return;
    }
    let settled = false;
    const fail = (kind: TransportFailure['kind'], message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Destroying a request in flight closes its connection: HTTP/1.1 has no other way to stop
      // it.
      request.destroy();
      reject(new TransportFailure(kind, message, elapsed(), { cause }));
    };
    const timer = setTimeout(
      () => fail('timeout', `no complete answer within ${req.timeoutMs} ms`),
      req.timeoutMs,
    );
    request.on('error', (err) => {
      // Connect-level errors (ECONNREFUSED, ENOTFOUND) never sent a byte; anything later
      // (ECONNRESET, "socket hang up") may have reached TikTok.
      const reason = errorCodes(err)[0] ?? err.message;
      fail(classifyNetworkError(err), `request failed (${reason})`, err);
    });
    request.on('response', (res) => {
      const declared = Number(res.headers['content-length'] ?? '0');
      if (declared > MAX_BODY_BYTES) {
        fail('tooLarge', `response body of ${declared} bytes exceeds the cap`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES)
          fail('tooLarge', `response body exceeds ${MAX_BODY_BYTES} bytes`);
        else chunks.push(chunk);
      });
      // NOTE: a connection closed mid-body destroys the response with ECONNRESET "aborted",
      // emitted as 'error' because a listener is attached: no 'close' listener is needed.
      res.on('error', (err) =>
        fail('ambiguous', `response failed (${errorCodes(err)[0] ?? err.message})`, err),
      );
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: new HeaderView(res.headers),
          text: bodyText(chunks),
          durationMs: elapsed(),
        });
      });
    });
    request.end(req.body);
  });
