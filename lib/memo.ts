/**
 * A bounded memo for pure functions of a string key: the few values a process computes on every
 * login (the scope strings it normalises, the user-info fields and URL of its scope sets, the
 * authorize-URL prefix, the parsed TikTok URLs). At most `maxEntries` values are kept; a new key
 * when full empties the memo first, so a process that sees more distinct keys than that (an app
 * building many URLs) computes them as if there were no memo. Keys longer than `maxKeyLength`
 * are computed every time and never kept.
 * @internal
 */
export class BoundedMemo<V> {
  private readonly values = new Map<string, V>();

  constructor(
    private readonly maxEntries = 64,
    private readonly maxKeyLength = 2048,
  ) {}

  /** The value for `key`: remembered, or `compute()`d (and remembered within the bounds). */
  get(key: string, compute: () => V): V {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    const value = compute();
    if (key.length <= this.maxKeyLength) {
      if (this.values.size >= this.maxEntries) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }

  /** How many values are kept (for tests). */
  get size(): number {
    return this.values.size;
  }
}
