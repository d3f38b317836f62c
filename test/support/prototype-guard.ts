/** Detects prototype pollution: builtin prototypes gaining (or losing) properties. */
import assert from 'node:assert/strict';

const WATCHED: ReadonlyArray<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];

function keysOf(target: object): string {
  return Reflect.ownKeys(target).map(String).sort().join(',');
}

/** Takes a snapshot now; the returned function asserts nothing changed since. */
export function prototypeSnapshot(): () => void {
  const before = WATCHED.map(([, target]) => keysOf(target));
  return () => {
    WATCHED.forEach(([name, target], i) => {
      assert.equal(keysOf(target), before[i], `${name} was polluted`);
    });
    const inherited: string[] = [];
    const probe: Record<string, unknown> = {};
    for (const key in probe) inherited.push(key);
    assert.deepEqual(inherited, [], 'a plain object has inherited enumerable keys');
    assert.equal(probe.polluted, undefined, 'a plain object has a "polluted" property');
  };
}
