/**
 * What kind of value `value` is, for a TypeError's message (`undefined`, `an array`, `an object`,
 * `a string`…): never the value itself, so it can describe a credential.
 */
export function kindOf(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/**
 * A wrong option value for a TypeError's message: its {@link kindOf}, and the value itself only
 * when it is a number, a boolean or a short string of safe characters (never for a secret's
 * option: use {@link kindOf} there).
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) {
    const kinds = [...new Set(value.map((v: unknown) => (v === null ? 'null' : typeof v)))];
    return `an array of ${kinds.join(' and ') || 'nothing'}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^[\w.,:/ -]{0,40}$/.test(value)) return `the string '${value}'`;
  return kindOf(value);
}
