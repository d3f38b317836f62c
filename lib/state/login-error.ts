/**
 * Requests whose error came from a TikTok login (the strategy's `error()`), as opposed to the
 * app's other TikTok calls (a token manager's on a logged-in page): the error page says the
 * login failed only for these. NOTE: a WeakSet, marked on the error path only: nothing is added
 * to a request, and a successful login does no work for it.
 */
const loginErrors = new WeakSet<object>();

/** Marks `req` as a login that ended in an error. */
export function markLoginError(req: object): void {
  loginErrors.add(req);
}

/** Whether `req` is a login that ended in an error (see {@link markLoginError}). */
export function isLoginError(req: object): boolean {
  return loginErrors.has(req);
}
