/**
 * A wrong option value for a TypeError's message: its type, and the value itself only when it
 * is a number, a boolean or a short string of safe characters (never a secret's option).
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const kinds = [...new Set(value.map((v: unknown) => (v === null ? 'null' : typeof v)))];
    return `an array of ${kinds.join(' and ') || 'nothing'}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return /^[\w.,:/ -]{0,40}$/.test(value) ? `the string '${value}'` : 'a string';
  }
  return typeof value;
}
