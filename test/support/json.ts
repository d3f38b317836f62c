import { isRecord } from '../../lib/client/parse';

/** Reads a nested field of parsed JSON (`unknown`) without casts: `field(body, 'error', 'code')`. */
export function field(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

/** Typed readers over a JSON object passed to a worker process in the environment variable `name`. */
export function envJsonReader(
  name: string,
  text: string | undefined,
): {
  raw: Record<string, unknown>;
  str: (k: string) => string;
  num: (k: string) => number;
  list: (k: string) => string[] | undefined;
} {
  const value: unknown = JSON.parse(text ?? 'null');
  if (!isRecord(value)) throw new TypeError(`${name} is not a JSON object`);
  const raw = value;
  return {
    raw,
    str: (k) => {
      const v = raw[k];
      if (typeof v !== 'string') throw new TypeError(`${name}.${k} is not a string`);
      return v;
    },
    num: (k) => {
      const v = raw[k];
      if (typeof v !== 'number') throw new TypeError(`${name}.${k} is not a number`);
      return v;
    },
    list: (k) => {
      const v = raw[k];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
        throw new TypeError(`${name}.${k} is not a string list`);
      }
      return v;
    },
  };
}
