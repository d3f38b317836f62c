/**
 * The few things this package needs from `req.session` (express-session, or anything with the
 * same shape). Sessions come back from a store (JSON in Redis): every value read from one is
 * `unknown` until checked.
 */
export interface SessionLike {
  save(callback: (err?: unknown) => void): void;
  /** Everything else the session holds. */
  [key: string]: unknown;
}

// NOTE: plain property access (`in`, `session[key]` with the constant keys of this package), not
// Reflect.get/set: V8 caches those per access site, every login reads the session several times,
// and Reflect.set is a call into the runtime.
function isSessionLike(value: unknown): value is SessionLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    'save' in value &&
    typeof value.save === 'function'
  );
}

/** `req.session` when a session middleware ran and its store answered; otherwise undefined. */
export function sessionOf(req: object): SessionLike | undefined {
  if (!('session' in req)) return undefined;
  const session: unknown = req.session;
  return isSessionLike(session) ? session : undefined;
}

export function readSessionValue(session: SessionLike, key: string): unknown {
  return session[key];
}

/** Sets `key`, or deletes it when `value` is undefined. */
export function writeSessionValue(session: SessionLike, key: string, value: unknown): void {
  if (value === undefined) {
    if (key in session) Reflect.deleteProperty(session, key);
  } else {
    session[key] = value;
  }
}

/** What a session store's save() failed with, as an Error. */
export function saveError(err: unknown): Error {
  return err instanceof Error ? err : new Error('session save failed');
}

/** `session.save()` as a promise: resolves once the store has the session. */
export function saveSession(session: SessionLike): Promise<void> {
  return new Promise((resolve, reject) => {
    session.save((err) => {
      if (err === undefined || err === null) resolve();
      else reject(saveError(err));
    });
  });
}
