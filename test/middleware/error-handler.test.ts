import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { TikTokAPIError, tiktokErrorHandler, type TikTokErrorHandlerOptions } from '../../lib';
import { markLoginError } from '../../lib/state/login-error';
import { field } from '../support/json';
import { trackServers } from '../support/servers';

/** An app whose only route fails with `makeError()`; unhandled errors answer 599 "fallthrough". */
function appFailingWith(
  makeError: (req: Request) => unknown,
  options?: TikTokErrorHandlerOptions,
): Server {
  const app = express();
  app.get('/fail', (req: Request, _res: Response, next: NextFunction) => next(makeError(req)));
  app.get('/late', (_req: Request, res: Response, next: NextFunction) => {
    res.status(200).write('partial');
    next(tiktok('API_ERROR'));
  });
  app.use(tiktokErrorHandler(options));
  app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) res.end();
    else res.status(599).send('fallthrough');
  });
  return createServer(app);
}

function tiktok(
  code: TikTokAPIError['code'],
  extra: { retryAfterSeconds?: number } = {},
): TikTokAPIError {
  return new TikTokAPIError({
    code,
    message: `Something <b>went</b> wrong (${code}).`,
    correlationId: 'corr-1',
    cause: new Error('secret cause act.123'),
    ...extra,
  });
}

describe('tiktokErrorHandler', () => {
  const server = trackServers();

  describe('a TikTokAPIError', () => {
    it('JSON by default: status, body, X-Correlation-Id, no-store, no Retry-After when final', async () => {
      const res = await request(server(appFailingWith(() => tiktok('INVALID_TOKEN')))).get('/fail');
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, {
        error: {
          code: 'INVALID_TOKEN',
          message: 'Your TikTok login is no longer valid. Please log in with TikTok again.',
          correlationId: 'corr-1',
          retryable: false,
        },
      });
      assert.ok(
        !res.text.includes('went</b>') && !res.text.includes('went&lt;/b&gt;'),
        "the error's own message is for developers",
      );
      assert.equal(res.headers['x-correlation-id'], 'corr-1');
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['retry-after'], undefined);
      assert.ok(!res.text.includes('secret cause') && !res.text.includes('stack'));
    });

    it("Retry-After when retryable: the error's own, else the default (5, or the option)", async () => {
      const own = await request(
        server(appFailingWith(() => tiktok('RATE_LIMIT', { retryAfterSeconds: 30 }))),
      ).get('/fail');
      assert.equal(own.status, 429);
      assert.equal(own.headers['retry-after'], '30');
      const fallback = await request(server(appFailingWith(() => tiktok('TIMEOUT_ERROR')))).get(
        '/fail',
      );
      assert.equal(fallback.status, 504);
      assert.equal(fallback.headers['retry-after'], '5');
      const configured = await request(
        server(appFailingWith(() => tiktok('NETWORK_ERROR'), { defaultRetryAfterSeconds: 9 })),
      ).get('/fail');
      assert.equal(configured.headers['retry-after'], '9');
    });

    it('Retry-After is a whole number of seconds, at most an hour; a negative one takes the default', async () => {
      for (const [given, sent] of [
        [1.5, '2'],
        [-3, '5'],
        [100_000, '3600'],
        [Number.NaN, '5'],
        [0, '0'],
      ] as const) {
        const res = await request(
          server(appFailingWith(() => tiktok('RATE_LIMIT', { retryAfterSeconds: given }))),
        ).get('/fail');
        assert.equal(res.headers['retry-after'], sent, String(given));
      }
    });

    it('an escaped HTML page for browsers', async () => {
      const res = await request(server(appFailingWith(() => tiktok('API_ERROR'))))
        .get('/fail')
        .set('Accept', 'text/html');
      assert.equal(res.status, 502);
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.ok(
        res.text.includes(
          '<p id="message">TikTok is having trouble right now. Please try again in a moment.</p>',
        ),
      );
      assert.ok(
        !res.text.includes('went</b>') && !res.text.includes('went&lt;/b&gt;'),
        "the error's own message is for developers",
      );
      assert.ok(res.text.includes('<code id="code">API_ERROR</code>'));
      assert.ok(res.text.includes('<code id="correlation-id">corr-1</code>'));
      assert.ok(!res.text.includes('<script') && !res.text.includes('secret cause'));
    });

    it("a login's error is titled as one; another page's, and SERVICE_UNAVAILABLE (any page, the session store down), are not", async () => {
      const page = async (code: TikTokAPIError['code'], fromLogin = false): Promise<string> =>
        (
          await request(
            server(
              appFailingWith((req) => {
                // What the strategy's error() does for a login that ends in an error.
                if (fromLogin) markLoginError(req);
                return tiktok(code);
              }),
            ),
          )
            .get('/fail')
            .set('Accept', 'text/html')
        ).text;
      const login = await page('API_ERROR', true);
      assert.ok(login.includes('<title>Login problem (502)</title>'));
      assert.ok(login.includes('<h1>We could not log you in with TikTok</h1>'));
      // A token manager's call on a logged-in page: nobody was logging in.
      const other = await page('API_ERROR');
      assert.ok(other.includes('<title>TikTok problem (502)</title>'), other);
      assert.ok(other.includes('<h1>Something went wrong with TikTok</h1>'));
      assert.ok(!other.includes('log you in'));
      const outage = await page('SERVICE_UNAVAILABLE', true);
      assert.ok(outage.includes('<title>Temporarily unavailable (503)</title>'), outage);
      assert.ok(outage.includes('<h1>This page is temporarily unavailable</h1>'));
      assert.ok(!outage.includes('log you in'));
    });

    it('refuses a failureRedirect that is no path or URL when it is created, not at each error', () => {
      // 'login' would resolve against the callback's URL: /auth/tiktok/login.
      for (const bad of ['https://exa mple.com/login', '', 42, 'login', './login']) {
        assert.throws(() => tiktokErrorHandler({ failureRedirect: bad as string }), {
          name: 'TypeError',
          message:
            /failureRedirect must be a path starting with \/ such as \/login, or an absolute URL/,
        });
      }
      assert.doesNotThrow(() =>
        tiktokErrorHandler({ failureRedirect: 'https://app.example/login' }),
      );
    });

    it('with failureRedirect: a browser is redirected with ?error=&correlationId=', async () => {
      const s = server(
        appFailingWith(() => tiktok('ACCESS_DENIED'), { failureRedirect: '/login?x=1#top' }),
      );
      const html = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(html.status, 302);
      assert.equal(
        html.headers.location,
        '/login?x=1&error=ACCESS_DENIED&correlationId=corr-1#top',
        'the fragment is kept',
      );
      assert.equal(html.headers['x-correlation-id'], 'corr-1');
      const jsonClient = await request(s).get('/fail').set('Accept', 'application/json');
      assert.equal(jsonClient.status, 403);
      assert.equal(field(jsonClient.body, 'error', 'code'), 'ACCESS_DENIED');
    });

    it("negotiates as docs/errors.md says: a browser's Accept gets the redirect, */* (curl, fetch) and no Accept the JSON", async () => {
      const s = server(
        appFailingWith(() => tiktok('ACCESS_DENIED'), { failureRedirect: '/login' }),
      );
      const browserAccept =
        'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
      assert.equal((await request(s).get('/fail').set('Accept', browserAccept)).status, 302);
      for (const accept of ['*/*', undefined]) {
        const req = request(s).get('/fail');
        const res = await (accept === undefined ? req.unset('Accept') : req.set('Accept', accept));
        assert.equal(res.status, 403, String(accept));
        assert.equal(field(res.body, 'error', 'code'), 'ACCESS_DENIED');
      }
    });

    it('the failure page itself failing is rendered, not redirected to itself (no loop)', async () => {
      const s = server(
        appFailingWith(() => tiktok('SERVICE_UNAVAILABLE'), { failureRedirect: '/fail' }),
      );
      const res = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(res.status, 503);
      assert.match(res.text, /SERVICE_UNAVAILABLE/);
      assert.equal(res.headers.location, undefined);
    });

    it('inside a router mounted at /auth, /auth/login is not the failure page /login: redirected', async () => {
      const router = express.Router();
      router.get('/login', (_req: Request, _res: Response, next: NextFunction) =>
        next(tiktok('SERVICE_UNAVAILABLE')),
      );
      router.use(tiktokErrorHandler({ failureRedirect: '/login' }));
      const app = express();
      app.use('/auth', router);
      const res = await request(server(createServer(app)))
        .get('/auth/login')
        .set('Accept', 'text/html');
      assert.equal(res.status, 302);
      assert.match(String(res.headers.location), /^\/login\?/);
    });

    // The request path is the client's, up to Node's 16 KiB header limit. Comparing it with the
    // failure page used `replace(/\/+$/, '')`, which V8 retries from every slash of a run that
    // does not end the path: ~120 ms per request for `/api` + 15 000 slashes + `x`.
    it('compares a path of thousands of slashes with the failure page in linear time', async () => {
      const handler = tiktokErrorHandler({ failureRedirect: '/login/' });
      let spentMs = 0;
      const app = express();
      for (const prefix of ['/api', '/login']) {
        app.use(prefix, (_req: Request, _res: Response, next: NextFunction) =>
          next(tiktok('INVALID_TOKEN')),
        );
      }
      app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
        const started = performance.now();
        handler(err, req, res, next);
        spentMs += performance.now() - started;
      });
      const s = server(createServer(app));
      for (let i = 0; i < 20; i++) {
        const res = await request(s)
          .get(`/api${'/'.repeat(15_000)}x`)
          .set('Accept', 'text/html');
        assert.equal(res.status, 302);
        assert.equal(res.headers.location, '/login/?error=INVALID_TOKEN&correlationId=corr-1');
      }
      // Generous, for a loaded CI machine: now well under 10 ms in all, before ~2 500 ms.
      assert.ok(spentMs < 500, `${Math.round(spentMs)} ms in the handler`);
      // Trailing slashes still do not matter: the failure page failing is rendered, not redirected.
      const page = await request(s).get('/login///').set('Accept', 'text/html');
      assert.equal(page.status, 401);
      assert.equal(page.headers.location, undefined);
    });

    it('a failureRedirect with its own error or correlationId gets them replaced, not repeated', async () => {
      const s = server(
        appFailingWith(() => tiktok('INVALID_STATE'), {
          failureRedirect: 'https://app.example/login?error=1&lang=fr&correlationId=old',
        }),
      );
      const res = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(
        res.headers.location,
        'https://app.example/login?error=INVALID_STATE&lang=fr&correlationId=corr-1',
      );
    });

    it("a request that already is this handler's failure redirect is rendered, not redirected again (a proxy stripping a path prefix)", async () => {
      // The proxy serves /app/login as /login: the app never sees the configured path.
      const s = server(
        appFailingWith(() => tiktok('SERVICE_UNAVAILABLE'), { failureRedirect: '/app/login' }),
      );
      const first = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(first.status, 302);
      const again = await request(s)
        .get('/fail?error=SERVICE_UNAVAILABLE&correlationId=corr-1')
        .set('Accept', 'text/html');
      assert.equal(again.status, 503);
      assert.equal(again.headers.location, undefined);
      // A query that is not the handler's (no known code) still redirects.
      const other = await request(s)
        .get('/fail?error=oops&correlationId=x')
        .set('Accept', 'text/html');
      assert.equal(other.status, 302);
    });

    it('405 stays a 405 (with Allow), even with failureRedirect', async () => {
      const s = server(
        appFailingWith(() => tiktok('METHOD_NOT_ALLOWED'), { failureRedirect: '/login' }),
      );
      const res = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET');
    });
  });

  describe("passport's AuthenticationError (failWithError) after TikTokStrategy failed the login", () => {
    it('is rendered from req.tiktokLoginFailure', async () => {
      const s = server(
        appFailingWith((req) => {
          req.tiktokLoginFailure = {
            code: 'INVALID_STATE',
            message: 'expired',
            correlationId: 'c-9',
            status: 400,
          };
          return Object.assign(new Error('Bad Request'), {
            name: 'AuthenticationError',
            status: 400,
          });
        }),
      );
      const res = await request(s).get('/fail');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        error: {
          code: 'INVALID_STATE',
          message: 'expired',
          correlationId: 'c-9',
          retryable: false,
        },
      });
    });

    it('a failure shown in the response is not shown again by the next page (its session record goes)', async () => {
      const sessions: Record<string, unknown>[] = [];
      for (const [recordedId, accept] of [
        ['c-9', 'text/html'],
        ['c-9', 'application/json'],
        ['another-login', 'text/html'],
      ] as const) {
        const session: Record<string, unknown> = {
          save: (cb: () => void) => cb(),
          'tiktok:failure': { code: 'ACCESS_DENIED', correlationId: recordedId, message: 'Banned' },
        };
        sessions.push(session);
        const app = express();
        app.use((req, _res, next) => {
          Reflect.set(req, 'session', session);
          next();
        });
        app.get('/fail', (req: Request, _res: Response, next: NextFunction) => {
          req.tiktokLoginFailure = {
            code: 'ACCESS_DENIED',
            message: 'Banned',
            correlationId: 'c-9',
            status: 403,
          };
          next(Object.assign(new Error('Forbidden'), { name: 'AuthenticationError', status: 403 }));
        });
        app.use(tiktokErrorHandler());
        const res = await request(server(createServer(app)))
          .get('/fail')
          .set('Accept', accept);
        assert.equal(res.status, 403);
      }
      assert.equal(sessions[0]?.['tiktok:failure'], undefined, 'the page showed it');
      assert.equal(sessions[1]?.['tiktok:failure'], undefined, 'the JSON carried it');
      assert.notEqual(sessions[2]?.['tiktok:failure'], undefined, "another login's failure stays");
    });
    it("cuts a long message of the app's on the page without splitting an emoji", async () => {
      // 499 characters, then an emoji across the 500-character limit: the page used to end in
      // half of it, which the UTF-8 page showed as U+FFFD.
      const message = `${'x'.repeat(499)}😀 and more`;
      const s = server(
        appFailingWith((req) => {
          req.tiktokLoginFailure = {
            code: 'ACCESS_DENIED',
            message,
            correlationId: 'c-9',
            status: 403,
          };
          return Object.assign(new Error('Forbidden'), {
            name: 'AuthenticationError',
            status: 403,
          });
        }),
      );
      const res = await request(s).get('/fail').set('Accept', 'text/html');
      assert.equal(res.status, 403);
      assert.ok(res.text.includes(`<p id="message">${'x'.repeat(499)}…</p>`), res.text);
      assert.ok(!res.text.includes('\uFFFD'));
    });
  });

  describe('mounted without () (app.use(tiktokErrorHandler))', () => {
    for (const position of ['first', 'last'] as const) {
      it(`mounted ${position}: a request is failed at once with CONFIGURATION_ERROR naming the fix (it hung)`, async () => {
        const app = express();
        let seen: unknown;
        if (position === 'first') app.use(tiktokErrorHandler);
        app.get('/ok', (_req: Request, res: Response) => {
          res.send('ok');
        });
        if (position === 'last') app.use(tiktokErrorHandler);
        app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
          seen = err;
          res.status(500).end();
        });
        const path = position === 'first' ? '/ok' : '/missing';
        await request(app).get(path).timeout(5000).expect(500);
        assert.ok(seen instanceof TikTokAPIError);
        assert.equal(seen.code, 'CONFIGURATION_ERROR');
        assert.match(
          seen.message,
          /^tiktokErrorHandler is mounted without being called: .*app\.use\(tiktokErrorHandler\(\)\)$/,
        );
      });
    }

    it('called, it still returns the four-argument error middleware', () => {
      assert.equal(typeof tiktokErrorHandler({}), 'function');
      assert.equal(tiktokErrorHandler({}).length, 4);
    });
  });

  describe('anything else goes to next(err)', () => {
    it('a plain Error', async () => {
      const res = await request(server(appFailingWith(() => new Error('other')))).get('/fail');
      assert.equal(res.status, 599);
    });

    it('an AuthenticationError from another strategy', async () => {
      const err = Object.assign(new Error('Unauthorized'), { name: 'AuthenticationError' });
      const res = await request(server(appFailingWith(() => err))).get('/fail');
      assert.equal(res.status, 599);
    });

    it('a TikTokAPIError after the response started', async () => {
      const res = await request(server(appFailingWith(() => undefined))).get('/late');
      assert.equal(res.status, 200);
      assert.equal(res.text, 'partial');
    });
  });

  it('rejects a bad defaultRetryAfterSeconds', () => {
    assert.throws(
      () => tiktokErrorHandler({ defaultRetryAfterSeconds: -1 }),
      /defaultRetryAfterSeconds/,
    );
  });
});
