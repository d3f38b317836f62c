import session from 'express-session';
import type { RequestHandler } from 'express';
import { tiktokSessionGuard, type TikTokLogger } from 'passport-tiktok';

/** How long the session store may take before a page answers 503 (tiktokSessionGuard). */
export const SESSION_STORE_TIMEOUT_MS = 2000;

/** The session cookie's name. */
export const SESSION_COOKIE = 'example.sid';

export interface SessionSettings {
  store: session.Store;
  /** The current secret first (it signs), then former ones (they still verify). */
  secret: string[];
  /** `Secure` cookie: production or behind a trusted TLS proxy. */
  secure: boolean;
  /** Where a store failure after the response was sent is logged. */
  logger: TikTokLogger;
}

/**
 * express-session, wrapped in tiktokSessionGuard so a session store that does not answer is a
 * 503 (rendered by tiktokErrorHandler) and recovers by itself. The cookie is HttpOnly and
 * `SameSite=Lax` — NOTE: not `Strict`, or the browser drops it on the redirect back from TikTok
 * and every login fails with INVALID_STATE (docs/strategy.md, "Sessions and cookies").
 */
export function sessionMiddleware(settings: SessionSettings): RequestHandler {
  return tiktokSessionGuard(
    session({
      name: SESSION_COOKIE,
      store: settings.store,
      secret: settings.secret,
      resave: false,
      saveUninitialized: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: settings.secure,
        maxAge: 7 * 24 * 3600 * 1000,
      },
    }),
    // 2 s per session store call, as the Redis stores' commandTimeoutMs per command: a page
    // waits at most that long for each call while Redis hangs.
    { logger: settings.logger, timeoutMs: SESSION_STORE_TIMEOUT_MS },
  );
}
