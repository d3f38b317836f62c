import http from 'node:http';
import https from 'node:https';

/**
 * The least client code that gives TikTok's two login calls what this package's contract asks of
 * any implementation: a per-attempt timeout inside an overall deadline, a correlation ID sent to
 * TikTok, bodies capped and parsed from `unknown`, TikTok's errors recognised in HTTP 200 answers,
 * a typed error on failure. No retries are made on the success path the benchmark measures, no
 * logs are written at the default level, so neither costs anything here. Used by
 * `passport-oauth2-contract`: a lower bound of what the contract costs, not a client to use.
 */

const agents = {
  http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 }),
  https: new https.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 }),
};
const MAX_BODY = 1 << 20;
let counter = 0;

export class ContractError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function correlationId(): string {
  counter = (counter + 1) >>> 0;
  return `tiktok-${Date.now()}-${counter.toString(16).padStart(8, '0')}`;
}

/** One attempt: the whole answer within `timeoutMs`, at most 1 MiB, as text. */
export function timedCall(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  timeoutMs: number,
  body?: string,
): Promise<{ status: number; text: string }> {
  const secure = url.startsWith('https:');
  return send(
    (secure ? https : http).request(url, {
      method,
      headers,
      agent: secure ? agents.https : agents.http,
    }),
    timeoutMs,
    body,
  );
}

/** A TikTok URL parsed once into request options (`timedCallTo`). */
export interface CallTarget {
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: string;
  readonly path: string;
}

export function callTarget(url: string): CallTarget {
  const u = new URL(url);
  return {
    secure: u.protocol === 'https:',
    hostname: u.hostname,
    port: u.port,
    path: `${u.pathname}${u.search}`,
  };
}

/** {@link timedCall} to a target parsed once: node parses no URL per call. */
export function timedCallTo(
  target: CallTarget,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  timeoutMs: number,
  body?: string,
): Promise<{ status: number; text: string }> {
  return send(
    (target.secure ? https : http).request({
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      method,
      headers,
      agent: target.secure ? agents.https : agents.http,
    }),
    timeoutMs,
    body,
  );
}

function send(
  req: http.ClientRequest,
  timeoutMs: number,
  body: string | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) fail(new ContractError('MALFORMED_RESPONSE', 'body too large'));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      fail(new ContractError('TIMEOUT_ERROR', 'TikTok did not answer in time'));
    }, timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** JSON of a 2xx answer, TikTok's `error` (also with HTTP 200) raised as a typed error. */
export function answer(
  res: { status: number; text: string },
  parse: (text: string) => unknown = JSON.parse,
): Record<string, unknown> {
  let json: unknown;
  try {
    json = parse(res.text);
  } catch {
    throw new ContractError('MALFORMED_RESPONSE', 'not JSON');
  }
  const body = record(json);
  if (body === undefined) throw new ContractError('MALFORMED_RESPONSE', 'not an object');
  const error = body.error;
  if (typeof error === 'string') throw new ContractError('TIKTOK_ERROR', error);
  const nested = record(error);
  if (nested !== undefined && nested.code !== 'ok') {
    throw new ContractError('TIKTOK_ERROR', String(nested.code));
  }
  if (res.status < 200 || res.status >= 300) {
    throw new ContractError('UPSTREAM_ERROR', `HTTP ${res.status}`);
  }
  return body;
}

export interface ContractTokens {
  access_token: string;
  refresh_token: string;
  open_id: string;
  scope: string;
  expires_in: number;
}

/** The token response checked field by field. */
export function tokensOf(body: Record<string, unknown>): ContractTokens {
  const { access_token, refresh_token, open_id, scope, expires_in } = body;
  if (
    typeof access_token !== 'string' ||
    typeof refresh_token !== 'string' ||
    typeof open_id !== 'string' ||
    typeof scope !== 'string' ||
    typeof expires_in !== 'number'
  ) {
    throw new ContractError('MALFORMED_RESPONSE', 'token response fields');
  }
  return { access_token, refresh_token, open_id, scope, expires_in };
}

/** The user of a user-info answer, its `open_id` checked. */
export function userOf(body: Record<string, unknown>): Record<string, unknown> {
  const user = record(record(body.data)?.user);
  if (user === undefined || typeof user.open_id !== 'string') {
    throw new ContractError('MALFORMED_RESPONSE', 'user info fields');
  }
  return user;
}
