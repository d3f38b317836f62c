import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';

/** Where a planted secret was found (never the secret itself: its first 6 characters). */
export interface SecretHit {
  readonly source: string;
  readonly line: number;
  readonly canaryPrefix: string;
}

export interface ScanResult {
  /** Distinct secret values looked for. */
  readonly secrets: number;
  /** Those values in every form looked for (raw, URL-encoded, form-encoded). */
  readonly forms: number;
  readonly sources: number;
  readonly linesScanned: number;
  readonly hits: readonly SecretHit[];
}

const KEY = 12;
// Every character a canary (or its percent-encoded form) can contain: canaries only ever occur
// inside a run of these, so only long runs are searched.
const RUN = /[A-Za-z0-9._~*!%+/=:-]{12,}/g;

/** The forms a secret takes in text: raw, URL-encoded (also strictly, `*` → %2A), form-encoded. */
function formsOf(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return [
    secret,
    encoded,
    encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    new URLSearchParams({ s: secret }).toString().slice(2),
  ];
}

/** Canaries indexed by their first KEY characters. */
function indexCanaries(
  files: readonly string[],
  extra: readonly string[],
): { index: Map<string, string[]>; secrets: number } {
  const all = new Set<string>(extra);
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n'))
      if (line.length >= KEY) all.add(line);
  }
  const index = new Map<string, string[]>();
  for (const secret of all) {
    for (const form of new Set(formsOf(secret))) {
      const key = form.slice(0, KEY);
      const list = index.get(key);
      if (list === undefined) index.set(key, [form]);
      else if (!list.includes(form)) list.push(form);
    }
  }
  return { index, secrets: all.size };
}

function scanLine(text: string, index: Map<string, string[]>): string | undefined {
  for (const match of text.matchAll(RUN)) {
    const run = match[0];
    for (let i = 0; i + KEY <= run.length; i++) {
      const candidates = index.get(run.slice(i, i + KEY));
      if (candidates === undefined) continue;
      const found = candidates.find((c) => run.startsWith(c, i));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Looks for every canary (files of one secret per line, plus `extra`) in every line of `sources`
 * (files) and `texts` (named strings). Streaming: a 10-minute run's logs are not held in memory.
 */
export async function scanForSecrets(
  canaryFiles: readonly string[],
  extra: readonly string[],
  sources: readonly string[],
  texts: Readonly<Record<string, string>>,
): Promise<ScanResult> {
  const { index, secrets } = indexCanaries(canaryFiles, extra);
  const hits: SecretHit[] = [];
  let linesScanned = 0;
  const check = (source: string, line: number, text: string): void => {
    linesScanned += 1;
    const found = scanLine(text, index);
    if (found !== undefined && hits.length < 50) {
      hits.push({ source, line, canaryPrefix: `${found.slice(0, 6)}…` });
    }
  };
  for (const file of sources) {
    if (!existsSync(file)) continue;
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const text of lines) check(basename(file), ++n, text);
  }
  for (const [name, text] of Object.entries(texts)) {
    text.split('\n').forEach((line, i) => check(name, i + 1, line));
  }
  let forms = 0;
  for (const list of index.values()) forms += list.length;
  const sourceCount = sources.filter((f) => existsSync(f)).length + Object.keys(texts).length;
  return { secrets, forms, sources: sourceCount, linesScanned, hits };
}
