import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import session, { MemoryStore, type SessionData } from 'express-session';
import request from 'supertest';
import { TikTokAPIError, tiktokErrorHandler, tiktokSessionGuard } from '../../lib';
import type { TikTokSessionGuardOptions } from '../../lib/middleware/session-guard';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { runScript } from '../support/script-process';
import { trackServers } from '../support/servers';

let passedThrough = 0;

function appWith(sessionMiddleware: RequestHandler, options?: TikTokSessionGuardOptions): Server {
  const app = express();
  app.use(tiktokSessionGuard(sessionMiddleware, options));
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
    passedThrough++;
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

  it('a store whose get() throws instead of calling back is a 503 too (express-session calls it without a try)', async () => {
    const store = new MemoryStore();
    store.get = () => {
      throw new Error('sync boom');
    };
    const sessions = session({ secret: 's', store, resave: false, saveUninitialized: false });
    const before = passedThrough;
    // A session cookie signed with the secret: express-session then reads the store.
    const signature = createHmac('sha256', 's').update('abc').digest('base64').replace(/=+$/, '');
    const res = await request(server(appWith(sessions)))
      .get('/')
      .set('Cookie', `connect.sid=${encodeURIComponent(`s:abc.${signature}`)}`);
    assert.equal(res.status, 503);
    assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '5');
    assert.ok(!res.text.includes('boom'));
    assert.equal(passedThrough, before, 'not handed on as a raw 500');
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
  describe('a store that does not answer (a hung Redis)', () => {
    /**
     * A MemoryStore whose get/set/touch can be made to never call back, or to call back only
     * after `lateMs` (a Redis that comes back).
     */
    class HangingStore extends MemoryStore {
      hangGet = false;
      hangSet = false;
      hangTouch = false;
      lateMs: number | undefined;
      private later(run: () => void): void {
        if (this.lateMs !== undefined) setTimeout(run, this.lateMs);
      }
      override get(sid: string, cb: (err: unknown, session?: SessionData | null) => void): void {
        if (this.hangGet) this.later(() => super.get(sid, cb));
        else super.get(sid, cb);
      }
      override set(sid: string, data: SessionData, cb?: (err?: unknown) => void): void {
        if (this.hangSet) this.later(() => super.set(sid, data, cb));
        else super.set(sid, data, cb);
      }
      override touch(sid: string, data: SessionData, cb?: () => void): void {
        if (this.hangTouch) this.later(() => super.touch(sid, data, cb));
        else super.touch(sid, data, cb);
      }
    }

    function sessionApp(store: HangingStore, options: TikTokSessionGuardOptions): Server {
      return appWith(
        session({ store, secret: 'test-secret', resave: false, saveUninitialized: false }),
        options,
      );
    }

    /** An app over a HangingStore, and a browser logged in to it (its session is stored). */
    async function loggedIn(
      options: TikTokSessionGuardOptions,
    ): Promise<{ store: HangingStore; s: Server; agent: ReturnType<typeof request.agent> }> {
      const store = new HangingStore();
      const s = server(sessionApp(store, options));
      const agent = request.agent(s);
      assert.equal((await agent.get('/login').set('Accept', 'application/json')).status, 200);
      return { store, s, agent };
    }

    it('a load that hangs answers 503 after timeoutMs; the late answer is ignored', async () => {
      const { store, agent } = await loggedIn({ timeoutMs: 150 });
      store.hangGet = true;
      const started = Date.now();
      const res = await agent.get('/').set('Accept', 'application/json');
      const took = Date.now() - started;
      assert.equal(res.status, 503, res.text);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.equal(res.headers['retry-after'], '5');
      assert.ok(took >= 140 && took < 2000, `answered after ${took} ms`);
      store.hangGet = false;
      assert.deepEqual((await agent.get('/')).body, { ok: true }, 'works again at once');
    });

    it("the 503 is logged once, with the correlation ID the browser got and the cause's name", async () => {
      const logger = new CaptureLogger();
      const { store, agent } = await loggedIn({ timeoutMs: 150, logger });
      store.hangGet = true;
      const res = await agent.get('/').set('Accept', 'application/json');
      assert.equal(res.status, 503, res.text);
      assert.deepEqual(
        logger.lines.map((l) => [l.level, l.message, l.meta]),
        [
          [
            'error',
            '[TikTokOAuth] session - the store failed: answering 503',
            {
              correlationId: res.headers['x-correlation-id'],
              errorCode: 'SERVICE_UNAVAILABLE',
              errorName: 'SessionStoreTimeoutError',
            },
          ],
        ],
      );
    });

    it('a failing save the app handles is not logged as "answering 503"; one after a 200 is logged once', async () => {
      /** A store whose set fails: at once, or (`lateMs`) after the guard's timeout. */
      class FailingSet extends MemoryStore {
        fail = false;
        lateMs = 0;
        override set(sid: string, data: SessionData, cb?: (err?: unknown) => void): void {
          if (!this.fail) super.set(sid, data, cb);
          else setTimeout(() => cb?.(new Error('Socket closed unexpectedly')), this.lateMs);
        }
      }
      const store = new FailingSet();
      const logger = new CaptureLogger();
      const app = express();
      app.use(
        tiktokSessionGuard(
          session({ store, secret: 'test-secret', resave: false, saveUninitialized: false }),
          { timeoutMs: 100, logger },
        ),
      );
      app.get('/write', (req, res) => {
        Reflect.set(req.session, 'visits', Date.now());
        res.json({ ok: true });
      });
      app.get('/save', (req, res, next) => {
        Reflect.set(req.session, 'saved', Date.now());
        req.session.save((err) => (err ? next(err) : res.json({ saved: true })));
      });
      app.use(tiktokErrorHandler());
      const agent = request.agent(server(createServer(app)));
      await agent.get('/write').expect(200);
      store.fail = true;
      // express-session's own save after the response: the response is 200; one line says so.
      assert.deepEqual((await agent.get('/write').expect(200)).body, { ok: true });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(
        logger.lines.map((l) => l.message),
        ['[TikTokOAuth] session - the store failed after the response was sent'],
      );
      // The app's own save, timing out and then failing late: the app answers (503 through the
      // error handler); the guard logs nothing, then or when the late failure comes.
      logger.lines.length = 0;
      store.lateMs = 200;
      const res = await agent.get('/save').set('Accept', 'application/json');
      assert.equal(res.status, 503, res.text);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        logger.lines.filter((l) => l.message.endsWith('answering 503')),
        [],
        logger.text(),
      );
    });

    it('a save that hangs (req.login) answers 503 after timeoutMs', async () => {
      const store = new HangingStore();
      store.hangSet = true;
      const res = await request(server(sessionApp(store, { timeoutMs: 150 })))
        .get('/login')
        .set('Accept', 'application/json');
      assert.equal(res.status, 503, res.text);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
      assert.match(String(field(res.body, 'error', 'message')), /temporarily unavailable/);
      assert.doesNotMatch(res.text, /login/i, 'the message does not claim a login failed');
    });

    it('late answers of the store are ignored: one response, no error handler, no crash', async () => {
      const { store, s, agent } = await loggedIn({ timeoutMs: 100 });
      store.hangGet = true;
      store.hangSet = true;
      store.lateMs = 300;
      const before = passedThrough;
      assert.equal((await agent.get('/').set('Accept', 'application/json')).status, 503);
      assert.equal(
        (await request.agent(s).get('/login').set('Accept', 'application/json')).status,
        503,
      );
      await new Promise((resolve) => setTimeout(resolve, 600)); // the late answers arrive
      assert.equal(passedThrough, before, 'a late answer reached no error handler');
      store.hangGet = false;
      store.hangSet = false;
      assert.deepEqual((await agent.get('/')).body, { ok: true });
    });

    it('a touch that hangs while a response ends: finished after timeoutMs, the failure logged', async () => {
      const logger = new CaptureLogger();
      const { store, agent } = await loggedIn({ timeoutMs: 150, logger });
      store.hangTouch = true;
      const started = Date.now();
      const res = await agent.get('/');
      const took = Date.now() - started;
      assert.deepEqual(res.body, { ok: true });
      assert.ok(took >= 140 && took < 2000, `finished after ${took} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(
        logger.lines.map((l) => [l.message, l.meta?.errorName]),
        [
          [
            '[TikTokOAuth] session - the store failed after the response was sent',
            'SessionStoreTimeoutError',
          ],
        ],
      );
    });

    it('a session replaced by reload() is guarded too: its failing save answers 503', async () => {
      const store = new HangingStore();
      const app = express();
      app.use(
        tiktokSessionGuard(
          session({ store, secret: 'test-secret', resave: false, saveUninitialized: true }),
          { timeoutMs: 150 },
        ),
      );
      app.get('/reload-then-save', (req, res, next) => {
        req.session.reload((err) => {
          if (err) {
            next(err);
            return;
          }
          store.hangSet = true;
          Reflect.set(req.session, 'x', 1);
          req.session.save((saveErr) => (saveErr ? next(saveErr) : res.json({ saved: true })));
        });
      });
      app.use(tiktokErrorHandler());
      const agent = request.agent(server(createServer(app)));
      await agent.get('/reload-then-save').ok(() => true); // creates the session
      store.hangSet = false;
      const res = await agent.get('/reload-then-save').set('Accept', 'application/json');
      assert.equal(res.status, 503, res.text);
      assert.equal(field(res.body, 'error', 'code'), 'SERVICE_UNAVAILABLE');
    });

    it('without a store answer, the default timeout is 5 s', async function () {
      this.timeout(15_000);
      const { store, agent } = await loggedIn({});
      store.hangGet = true;
      const started = Date.now();
      const res = await agent.get('/');
      assert.equal(res.status, 503);
      const took = Date.now() - started;
      assert.ok(took >= 4900 && took < 7000, `answered after ${took} ms`);
    });

    // NOTE: a request made in-process (no socket holds the event loop) whose store waits on
    // nothing the loop sees: with unreferenced timers Node exited 0 with the request unanswered.
    it('in a process with nothing else to do, a hung load and a hung save still answer 503 at timeoutMs', async () => {
      const outcome = await runScript(`
        const { tiktokSessionGuard } = require('./lib');
        const hungLoad = tiktokSessionGuard(() => undefined, { timeoutMs: 200 });
        hungLoad({ headers: {} }, {}, (err) => console.log('load: ' + (err && err.code)));
        const hungSave = tiktokSessionGuard((req, _res, next) => {
          req.session = { save: () => undefined };
          next();
        }, { timeoutMs: 200 });
        const req = { headers: {} };
        hungSave(req, {}, () => {
          req.session.save((err) => console.log('save: ' + (err && err.code)));
        });
      `);
      assert.equal(outcome.timedOut, false);
      assert.deepEqual(
        outcome.stdout.trim().split('\n').sort(),
        ['load: SERVICE_UNAVAILABLE', 'save: SERVICE_UNAVAILABLE'],
        outcome.stderr,
      );
      assert.equal(outcome.code, 0);
    });

    it("refuses express-session's factory (session, not session({...})) and a non-function, when it is created", () => {
      assert.throws(() => tiktokSessionGuard(session as unknown as RequestHandler), {
        name: 'TypeError',
        message: /not its factory: pass session\(\{ store, secret, \.\.\. \}\), not session$/,
      });
      assert.throws(() => tiktokSessionGuard(undefined as unknown as RequestHandler), {
        name: 'TypeError',
        message: /^tiktokSessionGuard takes the session middleware, .*got undefined$/,
      });
      assert.doesNotThrow(() =>
        tiktokSessionGuard(session({ secret: 's', resave: false, saveUninitialized: false })),
      );
    });

    it('refuses a timeoutMs that is not a positive integer a timer can wait', () => {
      for (const timeoutMs of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
        assert.throws(
          () => tiktokSessionGuard((_req, _res, next) => next(), { timeoutMs }),
          /tiktokSessionGuard option timeoutMs must be an integer from 1 to 2147483647/,
        );
      }
    });

    it('refuses a retryAfterSeconds that is not a non-negative integer (it becomes Retry-After)', () => {
      for (const retryAfterSeconds of [-3, 1.5, Number.NaN, Infinity, '5' as unknown as number]) {
        assert.throws(
          () => tiktokSessionGuard((_req, _res, next) => next(), { retryAfterSeconds }),
          /tiktokSessionGuard option retryAfterSeconds must be a non-negative integer/,
        );
      }
      assert.doesNotThrow(() =>
        tiktokSessionGuard((_req, _res, next) => next(), { retryAfterSeconds: 0 }),
      );
    });
  });

  it('a store failure after the response was sent is logged, not handed to Express (no stack on stderr)', async () => {
    const logger = new CaptureLogger();
    const failsAfterResponse: RequestHandler = (_req, res, next) => {
      // What express-session does when the save or touch that ends the response fails.
      res.on('finish', () => setImmediate(() => next(new Error('Socket closed unexpectedly'))));
      next();
    };
    const before = passedThrough;
    const res = await request(server(appWith(failsAfterResponse, { logger })))
      .get('/')
      .set('X-Correlation-Id', 'after-1');
    assert.deepEqual(res.body, { ok: true });
    const deadline = Date.now() + 2000;
    while (logger.lines.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(passedThrough, before, 'not passed to the app error handlers');
    assert.deepEqual(
      logger.lines.map((l) => [l.level, l.message, l.meta]),
      [
        [
          'error',
          '[TikTokOAuth] session - the store failed after the response was sent',
          { correlationId: 'after-1', errorCode: 'SERVICE_UNAVAILABLE', errorName: 'Error' },
        ],
      ],
    );
    assert.doesNotMatch(logger.text(), /Socket closed/, 'the message is not logged');
  });
  describe('a store method that throws instead of calling back while the response ends', () => {
    /** A logged-in agent of an app whose store's `method` throws once `failing` is set. */
    async function setUp(method: 'touch' | 'set' | 'destroy'): Promise<{
      agent: ReturnType<typeof request.agent>;
      logger: CaptureLogger;
      fail: () => void;
    }> {
      const logger = new CaptureLogger();
      const store = new MemoryStore();
      let failing = false;
      const original: unknown = Reflect.get(store, method);
      Reflect.set(store, method, (...args: unknown[]) => {
        if (failing) throw new Error('The client is closed');
        return Reflect.apply(original as (...a: unknown[]) => unknown, store, args);
      });
      const app = express();
      app.use(
        tiktokSessionGuard(
          session({
            store,
            secret: 's',
            resave: false,
            saveUninitialized: false,
            unset: 'destroy',
          }),
          { logger, timeoutMs: 300 },
        ),
      );
      app.get('/login', (req, res) => {
        Reflect.set(req.session, 'user', 'u');
        res.send('in');
      });
      app.get('/end', (req, res) => {
        if (method === 'set') Reflect.set(req.session, 'n', 1);
        if (method === 'destroy') Reflect.set(req, 'session', null);
        res.send('ended');
      });
      app.get('/logout', (req, res, next) => {
        req.session.destroy((err) => (err ? next(err) : res.send('out')));
      });
      app.use(tiktokErrorHandler());
      const agent = request.agent(server(createServer(app)));
      await agent.get('/login');
      return { agent, logger, fail: () => (failing = true) };
    }

    for (const method of ['touch', 'set', 'destroy'] as const) {
      it(`${method}: the response completes and the failure is logged (it used to hang)`, async () => {
        const { agent, logger, fail } = await setUp(method);
        fail();
        const res = await agent.get('/end').timeout(2000);
        assert.equal(res.status, 200);
        assert.equal(res.text, 'ended');
        const deadline = Date.now() + 1000;
        while (logger.events('the store failed after the response was sent').length === 0) {
          if (Date.now() > deadline) assert.fail(logger.text());
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
    }

    it("destroy from the app's req.session.destroy(): a 503, and the process lives on", async () => {
      const { agent, fail } = await setUp('destroy');
      fail();
      const res = await agent.get('/logout').timeout(2000);
      assert.equal(res.status, 503);
      // The uncaught throw came on a later turn, from the error answer's own end of response.
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
  });

  it('a session middleware that throws while loading: one 503, and the load timer never answers again', async () => {
    const before = passedThrough;
    const res = await request(
      server(
        appWith(
          () => {
            throw new Error('a broken session middleware');
          },
          { timeoutMs: 50 },
        ),
      ),
    ).get('/');
    assert.equal(res.status, 503);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(passedThrough, before, 'answered once, by the guard');
  });

  it('a logger that throws does not crash the app', async () => {
    const throwing = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => {
        throw new Error('logger down');
      },
    };
    const failsAfterResponse: RequestHandler = (_req, res, next) => {
      res.on('finish', () => setImmediate(() => next(new Error('Socket closed unexpectedly'))));
      next();
    };
    const res = await request(server(appWith(failsAfterResponse, { logger: throwing }))).get('/');
    assert.deepEqual(res.body, { ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the failure was logged (and threw)
  });
  it('a session method that throws synchronously: the throw is the outcome, no late 503 after timeoutMs', async () => {
    const before = passedThrough;
    const app = express();
    app.use(
      tiktokSessionGuard(
        (req, _res, next) => {
          Reflect.set(req, 'session', {
            save: () => {
              throw new TypeError('Converting circular structure to JSON');
            },
          });
          next();
        },
        { timeoutMs: 50 },
      ),
    );
    let callbacks = 0;
    app.get('/', (req, res) => {
      try {
        req.session.save(() => callbacks++);
      } catch {
        res.json({ threw: true });
      }
    });
    app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      passedThrough++;
      res.status(599).end();
    });
    const res = await request(server(createServer(app))).get('/');
    assert.deepEqual(res.body, { threw: true });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(callbacks, 0, 'the save callback was not called with a timeout afterwards');
    assert.equal(passedThrough, before);
  });
});
