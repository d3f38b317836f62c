import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface Reply {
  readonly status: number;
  readonly location: string | undefined;
  readonly setCookie: readonly string[];
  readonly body: string;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string;
}

/** A request the driver gave up on: the server did not answer within the driver's timeout. */
export class DriverTimeout extends Error {
  override readonly name = 'DriverTimeout';
}

/**
 * The driver's HTTP client: node's http/https with keep-alive pools (a browser keeps connections
 * open too), certificate verification against the bench CA, a hard timeout per request, and no
 * redirect following (the flows follow them by hand, like a browser with a cookie jar).
 */
export class HttpClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(
    maxSockets: number,
    ca: Buffer | undefined,
    private readonly timeoutMs: number,
  ) {
    // `timeout` makes node honour the servers' Keep-Alive hint (see lib/client/node-transport.ts):
    // without it the driver sometimes wrote onto an emulator connection being closed, and a
    // login failed with "authorize: ECONNRESET" — the driver's fault, not the app's.
    const pool = { keepAlive: true, maxSockets, timeout: 5000 };
    this.http = new HttpAgent(pool);
    this.https = new HttpsAgent({ ...pool, ...(ca ? { ca } : {}) });
  }

  request(url: string, options: RequestOptions = {}): Promise<Reply> {
    const secure = url.startsWith('https:');
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: secure ? this.https : this.http,
      });
      const timer = setTimeout(() => {
        req.destroy(new DriverTimeout(`no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const setCookie = res.headers['set-cookie'] ?? [];
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, location: res.headers.location, setCookie, body });
        });
      });
      req.end(options.body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** One browser's cookies for the app's origin (the emulator sets none). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  absorb(setCookie: readonly string[]): void {
    for (const line of setCookie) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
