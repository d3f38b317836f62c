import http from 'node:http';
import https from 'node:https';
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

// One keep-alive pool per process, shared by every client: TikTok is a handful of hosts, and
// reusing warm TLS connections is most of a login's upstream cost. `lifo` keeps the hottest
// sockets busy and lets the others expire. TLS verification is node's default: always on.
// `timeout` closes a pooled socket idle for 5 s, and — only when it is set — node also honours
// a server's `Keep-Alive: timeout=N` hint (closing at N − 1 s): without it a socket the server
// was closing could be reused, and the request failed with ECONNRESET (a retry, or for a code
// exchange the one ambiguous retry spent). Node's own global agent uses the same 5 s.
const AGENT_OPTIONS = {
  keepAlive: true,
  scheduling: 'lifo',
  maxSockets: 256,
  timeout: 5000,
} as const;
const agents = {
  'http:': new http.Agent(AGENT_OPTIONS),
  'https:': new https.Agent(AGENT_OPTIONS),
};

interface Target {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
}

// The handful of TikTok URLs a process calls, parsed once into request options (a URL parse and
// urlToHttpOptions per request showed in the login profile). Bounded, in case an app builds
// many distinct URLs.
const targets = new Map<string, Target>();
function targetOf(url: string): Target {
  let t = targets.get(url);
  if (t === undefined) {
    const u = new URL(url);
    t = {
      protocol: u.protocol === 'https:' ? 'https:' : 'http:',
      // IPv6 literals come bracketed in URL.hostname; node wants them bare.
      hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port,
      path: `${u.pathname}${u.search}`,
    };
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

function headerReader(headers: http.IncomingHttpHeaders): HeaderReader {
  return {
    get(name: string): string | null {
      const v = headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/**
 * The default transport: node:http(s) with a keep-alive agent. About a quarter of the CPU of
 * undici's `fetch` per request, and it keeps reusing connections under load (bench/README.md).
 * One timer covers the response headers and the whole body; bodies over 1 MiB, redirects (a 3xx
 * is returned as is, never followed) and incomplete bodies are handled as for fetch.
 */
export const nodeTransport: Transport = (req: HttpRequest) =>
  new Promise<HttpResponse>((resolve, reject) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const target = targetOf(req.url);
    const protocol = target.protocol;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    let settled = false;
    let request: http.ClientRequest;
    try {
      request = (protocol === 'https:' ? https : http).request({
        protocol,
        hostname: target.hostname,
        port: target.port === '' ? undefined : target.port,
        path: target.path,
        method: req.method,
        headers,
        agent: agents[protocol],
      });
    } catch (err) {
      // Thrown before anything was sent (e.g. a header value node refuses).
      reject(
        new TransportFailure('notSent', 'request could not be built', elapsed(), { cause: err }),
      );
      return;
    }
    const fail = (kind: TransportFailure['kind'], message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(new TransportFailure(kind, message, elapsed(), { cause }));
    };
    const timer = setTimeout(
      () => fail('timeout', `no complete answer within ${req.timeoutMs} ms`),
      req.timeoutMs,
    );
    request.on('error', (err) => {
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
      res.on('error', (err) =>
        fail('ambiguous', `response failed (${errorCodes(err)[0] ?? err.message})`, err),
      );
      res.on('close', () => {
        if (!res.complete) fail('ambiguous', 'request failed (connection closed mid-response)');
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: headerReader(res.headers),
          text: Buffer.concat(chunks).toString('utf8'),
          durationMs: elapsed(),
        });
      });
    });
    request.end(req.body);
  });
