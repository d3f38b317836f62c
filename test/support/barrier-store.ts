import type session from 'express-session';

type GetCallback = (err: unknown, session?: session.SessionData | null) => void;

/**
 * Makes the next `n` session loads of `store` wait for one another: each of those requests then
 * holds its own copy of the same session, loaded before any of them saved — the race that two
 * concurrent callbacks with the same state create in production. Works with any store.
 */
export function holdNextLoads(store: session.Store, n: number): void {
  const original = store.get.bind(store);
  let held: (() => void)[] = [];
  store.get = (sid: string, callback: GetCallback): void => {
    held.push(() => original(sid, callback));
    if (held.length < n) return;
    const release = held;
    held = [];
    Reflect.deleteProperty(store, 'get');
    for (const load of release) load();
  };
}
