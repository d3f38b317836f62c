import type { IncomingHttpHeaders } from 'node:http';
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

function headerRecord(headers: IncomingHttpHeaders): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    entries.push([name, Array.isArray(value) ? value.join(', ') : value]);
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
  readonly headers: IncomingHttpHeaders;
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
  if (isFormContentType(input.headers['content-type'])) {
    const form = new URLSearchParams(input.body);
    record.form = Object.fromEntries(form);
    const grantType = form.get('grant_type');
    if (grantType !== null) record.grantType = grantType;
  }
  return record;
}
