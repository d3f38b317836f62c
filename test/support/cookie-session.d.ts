// cookie-session (devDependency, for the session-middleware suites): only what they use.
declare module 'cookie-session' {
  import type { RequestHandler } from 'express';
  interface CookieSessionOptions {
    name?: string;
    keys?: string[];
    sameSite?: 'lax' | 'strict' | 'none' | boolean;
    maxAge?: number;
  }
  function cookieSession(options: CookieSessionOptions): RequestHandler;
  export = cookieSession;
}
