import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passportModule from 'passport';
import request from 'supertest';
import type { TikTokStrategy } from '../../lib';
import { json } from './fake-fetch';
import { field } from './json';
import type { Agent } from './login';

/** What one authenticate() call ended with, as the harness app reports it. */
export interface Outcome {
  outcome: 'success' | 'fail' | 'error' | 'redirect';
  status: number;
  location?: string;
  user?: unknown;
  info?: unknown;
  error?: unknown;
}

/** The strategy options every unit suite starts from (a fake TikTok behind the `fetch` option). */
export const STRATEGY_BASE = {
  clientKey: 'ck',
  clientSecret: 'cs',
  callbackURL: 'https://app.example/auth/tiktok/callback',
};

export const TOKENS = {
  access_token: 'act.unit-access',
  refresh_token: 'rft.unit-refresh',
  open_id: 'open-1',
  scope: 'user.info.basic',
  expires_in: 86400,
  refresh_expires_in: 31536000,
  token_type: 'Bearer',
};

export function tokenResponse(overrides: Record<string, unknown> = {}): globalThis.Response {
  return json(200, { ...TOKENS, ...overrides });
}

export function userInfoResponse(user: Record<string, unknown> = {}): globalThis.Response {
  return json(200, {
    data: { user: { open_id: 'open-1', display_name: 'Unit User', ...user } },
    error: { code: 'ok', message: '', log_id: '20240101000000AAAAAAAAAAAAAAAAAAAA' },
  });
}

/**
 * A minimal Express app around one strategy: session, `/auth/tiktok` and
 * `/auth/tiktok/callback` with passport's custom callback reporting the outcome as JSON,
 * `/session` showing the pending logins, and `/bare/...` routes without a session. Each test builds its own; close() in `after`.
 */
export class StrategyHarness {
  readonly server: Server;

  constructor(strategy: TikTokStrategy, authOptions: passportModule.AuthenticateOptions = {}) {
    const passport = new passportModule.Passport();
    passport.use(strategy);
    const app = express();
    const report = (req: Request, res: Response, next: NextFunction): void => {
      const handler: unknown = passport.authenticate(
        'tiktok',
        { ...authOptions, session: false },
        (error: unknown, user: unknown, info: unknown, status: unknown) => {
          const outcome = error ? 'error' : user ? 'success' : 'fail';
          const code: unknown = error instanceof Error ? Reflect.get(error, 'code') : undefined;
          const reported =
            error instanceof Error ? { name: error.name, message: error.message, code } : error;
          res.json({ outcome, status: status ?? 200, user, info, error: reported });
        },
      );
      assert.ok(typeof handler === 'function');
      Reflect.apply(handler, undefined, [req, res, next]);
    };
    // An app's own request-ID middleware: `X-App-Request-Id` becomes req.tiktokCorrelationId.
    app.use((req: Request, _res: Response, next: NextFunction) => {
      const id = req.get('x-app-request-id');
      if (id !== undefined) req.tiktokCorrelationId = id;
      next();
    });
    // `/bare/...`: the same routes before (without) the session middleware.
    app.get('/bare/auth/tiktok', report);
    app.get('/bare/auth/tiktok/callback', report);
    app.use(session({ secret: 'unit', resave: false, saveUninitialized: false }));
    app.all('/auth/tiktok', report);
    app.all('/auth/tiktok/callback', report);
    app.get('/session', (req, res) => {
      res.json(Reflect.get(req.session, 'tiktok:pending') ?? null);
    });
    this.server = createServer(app);
  }

  browser(): Agent {
    return request.agent(this.server);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
  }
}

/** Reads a harness response: a redirect (start) or the reported outcome. */
export function outcomeOf(res: request.Response): Outcome {
  if (res.status === 302) {
    return { outcome: 'redirect', status: 302, location: String(res.headers.location) };
  }
  assert.equal(res.status, 200, res.text);
  const outcome = field(res.body, 'outcome');
  assert.ok(outcome === 'success' || outcome === 'fail' || outcome === 'error');
  const status = field(res.body, 'status');
  return {
    outcome,
    status: typeof status === 'number' ? status : 0,
    user: field(res.body, 'user'),
    info: field(res.body, 'info'),
    error: field(res.body, 'error'),
  };
}

/** Starts a login in `agent`; returns the authorize URL and the stored pending login. */
export async function startIn(
  agent: Agent,
  path = '/auth/tiktok',
): Promise<{ url: URL; state: string; verifier: unknown }> {
  const start = outcomeOf(await agent.get(path));
  assert.equal(start.outcome, 'redirect');
  const url = new URL(start.location ?? '');
  const pending: unknown = (await agent.get('/session')).body;
  assert.ok(Array.isArray(pending));
  const last: unknown = pending[pending.length - 1];
  const state = field(last, 'state');
  assert.ok(typeof state === 'string');
  return { url, state, verifier: field(last, 'codeVerifier') };
}

/** Starts a login and calls back with `code` (and optional extra query). */
export async function loginThrough(agent: Agent, extra = ''): Promise<Outcome> {
  const { state } = await startIn(agent);
  return outcomeOf(await agent.get(`/auth/tiktok/callback?code=c0de&state=${state}${extra}`));
}

/**
 * Registers an `after` hook in the calling `describe` that closes every harness made through
 * the returned function.
 */
export function useStrategyHarnesses(): (
  strategy: TikTokStrategy,
  authOptions?: passportModule.AuthenticateOptions,
) => StrategyHarness {
  const harnesses: StrategyHarness[] = [];
  after(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
  });
  return (strategy, authOptions = {}) => {
    const h = new StrategyHarness(strategy, authOptions);
    harnesses.push(h);
    return h;
  };
}
