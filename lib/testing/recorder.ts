import type { RecordedEndpoint, RecordedRequest } from './types';

/** Splits a raw request target into its path and query string, without normalising either. */
export function splitTarget(target: string): { path: string; rawQuery: string } {
  const index = target.indexOf('?');
  if (index === -1) return { path: target, rawQuery: '' };
  return { path: target.slice(0, index), rawQuery: target.slice(index + 1) };
}

/** Query parameters as a record; repeated parameters become arrays. Safe for `__proto__` keys. */
export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of params) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  return Object.fromEntries(
    [...grouped].map(([name, values]) => [name, values.length === 1 ? (values[0] ?? '') : values]),
  );
}

/** Request headers by lowercased name, every value of each (`IncomingMessage.headersDistinct`). */
export type DistinctHeaders = Readonly<Record<string, string[] | undefined>>;

/**
 * One string per header: repeated headers joined with `, `, `cookie` with `; `. NOTE: built from
 * `headersDistinct`, as `req.headers` keeps only the first of a repeated `authorization`,
 * `content-type` and other single-value headers; `cookie` is no comma list (RFC 6265 §5.4), and
 * `; ` is how Node.js and HTTP/2 join it.
 */
function headerRecord(headers: DistinctHeaders): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [name, values] of Object.entries(headers)) {
    if (values === undefined) continue;
    entries.push([name, values.join(name === 'cookie' ? '; ' : ', ')]);
  }
  return Object.fromEntries(entries);
}

/** True for `application/x-www-form-urlencoded`, with or without parameters. */
export function isFormContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/x-www-form-urlencoded';
}

export interface RecordInput {
  readonly endpoint: RecordedEndpoint;
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
  /** `req.headersDistinct`. */
  readonly headers: DistinctHeaders;
  readonly body: string;
  readonly at: number;
}

export function recordRequest(input: RecordInput): RecordedRequest {
  const record: RecordedRequest = {
    endpoint: input.endpoint,
    method: input.method,
    path: input.path,
    query: queryRecord(new URLSearchParams(input.rawQuery)),
    headers: headerRecord(input.headers),
    body: input.body,
    at: input.at,
  };
  // The first Content-Type, the one the endpoints read (`req.headers`).
  if (isFormContentType(input.headers['content-type']?.[0])) {
    const form = new URLSearchParams(input.body);
    record.form = Object.fromEntries(form);
    const grantType = form.get('grant_type');
    if (grantType !== null) record.grantType = grantType;
  }
  return record;
}
