import assert from 'node:assert/strict';
import session from 'express-session';
import request from 'supertest';
import {
  APP_COOKIE_MAX_AGE_KEY,
  CLOCK_SKEW_MARGIN_MS,
  expireLoginOnlySession,
  restoreAppCookieMaxAge,
} from '../../lib/state/session-cookie';
import { PENDING_LOGINS_KEY } from '../../lib/state/pending-logins';
import type { SessionLike } from '../../lib/state/session';
import { NO_PENDING_LOGIN_REASON } from '../../lib/strategy';
import { realNow, withClockAhead } from '../support/clock';
import { field } from '../support/json';
import { consent, useLoginFixture, type TestResponse } from '../support/login';

const HOUR_MS = 3600 * 1000;
const WEEK_MS = 7 * 24 * HOUR_MS;
const STATE_TTL_MS = 600_000;

/** A session as express-session makes it: a real Cookie with the app's `maxAge`, methods hidden. */
function sessionWithCookie(maxAge: number | null): SessionLike {
  const cookie = new session.Cookie();
  if (maxAge !== null) cookie.maxAge = maxAge;
  const s: SessionLike = { cookie, save: (callback) => callback() };
  Object.defineProperty(s, 'save', { enumerable: false });
  return s;
}

function maxAgeOf(s: SessionLike): unknown {
  return field(s.cookie, 'maxAge');
}

/**
 * The session cookie a browser keeps from a response, per RFC 6265 §5.3: a cookie whose Expires
 * is not after the browser's own clock (`clientNow`) is dropped at once. express-session sends
 * Expires, no Max-Age.
 */
function keptCookie(res: TestResponse, clientNow: number): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const sid = cookies.find((c) => c.startsWith('connect.sid='));
  if (sid === undefined) return undefined;
  assert.doesNotMatch(sid, /;\s*Max-Age=/i);
  const expires = /;\s*Expires=([^;]+)/i.exec(sid)?.[1];
  if (expires !== undefined && Date.parse(expires) <= clientNow) return undefined;
  return sid.split(';')[0];
}

type LoadCallback = (err: unknown, data?: session.SessionData | null) => void;

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/** A store that loses keys holding `null` (as DynamoDB mappers do), through JSON otherwise. */
class NullDroppingStore extends session.MemoryStore {
  override get(sid: string, callback: LoadCallback): void {
    super.get(sid, (err, data) => {
      callback(
        err,
        data === undefined || data === null ? data : (withoutNulls(data) as session.SessionData),
      );
    });
  }
}

describe('state/session-cookie', () => {
  describe('the cookie of a session holding only pending logins', () => {
    it('lives stateTtlMs plus a margin of 15 hours for browser clocks, far below a week', () => {
      assert.equal(CLOCK_SKEW_MARGIN_MS, 15 * HOUR_MS);
      const s = sessionWithCookie(WEEK_MS);
      expireLoginOnlySession(s, STATE_TTL_MS);
      const maxAge = maxAgeOf(s);
      assert.ok(typeof maxAge === 'number');
      assert.ok(
        maxAge > STATE_TTL_MS + CLOCK_SKEW_MARGIN_MS - 1000 &&
          maxAge <= STATE_TTL_MS + CLOCK_SKEW_MARGIN_MS,
        `maxAge ${maxAge}`,
      );
      assert.equal(s[APP_COOKIE_MAX_AGE_KEY], WEEK_MS);
    });

    it("keeps the app's own maxAge when that is shorter than the margin (never lengthened)", () => {
      const s = sessionWithCookie(HOUR_MS);
      expireLoginOnlySession(s, STATE_TTL_MS);
      const maxAge = maxAgeOf(s);
      assert.ok(typeof maxAge === 'number' && maxAge <= HOUR_MS && maxAge > HOUR_MS - 1000);
      // A second start: the kept value still bounds it.
      s[PENDING_LOGINS_KEY] = [];
      expireLoginOnlySession(s, STATE_TTL_MS);
      const again = maxAgeOf(s);
      assert.ok(typeof again === 'number' && again <= HOUR_MS, String(again));
    });

    it('a browser-session cookie (no maxAge) gets the short lifetime, the app value kept as false', () => {
      const s = sessionWithCookie(null);
      expireLoginOnlySession(s, STATE_TTL_MS);
      const maxAge = maxAgeOf(s);
      assert.ok(typeof maxAge === 'number' && maxAge > CLOCK_SKEW_MARGIN_MS);
      // Not null: stores that drop null-valued keys would lose it.
      assert.equal(s[APP_COOKIE_MAX_AGE_KEY], false);
    });

    it('a session saved with the older null marker still gets a browser-session cookie back', () => {
      const s = sessionWithCookie(null);
      expireLoginOnlySession(s, STATE_TTL_MS);
      s[APP_COOKIE_MAX_AGE_KEY] = null;
      restoreAppCookieMaxAge(s);
      assert.equal(maxAgeOf(s), null);
      assert.equal(s[APP_COOKIE_MAX_AGE_KEY], undefined);
    });

    it('the log reason of a callback without its session names a fast browser clock', () => {
      assert.match(NO_PENDING_LOGIN_REASON, /browser clock more than 15 hours fast/);
    });
  });

  describe('a first-time visitor whose clock is fast (issue: every login failed INVALID_STATE)', () => {
    const fx = useLoginFixture({ cookie: { maxAge: WEEK_MS } });

    for (const [what, aheadMs] of [
      ['30 minutes', 30 * 60 * 1000],
      ['14 hours (local time read as UTC at UTC+14)', 14 * HOUR_MS],
    ] as const) {
      it(`logs in with TikTok with a clock ${what} fast`, async () => {
        const start = await request(fx.app.server).get('/auth/tiktok');
        assert.equal(start.status, 302);
        const cookie = keptCookie(start, realNow() + aheadMs);
        assert.ok(cookie !== undefined, 'the browser drops the session cookie at once');
        const callback = await consent(new URL(String(start.headers.location)));
        const res = await request(fx.app.server)
          .get(callback)
          .set('Accept', 'application/json')
          .set('Cookie', cookie);
        assert.equal(res.status, 302, `${res.status} ${res.text}`);
      });
    }

    it('the pending login still expires after stateTtlMs, on the server clock', async () => {
      const start = await request(fx.app.server).get('/auth/tiktok');
      const cookie = keptCookie(start, realNow());
      assert.ok(cookie !== undefined);
      const callback = await consent(new URL(String(start.headers.location)));
      const res = await withClockAhead(STATE_TTL_MS + 1000, () =>
        request(fx.app.server)
          .get(callback)
          .set('Accept', 'application/json')
          .set('Cookie', cookie),
      );
      assert.equal(res.status, 400, res.text);
      assert.equal(field(res.body, 'error', 'code'), 'INVALID_STATE');
    });
  });

  describe('a store that drops null-valued keys, keepSessionInfo: true, no cookie.maxAge', () => {
    const fx = useLoginFixture({
      store: new NullDroppingStore(),
      callbackOptions: { keepSessionInfo: true },
    });

    it('the logged-in session cookie ends with the browser session again (it lived 15 hours)', async () => {
      const browser = fx.browser();
      const start = await browser.get('/auth/tiktok');
      assert.match(String(start.headers['set-cookie']), /Expires=/);
      const res = await browser
        .get(await consent(new URL(String(start.headers.location))))
        .set('Accept', 'application/json');
      assert.equal(res.status, 302, res.text);
      const header: unknown = res.headers['set-cookie'];
      const sid = (Array.isArray(header) ? header.map(String) : []).find((c) =>
        c.startsWith('connect.sid='),
      );
      assert.ok(sid !== undefined);
      assert.doesNotMatch(sid, /Expires=/);
    });
  });
});
