import type { NextFunction, Request, Response } from 'express';

// Pages are server-rendered with inline styles only: no scripts at all.
const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src https: http: data:',
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Headers every answer gets. `Referrer-Policy: same-origin` keeps our URLs (a callback URL holds
 * the code) out of requests to other sites, such as TikTok's avatar CDN.
 */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': CSP,
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  });
  next();
}
