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

/**
 * What `req.session` lacks of express-session's `save()` and `regenerate()`, when it is an object
 * (cookie-session's has neither): passport ≥ 0.6 calls both at `req.login()` and `req.logout()`.
 * Empty when it has both, or when there is no session object at all.
 */
export function missingSessionMethods(req: object): ('save' | 'regenerate')[] {
  if (!('session' in req)) return [];
  const session: unknown = req.session;
  if (typeof session !== 'object' || session === null) return [];
  const missing: ('save' | 'regenerate')[] = [];
  if (!('save' in session) || typeof session.save !== 'function') missing.push('save');
  if (!('regenerate' in session) || typeof session.regenerate !== 'function') {
    missing.push('regenerate');
  }
  return missing;
}

/** The developer's message for a `req.session` without `missing` (see {@link missingSessionMethods}). */
export function missingSessionMethodsMessage(missing: readonly string[]): string {
  const what = missing.map((name) => `req.session.${name}()`).join(' and ');
  return `${what} missing: the session middleware is not express-session (cookie-session has neither). This strategy and passport >= 0.6 need req.session.save(callback) and req.session.regenerate(callback): use express-session, or add both to req.session in a middleware after the session middleware (docs/strategy.md, "cookie-session").`;
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
