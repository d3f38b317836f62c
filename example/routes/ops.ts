import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { ExampleStorage } from '../storage';

export interface OpsRoutesOptions {
  storage: ExampleStorage;
  registry: Registry;
  oauthEnabled: boolean;
  /** How long /healthz waits for Redis. Default 1000 ms. */
  healthTimeoutMs?: number;
}

/**
 * `/healthz`: JSON, 200 when the app can serve logins (Redis answers PING when used), else 503.
 * `/metrics`: Prometheus text (tiktok_oauth_* and the process's default metrics). NOTE: expose
 * /metrics to your scraper only (a network policy or a proxy rule), not to the internet.
 */
export function opsRoutes(options: OpsRoutesOptions): Router {
  const router = Router();
  const timeoutMs = options.healthTimeoutMs ?? 1000;

  router.get('/healthz', async (_req, res) => {
    let storage: 'ok' | 'down' = 'ok';
    try {
      await options.storage.check(timeoutMs);
    } catch {
      storage = 'down';
    }
    res.set('Cache-Control', 'no-store');
    res.status(storage === 'ok' ? 200 : 503).json({
      status: storage === 'ok' ? 'ok' : 'unavailable',
      sessions: options.storage.kind,
      redis: options.storage.kind === 'redis' ? storage : 'not used',
      tiktokLogin: options.oauthEnabled ? 'enabled' : 'disabled',
    });
  });

  router.get('/metrics', async (_req, res) => {
    const body = await options.registry.metrics();
    res.set('Cache-Control', 'no-store');
    res.type(options.registry.contentType).send(body);
  });
  return router;
}
