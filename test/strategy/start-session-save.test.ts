import assert from 'node:assert/strict';
import { TikTokAPIError, TikTokStrategy } from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import { watchUnhandledRejections } from '../support/unhandled-rejections';

const BASE = {
  clientKey: 'ck-123',
  clientSecret: 'cs-456',
  callbackURL: 'https://app.example/auth/tiktok/callback',
};

type Outcome = { kind: 'redirect'; url: string } | { kind: 'error'; error: unknown };

/** A session whose save() does what `save` says; it keeps what the strategy writes. */
function sessionWith(save: (callback: (err?: unknown) => void) => void): Record<string, unknown> {
  return { cookie: { originalMaxAge: null, maxAge: null }, save };
}

/**
 * One login start on the strategy instance passport would make: resolves with passport's first
 * action (`redirect` may throw, as an app's response code can).
 */
function start(
  strategy: TikTokStrategy,
  session: object,
  onRedirect: () => void = () => undefined,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const instance = Object.create(strategy) as TikTokStrategy;
    instance.redirect = (url: string) => {
      resolve({ kind: 'redirect', url });
      onRedirect();
    };
    instance.error = (error: unknown) => resolve({ kind: 'error', error });
    instance.fail = () => resolve({ kind: 'error', error: new Error('unexpected fail') });
    const req = { method: 'GET', originalUrl: '/auth/tiktok', url: '/auth/tiktok', headers: {} };
    instance.authenticate(Object.assign(req, { session }) as never, {});
  });
}

// The login start saves the session from the store's callback, then redirects (no promise).
describe('TikTokStrategy', () => {
  describe('login start: the session save', () => {
    const rejections = watchUnhandledRejections();

    it('redirects only once the store has called back', async () => {
      let saved: ((err?: unknown) => void) | undefined;
      const session = sessionWith((cb) => (saved = cb));
      const seen: { outcome?: Outcome } = {};
      const done = start(new TikTokStrategy(BASE), session).then((o) => (seen.outcome = o));
      await new Promise((resolve) => setImmediate(resolve));
      const current = (): Outcome | undefined => seen.outcome;
      assert.equal(current(), undefined, 'no redirect before the save completed');
      assert.ok(Array.isArray(session['tiktok:pending']));
      saved?.();
      await done;
      assert.equal(current()?.kind, 'redirect');
    });

    it('writes the pending logins as the last key of a fresh session (the key the callback deletes)', async () => {
      // V8 keeps an object's fast layout when its last-added key is deleted; deleting any other
      // key turns the session into a dictionary for the rest of the callback's request.
      // save() on the prototype, as express-session's: the session holds nothing of the app's.
      const session: Record<string, unknown> = Object.create({
        save: (cb: (err?: unknown) => void) => cb(),
      }) as Record<string, unknown>;
      session.cookie = { originalMaxAge: null, maxAge: null };
      const outcome = await start(new TikTokStrategy(BASE), session);
      assert.equal(outcome.kind, 'redirect');
      assert.deepEqual(Object.keys(session), ['cookie', 'tiktok:cookieMaxAge', 'tiktok:pending']);
    });

    it('a cookie whose maxAge cannot be set is left as it is: the login still starts', async () => {
      const session: Record<string, unknown> = Object.create({
        save: (cb: (err?: unknown) => void) => cb(),
      }) as Record<string, unknown>;
      session.cookie = {
        originalMaxAge: 60_000,
        get maxAge(): number {
          return 60_000;
        },
      };
      const outcome = await start(new TikTokStrategy(BASE), session);
      assert.equal(outcome.kind, 'redirect');
      assert.ok(Array.isArray(session['tiktok:pending']));
    });

    for (const [name, failure] of [
      ['an Error', new Error('ECONNREFUSED 127.0.0.1:6379')],
      ['a string', 'store down'],
    ] as const) {
      it(`a save failing with ${name} → error SERVICE_UNAVAILABLE, retryable, no redirect`, async () => {
        const session = sessionWith((cb) => setImmediate(() => cb(failure)));
        const outcome = await start(new TikTokStrategy(BASE), session);
        assert.equal(outcome.kind, 'error');
        const { error } = outcome as { error: unknown };
        assert.ok(error instanceof TikTokAPIError);
        assert.equal(error.code, 'SERVICE_UNAVAILABLE');
        assert.equal(error.retryable, true);
        assert.equal(error.retryAfterSeconds, 5);
        assert.ok(error.cause instanceof Error);
        // The state never reaches the message.
        const pending = session['tiktok:pending'];
        assert.ok(Array.isArray(pending));
        const state: unknown = Reflect.get(Object(pending[0]), 'state');
        assert.equal(typeof state, 'string');
        assert.ok(!error.message.includes(String(state)));
      });
    }

    it('a save that throws → the login error, not an exception out of authenticate()', async () => {
      const session = sessionWith(() => {
        throw new Error('store bug');
      });
      const outcome = await start(new TikTokStrategy(BASE), session);
      assert.equal(outcome.kind, 'error');
      assert.equal((outcome as { error: Error }).error.message, 'store bug');
    });

    it('an exception after the redirect (the app’s response code) is logged, never unhandled', async () => {
      const logger = new CaptureLogger();
      const session = sessionWith((cb) => setImmediate(() => cb()));
      const outcome = await start(new TikTokStrategy({ ...BASE, logger }), session, () => {
        throw new Error('response already closed');
      });
      assert.equal(outcome.kind, 'redirect');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(logger.events('exception after the outcome').length, 1);
      assert.equal(logger.events('exception after the outcome')[0]?.level, 'error');
      assert.deepEqual(rejections.reasons, []);
    });

    it('with a clientKey function the URL comes later; a failing save is still the login error', async () => {
      const strategy = new TikTokStrategy({ ...BASE, clientKey: () => Promise.resolve('ck-fn') });
      const ok = await start(
        strategy,
        sessionWith((cb) => setImmediate(() => cb())),
      );
      assert.equal(ok.kind, 'redirect');
      assert.match((ok as { url: string }).url, /client_key=ck-fn/);
      const failed = await start(
        strategy,
        sessionWith(() => {
          throw new Error('store bug');
        }),
      );
      assert.equal(failed.kind, 'error');
      assert.deepEqual(rejections.reasons, []);
    });
  });
});
