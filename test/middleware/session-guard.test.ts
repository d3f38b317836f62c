import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import request from 'supertest';
import { TikTokAPIError, tiktokErrorHandler, tiktokSessionGuard } from '../../lib';
import { field } from '../support/json';
import { trackServers } from '../support/servers';

function appWith(sessionMiddleware: RequestHandler): Server {
  const app = express();
  app.use(tiktokSessionGuard(sessionMiddleware));
  app.get('/', (_req, res) => res.json({ ok: true }));
  // What passport's req.login() does: regenerate, then save the new session.
  app.get('/login', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) {
        next(err);
        return;
      }
      req.session.save((saveErr) => (saveErr ? next(saveErr) : res.json({ loggedIn: true })));
    });
  });
  app.use(tiktokErrorHandler());
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(599).json({ passedThrough: err instanceof Error ? err.message : 'unknown' });
  });
  return createServer(app);
}

describe('tiktokSessionGuard', () => {
  const server = trackServers();

  it('passes through when the session middleware succeeds', async () => {
    const res = await request(server(appWith((_req, _res, next) => next()))).get('/');
    assert.deepEqual(res.body, { ok: true });
  });

  it('turns a session store failure into 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const failing: RequestHandler = (_req, _res, next) =>
      next(new Error('ECONNREFUSED 127.0.0.1:6379'));
    const res = await request(server(appWith(failing)))
      .get('/')
      .set('X-Correlation-Id', 'guard-1');
    assert.equal(res.status, 503);
    assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
    assert.equal(field(res.body, 'error', 'correlationId'), 'guard-1');
    assert.equal(res.headers['retry-after'], '5');
    assert.ok(!res.text.includes('6379'), 'the cause is not shown');
  });

  describe('store failures later in the request (req.login / req.logout)', () => {
    /** A session whose store answers `loads` then fails: regenerate works `regenerates` times. */
    function flakySession(opts: { regenerateFails: boolean }): RequestHandler {
      const makeSession = (): Record<string, unknown> => ({
        save: (cb: (err?: Error) => void) => cb(new Error('The client is offline')),
        regenerate: (cb: (err?: Error) => void) => {
          if (opts.regenerateFails) {
            cb(new Error('The client is offline'));
            return;
          }
          session = makeSession();
          Reflect.set(current, 'session', session);
          cb();
        },
      });
      let session = makeSession();
      let current: Request;
      return (req, _res, next) => {
        current = req;
        session = makeSession();
        Reflect.set(req, 'session', session);
        next();
      };
    }

    it('a failing regenerate (req.login) answers 503, not a 500 with the store error', async () => {
      const res = await request(server(appWith(flakySession({ regenerateFails: true }))))
        .get('/login')
        .set('Accept', 'application/json');
      assert.equal(res.status, 503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.ok(!res.text.includes('offline'));
    });

    it('the regenerated session is guarded too: its failing save answers 503', async () => {
      const res = await request(server(appWith(flakySession({ regenerateFails: false }))))
        .get('/login')
        .set('Accept', 'application/json');
      assert.equal(res.status, 503);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
    });

    it('the wrappers are not enumerable (never serialised into the store)', async () => {
      let keys: string[] = [];
      const app = express();
      app.use(
        tiktokSessionGuard((req, _res, next) => {
          Reflect.set(req, 'session', { save: (cb: () => void) => cb(), user: 'u' });
          next();
        }),
      );
      app.get('/', (req, res) => {
        keys = Object.keys(req.session);
        res.json({});
      });
      await request(server(createServer(app))).get('/');
      assert.deepEqual(keys, ['user']);
    });
  });

  it('leaves a TikTokAPIError as it is', async () => {
    const typed: RequestHandler = (_req, _res, next) =>
      next(new TikTokAPIError({ code: 'RATE_LIMIT', message: 'slow down', correlationId: 'c' }));
    const res = await request(server(appWith(typed))).get('/');
    assert.equal(res.status, 429);
  });
});
