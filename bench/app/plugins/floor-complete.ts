import type { Request } from 'express';
// The package's own helpers where the contract's least code is exactly theirs.
import { parseJson } from '../../../lib/client/parse';
import { looksLikeCallback } from '../../../lib/strategy/callback-params';
import { benchVerify, type StrategyPlugin } from '../plugin';
import {
  answer,
  ContractError,
  correlationId,
  timedCallTo,
  type CallTarget,
  type ContractTokens,
} from './contract-client';
import { ContractReturnToStore } from './contract-store';
import {
  carryIntoRegenerated,
  documentedProfile,
  FloorContractFullStrategy,
  FULL_KEY,
  SAFE_ID,
  successInfo,
} from './floor';

/** The TikTok account a consumed pending login was bound to (by a login in another tab). */
const BOUND = new WeakMap<Request, string>();

/** {@link ContractReturnToStore} that also hands over the consumed entry's binding. */
class ContractBoundStore extends ContractReturnToStore {
  protected override consumed(req: Request, entry: object): void {
    const openId: unknown = Reflect.get(entry, 'openId');
    if (typeof openId === 'string') BOUND.set(req, openId);
  }
}

type Save = (callback: (err?: unknown) => void) => void;

/**
 * At passport's regeneration of the session (`req.login()`), the new session gets the other tabs'
 * pending logins as they were (`rest`), and its `save()` is wrapped once: the save that stores
 * passport's user also binds them to the account (`bound`) and stores the login stamp; when that
 * save fails, the user and the stamp are taken out again and the pending logins go back as they
 * were, so nobody is logged in behind the error.
 */
function carryAcrossLogin(
  req: Request,
  rest: unknown[] | undefined,
  bound: unknown[] | undefined,
  stamp: object,
): void {
  carryIntoRegenerated(req, rest, (fresh) => {
    const save = fresh.save.bind(fresh) as unknown as Save;
    Reflect.set(fresh, 'save', (done: (err?: unknown) => void) => {
      Reflect.set(fresh, 'save', save);
      if (bound !== undefined) Reflect.set(fresh, FULL_KEY, bound);
      Reflect.set(fresh, 'tiktokLogin', stamp);
      save((err?: unknown) => {
        if (err) {
          const entry: unknown = Reflect.get(fresh, 'passport');
          if (typeof entry === 'object' && entry !== null) Reflect.deleteProperty(entry, 'user');
          Reflect.set(fresh, FULL_KEY, rest);
          Reflect.set(fresh, 'tiktokLogin', undefined);
        }
        done(err);
      });
    });
  });
}

/** A circuit per endpoint: consecutive failures open it for a while. */
interface Circuit {
  failures: number;
  openUntil: number;
}

const MAX_ATTEMPTS = 3;
const BUDGET_MAX = 10;
const FAILURES_TO_OPEN = 5;
const OPEN_MS = 30_000;

/** Whether a failed attempt may be retried: transport failures, timeouts, 5xx, rate limits. */
function retryable(err: unknown): boolean {
  if (!(err instanceof ContractError)) return true;
  return (
    err.code === 'TIMEOUT_ERROR' ||
    err.code === 'UPSTREAM_ERROR' ||
    err.message === 'rate_limit_exceeded'
  );
}

const DIGITS = /^\d{1,10}$/;

/** Seconds as TikTok sends them: a non-negative integer, or its digits. */
function seconds(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' && DIGITS.test(value) ? Number(value) : undefined;
}

/** The token response checked as this package documents it (docs/client.md). */
function tokensComplete(body: Record<string, unknown>): ContractTokens {
  const { access_token, refresh_token, open_id, scope, token_type } = body;
  const expires = seconds(body.expires_in);
  if (
    typeof access_token !== 'string' ||
    access_token === '' ||
    typeof open_id !== 'string' ||
    open_id === '' ||
    expires === undefined ||
    (scope !== undefined && typeof scope !== 'string') ||
    (refresh_token !== undefined && typeof refresh_token !== 'string') ||
    (token_type !== undefined &&
      (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer')) ||
    (body.refresh_expires_in !== undefined && seconds(body.refresh_expires_in) === undefined)
  ) {
    throw new ContractError('MALFORMED_RESPONSE', 'token response fields');
  }
  return {
    access_token,
    refresh_token: refresh_token ?? '',
    open_id,
    scope: scope ?? '',
    expires_in: expires,
  };
}

const STRINGS = [
  'union_id',
  'avatar_url',
  'avatar_url_100',
  'avatar_large_url',
  'display_name',
  'bio_description',
  'profile_deep_link',
  'username',
];
const COUNTS = ['follower_count', 'following_count', 'likes_count', 'video_count'];

/** The user of a user-info answer, every documented field checked for its type. */
function userComplete(body: Record<string, unknown>): Record<string, unknown> {
  const data = body.data;
  const user: unknown =
    typeof data === 'object' && data !== null ? Reflect.get(data, 'user') : undefined;
  if (typeof user !== 'object' || user === null)
    throw new ContractError('MALFORMED_RESPONSE', 'user');
  const u = user as Record<string, unknown>;
  if (typeof u.open_id !== 'string' || u.open_id === '')
    throw new ContractError('MALFORMED_RESPONSE', 'open_id');
  for (const f of STRINGS) {
    const v = u[f];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw new ContractError('MALFORMED_RESPONSE', f);
  }
  for (const f of COUNTS) {
    const v = u[f];
    // A string of digits is the same count (int64 as JSON encoders send it), as in this package.
    const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
    if (
      n !== undefined &&
      n !== null &&
      !(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
    ) {
      throw new ContractError('MALFORMED_RESPONSE', f);
    }
  }
  if (u.is_verified !== undefined && u.is_verified !== null && typeof u.is_verified !== 'boolean') {
    throw new ContractError('MALFORMED_RESPONSE', 'is_verified');
  }
  return u;
}

/**
 * `floor-contract-full` plus, in the least code for each, the rest of what this package documents
 * for every login, so that `--ab floor-contract-complete,passport-oauth2` measures what any
 * implementation of the whole documented contract costs in these apps:
 *
 * - retries of a failed attempt (transport failures, timeouts, 5xx, rate limits; at most 3
 *   attempts, backoff, within the deadline) under a client-wide retry budget, and a circuit
 *   breaker per endpoint (consecutive failures of TikTok open it: transport failures, timeouts,
 *   5xx; TikTok's OAuth errors do not), both kept on every call;
 * - the token answer and every documented user-info field checked for its type;
 * - a pending login bound to another account (by a login in another tab) refused after the code
 *   exchange, and the other tabs' pending logins bound to the account that logs in;
 * - a browser that left during the TikTok calls not logged in;
 * - verify called in the passport-oauth2 shape its declared parameters choose (four, or five
 *   with the token answer), its `info` merged into the success info, and watched by a timer
 *   while it has not answered (a log line when it does not finish within the login deadline);
 * - the login-start checks of the session cookie (`SameSite=Strict`, another host than the
 *   callback's, `Secure` over http), and `passport.authenticate()`'s options read;
 * - the login's correlation ID on `req.tiktokCorrelationId` (an ID set earlier in the request
 *   wins over the header), and `Cache-Control: no-store` on every answer of the login routes;
 * - the other tabs' pending logins and the login stamp written when passport saves its user
 *   into the regenerated session, and taken out of it again (with the user) when that save
 *   fails, so that a browser is never left logged in behind an error page;
 * - the checks every login request gets before it starts or completes: a callback that is not a
 *   GET, or a start that is neither GET nor POST, answered 405 with `Allow`; callback parameters
 *   off the callback path refused with 400; a request without a session refused (docs/errors.md,
 *   docs/strategy.md);
 * - a login started in a session whose user passport did not restore logged once (the
 *   `passport.session()` setup hint of docs/troubleshooting.md);
 * - each pending login records its strategy's callback path, and only that path's callback
 *   consumes it (docs/strategy.md, "Several strategies");
 * - the state claimed through a promise, as the pluggable claim store answers (Redis across
 *   instances), under the SHA-256 of the state, so that no claim store holds a live state
 *   (docs/security-review.md);
 * - TikTok's answers parsed without `__proto__`, `constructor` and `prototype` keys
 *   (docs/security-review.md), the reviver paid only when the text could hold one;
 * - a verify that returns a promise of the user instead of calling `done` (an `async` verify,
 *   docs/strategy.md), and `done` answered once;
 * - the short cookie lifetime for sessions holding nothing but login keys only (no user, no data
 *   of the app's), with the clock margin, the app's shorter `maxAge` kept, and the app's value
 *   kept in the session meanwhile (docs/strategy.md).
 *
 * Not a strategy to use: its breaker and budget are the simplest that keep the documented
 * behaviour, its errors are not the documented ones.
 */
export class FloorContractCompleteStrategy extends FloorContractFullStrategy {
  protected override readonly store = new ContractBoundStore(FULL_KEY, {
    path: this.callbackPath,
    storeClaims: true,
    loginOnlyLifetime: true,
  });
  private readonly circuits: Record<'token' | 'user_info', Circuit> = {
    token: { failures: 0, openUntil: 0 },
    user_info: { failures: 0, openUntil: 0 },
  };
  /**
   * What every login of this strategy shares: the retry budget, and whether each setup hint was
   * logged (once per strategy). NOTE: one object changed in place, never properties of `this`:
   * passport runs each request on its own `Object.create()` of the registered strategy, where
   * a property written would stay with that request.
   */
  private readonly shared = { budget: BUDGET_MAX, warned: false, warnedUser: false };
  /** The callback's host: a login started on another one loses its session cookie. */
  private readonly callbackHost = new URL(this.c.callbackURL).hostname;

  override authenticate(req: Request): void {
    const given: unknown =
      Reflect.get(req, 'tiktokCorrelationId') ?? req.headers['x-correlation-id'];
    Reflect.set(
      req,
      'tiktokCorrelationId',
      typeof given === 'string' && SAFE_ID.test(given) ? given : correlationId(),
    );
    const res = req.res;
    if (res !== undefined && !res.headersSent) res.setHeader('Cache-Control', 'no-store');
    super.authenticate(req);
  }

  /**
   * A callback that is not a GET: 405 with `Allow`. Elsewhere, callback parameters: 400, and a
   * start that is neither GET nor POST: 405. No session: an error (503 in the package).
   */
  protected override refused(req: Request, isCallback: boolean, query: URLSearchParams): boolean {
    const method = req.method;
    if (isCallback) {
      if (method !== 'GET') {
        req.res?.setHeader('Allow', 'GET');
        this.fail({ message: 'method not allowed' }, 405);
        return true;
      }
    } else {
      if (looksLikeCallback(query)) {
        this.fail({ message: 'callback parameters off the callback path' }, 400);
        return true;
      }
      if (method !== 'GET' && method !== 'POST') {
        req.res?.setHeader('Allow', 'GET, POST');
        this.fail({ message: 'method not allowed' }, 405);
        return true;
      }
    }
    const session: unknown = Reflect.get(req, 'session');
    if (
      typeof session !== 'object' ||
      session === null ||
      typeof Reflect.get(session, 'save') !== 'function'
    ) {
      this.error(new Error('login needs a session'));
      return true;
    }
    return false;
  }

  /**
   * `passport.authenticate()`'s options are read as the package reads them on every start: a
   * `callbackURL` is refused, a `returnTo` wins over the query's. NOTE: a per-request `scope` or
   * `state` is refused here too (the package supports both); the bench passes neither, so
   * the checks are what every login pays either way.
   */
  protected override start(req: Request, returnTo: string | null, options?: object): void {
    const o: { callbackURL?: unknown; scope?: unknown; state?: unknown; returnTo?: unknown } =
      options ?? {};
    if (o.callbackURL !== undefined || o.scope !== undefined || o.state !== undefined) {
      this.error(new Error('per-request callbackURL, scope and state are not supported here'));
      return;
    }
    if (!this.shared.warnedUser && req.user === undefined) {
      const entry: unknown = Reflect.get(req.session, 'passport');
      if (typeof entry === 'object' && entry !== null && Reflect.get(entry, 'user') !== undefined) {
        this.shared.warnedUser = true;
        process.emitWarning('the session has a user that passport did not restore');
      }
    }
    const cookie = req.session.cookie;
    if (
      !this.shared.warned &&
      (cookie.sameSite === 'strict' ||
        // A cookie without a Domain goes back only to the host that set it.
        (req.hostname !== this.callbackHost && cookie.domain === undefined) ||
        (cookie.secure === true && !req.secure))
    ) {
      this.shared.warned = true;
      process.emitWarning('the session cookie will not come back from TikTok');
    }
    super.start(req, typeof o.returnTo === 'string' ? o.returnTo : returnTo);
  }

  /** One TikTok call, retried as documented, under the endpoint's circuit and the budget. */
  private async call(
    circuit: Circuit,
    deadlineAt: number,
    send: (timeoutMs: number) => Promise<{ status: number; text: string }>,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      const now = Date.now();
      if (circuit.openUntil > now) throw new ContractError('CIRCUIT_OPEN', 'TikTok is unavailable');
      let status = 0;
      try {
        const res = await send(Math.min(this.c.attemptTimeoutMs, deadlineAt - now));
        status = res.status;
        // A 5xx or 429 is retried whatever its body (a proxy's HTML page, say).
        if (res.status >= 500 || res.status === 429) {
          throw new ContractError('UPSTREAM_ERROR', `HTTP ${res.status}`);
        }
        const body = answer(res, parseJson);
        circuit.failures = 0;
        if (this.shared.budget < BUDGET_MAX) this.shared.budget += 0.1;
        return body;
      } catch (err) {
        // Only "TikTok is not working" counts against the breaker (transport failures, timeouts,
        // 5xx); TikTok answering an OAuth error (`invalid_grant`…) is TikTok working; a 429 or a
        // malformed answer says nothing either way.
        if (!(err instanceof ContractError) || err.code === 'TIMEOUT_ERROR' || status >= 500) {
          if (++circuit.failures >= FAILURES_TO_OPEN) circuit.openUntil = Date.now() + OPEN_MS;
        } else if (err.code === 'TIKTOK_ERROR' && err.message !== 'rate_limit_exceeded') {
          circuit.failures = 0;
        }
        const delay = 100 * 2 ** (attempt - 1);
        if (
          !retryable(err) ||
          attempt >= MAX_ATTEMPTS ||
          this.shared.budget < 1 ||
          Date.now() + delay >= deadlineAt
        ) {
          throw err;
        }
        this.shared.budget -= 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  protected override async finish(
    req: Request,
    query: URLSearchParams,
    code: string,
    verifier: string,
    returnTo: string | undefined,
  ): Promise<void> {
    const deadlineAt = Date.now() + this.c.deadlineMs;
    const given: unknown = Reflect.get(req, 'tiktokCorrelationId');
    const id = typeof given === 'string' ? given : correlationId();
    try {
      const form = `${this.formPrefix}${encodeURIComponent(code)}&code_verifier=${verifier}`;
      const issued = Date.now();
      const tokens = tokensComplete(
        await this.call(this.circuits.token, deadlineAt, (timeoutMs) =>
          timedCallTo(
            this.tokenTarget,
            'POST',
            { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Correlation-Id': id },
            timeoutMs,
            form,
          ),
        ),
      );
      const bound = BOUND.get(req);
      if (bound !== undefined && bound !== tokens.open_id) {
        this.fail({ message: 'started before you signed in, approved as another account' }, 400);
        return;
      }
      const scope = tokens.scope !== '' ? tokens.scope : (query.get('scopes') ?? '');
      const target: CallTarget = this.userInfoTarget(scope);
      const user = userComplete(
        await this.call(this.circuits.user_info, deadlineAt, (timeoutMs) =>
          timedCallTo(
            target,
            'GET',
            { Authorization: `Bearer ${tokens.access_token}`, 'X-Correlation-Id': id },
            timeoutMs,
          ),
        ),
      );
      if (user.open_id !== tokens.open_id) throw new ContractError('MALFORMED_RESPONSE', 'open_id');
      if (req.socket.destroyed) return;
      const profile = documentedProfile(tokens.open_id, user);
      let answered = false;
      let slow: NodeJS.Timeout | undefined;
      const done = (err: unknown, found?: unknown, info?: object): void => {
        if (answered) return;
        answered = true;
        if (slow !== undefined) clearTimeout(slow);
        if (err) {
          this.error(err instanceof Error ? err : new Error('verify failed'));
          return;
        }
        if (!found) {
          this.fail(info);
          return;
        }
        // The other tabs' pending logins, bound to this account, and the login stamp into the
        // regenerated session at passport's save of its user.
        const rest: unknown = Reflect.get(req.session, FULL_KEY);
        const openId = tokens.open_id;
        const others = Array.isArray(rest) ? (rest as unknown[]) : undefined;
        carryAcrossLogin(
          req,
          others,
          others?.map((p) => ({ ...(p as object), openId })),
          { openId, at: issued },
        );
        this.success(found, successInfo(id, scope, returnTo, info));
      };
      // passport-oauth2's verify shapes, by declared parameters: with the token answer
      // (`params`) at five; one that declares `done` and resolves to undefined calls it later.
      const verify = this.verify;
      const declaresDone = verify.length >= 4;
      const returned: unknown = Reflect.apply(
        verify,
        undefined,
        verify.length >= 5
          ? [tokens.access_token, tokens.refresh_token, tokens, profile, done]
          : [tokens.access_token, tokens.refresh_token, profile, done],
      );
      // An async verify returns a promise of the user.
      if (typeof returned === 'object' && returned !== null) {
        const then: unknown = Reflect.get(returned, 'then');
        if (typeof then === 'function') {
          Reflect.apply(then, returned, [
            (user: unknown) => {
              if (user !== undefined || !declaresDone) done(null, user ?? false);
            },
            (reason: unknown) => {
              done(reason instanceof Error ? reason : new Error('verify failed'));
            },
          ]);
        }
      }
      // Watched by a timer only while it has not answered (a log line after the deadline).
      if (!answered) {
        slow = setTimeout(() => {
          process.emitWarning('verify has not finished');
        }, this.c.deadlineMs);
        slow.unref();
      }
    } catch (err) {
      this.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export const floorContractComplete: StrategyPlugin = {
  id: 'floor-contract-complete',
  create: (c) => new FloorContractCompleteStrategy(c, benchVerify),
};
