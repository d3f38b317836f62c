import { createHash, hash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Request } from 'express';
import type { TikTokProfile } from '../../../lib/profile';
import { Strategy } from 'passport';
import { BENCH_FIELDS } from '../../fields';
import { benchVerify, type StrategyConfig, type StrategyPlugin } from '../plugin';
import {
  answer,
  callTarget,
  type CallTarget,
  ContractError,
  correlationId,
  timedCall,
  timedCallTo,
  tokensOf,
  userOf,
} from './contract-client';
import { ContractReturnToStore, ContractSessionStore } from './contract-store';
import { poolHex } from './random-pool';
import { passportOAuth2Contract } from './passport-oauth2';

const STATE_KEY = 'floor:state';

/** One HTTP(S) call on node's global keep-alive agent; the body as text. No timeout, no cap. */
function call(
  url: string,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http).request(
      url,
      { method, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The code exchange's form (TikTok's `client_key`), with any extra fields. */
function tokenForm(c: StrategyConfig, code: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    client_key: c.upstream.clientKey,
    client_secret: c.upstream.clientSecret,
    code,
    grant_type: 'authorization_code',
    redirect_uri: c.callbackURL,
    ...extra,
  }).toString();
}

function field(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) v = typeof v === 'object' && v !== null ? Reflect.get(v, key) : undefined;
  return v;
}

/**
 * The floor: the least a "Log in with TikTok" strategy can do and still log a user in safely
 * enough to count — a random state in the session (CSRF), the code exchange and the user-info
 * call, nothing else: no PKCE, no validation beyond "is there an open_id", no timeouts, no
 * retries, no error mapping. Not a competitor (nobody should ship it): it shows how much of a
 * login's cost is Express, express-session, passport, TLS and the two TikTok calls, which every
 * strategy pays, so that a target ratio can be checked against what any strategy could reach.
 */
class FloorStrategy extends Strategy {
  override name = 'tiktok';

  constructor(private readonly c: StrategyConfig) {
    super();
  }

  override authenticate(req: Request): void {
    const session = req.session as unknown as Record<string, unknown>;
    const query = req.query;
    const code = query.code;
    if (typeof code !== 'string') {
      const state = randomBytes(16).toString('hex');
      session[STATE_KEY] = state;
      const u = this.c.upstream;
      const params = new URLSearchParams({
        client_key: u.clientKey,
        scope: this.c.scopes.join(','),
        response_type: 'code',
        redirect_uri: this.c.callbackURL,
        state,
      });
      this.redirect(`${u.authorizationURL}?${params.toString()}`);
      return;
    }
    const expected = session[STATE_KEY];
    Reflect.deleteProperty(session, STATE_KEY);
    if (typeof expected !== 'string' || query.state !== expected) {
      this.fail({ message: 'bad state' }, 403);
      return;
    }
    void this.finish(code);
  }

  private async finish(code: string): Promise<void> {
    const u = this.c.upstream;
    try {
      const form = tokenForm(this.c, code);
      const tokens: unknown = JSON.parse(
        await call(
          u.tokenURL,
          'POST',
          { 'Content-Type': 'application/x-www-form-urlencoded' },
          form,
        ),
      );
      const accessToken = field(tokens, 'access_token');
      if (typeof accessToken !== 'string') throw new Error('no access token');
      const info: unknown = JSON.parse(
        await call(`${u.userInfoURL}?fields=${BENCH_FIELDS}`, 'GET', {
          Authorization: `Bearer ${accessToken}`,
        }),
      );
      const openId = field(info, 'data', 'user', 'open_id');
      if (typeof openId !== 'string') throw new Error('no open_id');
      this.success({ id: openId });
    } catch (err) {
      this.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export const floor: StrategyPlugin = {
  id: 'floor',
  create: (c) => new FloorStrategy(c),
};

/**
 * The contract on the leanest base: the floor's bare passport strategy (no passport-oauth2 flow)
 * plus exactly what this package's contract asks of any implementation — hex S256 PKCE, the state
 * handling of {@link ContractSessionStore} (several pending logins, anonymous-session expiry,
 * single-use claim, session saved before the code exchange), the login stamp, and TikTok's calls
 * through the contract client (timeouts within a deadline, correlation IDs, capped and validated
 * answers, TikTok's errors with HTTP 200, typed errors). `--ab floor-contract,passport-oauth2`:
 * the least any implementation of the contract costs in these apps.
 */
class FloorContractStrategy extends Strategy {
  override name = 'tiktok';
  private readonly store = new ContractSessionStore('floor:pending');

  constructor(private readonly c: StrategyConfig) {
    super();
  }

  override authenticate(req: Request): void {
    const query = req.query;
    const code = query.code;
    if (typeof code !== 'string') {
      const verifier = randomBytes(32).toString('hex');
      this.store.store(req, { verifier }, undefined, (_err, state) => {
        const u = this.c.upstream;
        const params = new URLSearchParams({
          client_key: u.clientKey,
          scope: this.c.scopes.join(','),
          response_type: 'code',
          redirect_uri: this.c.callbackURL,
          state: state ?? '',
          code_challenge: createHash('sha256').update(verifier).digest('hex'),
          code_challenge_method: 'S256',
        });
        this.redirect(`${u.authorizationURL}?${params.toString()}`);
      });
      return;
    }
    this.store.verify(req, query.state, (err, verifier) => {
      if (err) this.error(err);
      else if (verifier === false) this.fail({ message: 'bad state' }, 403);
      else void this.finish(code, verifier);
    });
  }

  private async finish(code: string, verifier: string): Promise<void> {
    const u = this.c.upstream;
    const deadlineAt = Date.now() + this.c.deadlineMs;
    const timeout = (): number => Math.min(this.c.attemptTimeoutMs, deadlineAt - Date.now());
    try {
      const form = tokenForm(this.c, code, { code_verifier: verifier });
      const id = correlationId();
      const tokens = tokensOf(
        answer(
          await timedCall(
            u.tokenURL,
            'POST',
            { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Correlation-Id': id },
            timeout(),
            form,
          ),
        ),
      );
      const user = userOf(
        answer(
          await timedCall(
            `${u.userInfoURL}?fields=${BENCH_FIELDS}`,
            'GET',
            { Authorization: `Bearer ${tokens.access_token}`, 'X-Correlation-Id': id },
            timeout(),
          ),
        ),
      );
      if (user.open_id !== tokens.open_id) throw new ContractError('MALFORMED_RESPONSE', 'open_id');
      this.success({ id: tokens.open_id });
    } catch (err) {
      this.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export const floorContract: StrategyPlugin = {
  id: 'floor-contract',
  create: (c) => new FloorContractStrategy(c),
  onLogin: passportOAuth2Contract.onLogin,
};

export const FULL_KEY = 'floor:full:pending';
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
export const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// The user-info fields each scope allows, after `open_id` (which every request asks for).
const FIELDS_BY_SCOPE = new Map([
  ['user.info.basic', 'union_id,avatar_url,avatar_url_100,avatar_large_url,display_name'],
  ['user.info.profile', 'bio_description,profile_deep_link,is_verified,username'],
  ['user.info.stats', 'follower_count,following_count,likes_count,video_count'],
]);

/** The Passport profile this package documents (docs/strategy.md, "The profile"). */
export type FullProfile = Omit<TikTokProfile, '_json'> & { _json: Record<string, unknown> };

/**
 * passport-oauth2's verify: `(accessToken, refreshToken, profile, done)`. What it returns is read
 * by `floor-contract-complete` only (a promise of the user, from an `async` verify).
 */
export type FullVerify = (
  accessToken: string,
  refreshToken: string,
  profile: FullProfile,
  done: (err: unknown, user?: unknown, info?: object) => void,
) => unknown;

export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The Passport profile this package documents, from a checked user-info `user`. */
export function documentedProfile(openId: string, user: Record<string, unknown>): FullProfile {
  let raw: string | undefined;
  const profile: FullProfile = {
    provider: 'tiktok',
    id: openId,
    displayName: nonEmpty(user.display_name) ?? nonEmpty(user.username) ?? openId,
    photos: [],
    // Serialised at its first read, as this package does.
    get _raw(): string {
      raw ??= JSON.stringify(user);
      return raw;
    },
    _json: user,
  };
  if (typeof user.union_id === 'string') profile.unionId = user.union_id;
  if (typeof user.username === 'string') profile.username = user.username;
  if (typeof user.profile_deep_link === 'string') profile.profileUrl = user.profile_deep_link;
  const photo =
    nonEmpty(user.avatar_large_url) ?? nonEmpty(user.avatar_url_100) ?? nonEmpty(user.avatar_url);
  if (photo !== undefined) profile.photos.push({ value: photo });
  return profile;
}

/**
 * Writes `pending` (when there is any) into the session that replaces `req.session` at its next
 * regeneration, then hands that session to `then`.
 */
export function carryIntoRegenerated(
  req: Request,
  pending: unknown,
  then?: (fresh: Request['session']) => void,
): void {
  const session = req.session;
  const regenerate = session.regenerate.bind(session);
  session.regenerate = (cb) => {
    Reflect.deleteProperty(session, 'regenerate');
    return regenerate((e: unknown) => {
      if (!e) {
        if (pending !== undefined) Reflect.set(req.session, FULL_KEY, pending);
        then?.(req.session);
      }
      cb(e);
    });
  };
}

/** The success info of a login: its correlation ID, granted scopes and `returnTo`. */
export function successInfo(
  id: string,
  scope: string,
  returnTo: string | undefined,
  /** Verify's own `info`, under the login's (`floor-contract-complete`). */
  info?: object,
): Record<string, unknown> {
  const grantedScopes = scope.split(',').filter((s) => s !== '');
  const success: Record<string, unknown> =
    info === undefined
      ? { correlationId: id, grantedScopes }
      : { ...info, correlationId: id, grantedScopes };
  if (returnTo !== undefined) success.returnTo = returnTo;
  return success;
}

/**
 * {@link FloorContractStrategy} plus, in the least code for each, what this package documents
 * for a successful login: the session saved before the redirect; the callback's `code`, `state`
 * and `error` read once from the raw query string and shape-checked (400, no token call);
 * `error=access_denied` failing after the state is consumed; a correlation ID per login (a safe
 * incoming `X-Correlation-Id`, else a new one) sent to TikTok and put in the success info; the
 * user-info fields of the granted scopes (token `scope`, else the callback's `scopes`); the
 * documented profile; verify called the passport-oauth2 way; the other tabs' pending logins
 * carried across passport's session regeneration; a same-origin `returnTo` kept with the login
 * and put in the success info. `--ab floor-contract-full,passport-oauth2`: the floor of the
 * whole contract.
 */
export class FloorContractFullStrategy extends Strategy {
  override name = 'tiktok';
  protected readonly store = new ContractReturnToStore(FULL_KEY);
  protected readonly callbackPath: string;
  /** User-info request target by granted scope string. */
  protected readonly targets = new Map<string, CallTarget>();

  /** `<authorizationURL>?client_key=…&scope=…&response_type=code&redirect_uri=…`, made once. */
  private readonly authorizePrefix: string;
  /** The code exchange's form up to `code=`, made once. */
  protected readonly formPrefix: string;
  protected readonly tokenTarget: CallTarget;

  constructor(
    protected readonly c: StrategyConfig,
    protected readonly verify: FullVerify,
  ) {
    super();
    this.callbackPath = new URL(c.callbackURL).pathname;
    const u = c.upstream;
    this.authorizePrefix = `${u.authorizationURL}?${new URLSearchParams({
      client_key: u.clientKey,
      scope: c.scopes.join(','),
      response_type: 'code',
      redirect_uri: c.callbackURL,
    }).toString()}`;
    this.formPrefix = `${new URLSearchParams({
      client_key: u.clientKey,
      client_secret: u.clientSecret,
      grant_type: 'authorization_code',
      redirect_uri: c.callbackURL,
    }).toString()}&code=`;
    this.tokenTarget = callTarget(u.tokenURL);
  }

  override authenticate(req: Request, options?: object): void {
    const url = req.originalUrl;
    const q = url.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const isCallback = (q === -1 ? url : url.slice(0, q)) === this.callbackPath;
    if (this.refused(req, isCallback, query)) return;
    if (!isCallback) {
      this.start(req, query.get('returnTo'), options);
      return;
    }
    let code: string | undefined;
    let state: string | undefined;
    let error: string | undefined;
    for (const [key, value] of query) {
      const bracket = key.indexOf('[');
      const name = bracket === -1 ? key : key.slice(0, bracket);
      if (name !== 'code' && name !== 'state' && name !== 'error') continue;
      const seen = name === 'code' ? code : name === 'state' ? state : error;
      if (bracket !== -1 || seen !== undefined) {
        this.fail({ message: `malformed ${name}` }, 400);
        return;
      }
      if (name === 'code') code = value;
      else if (name === 'state') state = value;
      else error = value;
    }
    if (
      (code !== undefined && (code.length > 2048 || !VISIBLE_ASCII.test(code))) ||
      (state !== undefined && (state.length > 512 || !VISIBLE_ASCII.test(state))) ||
      (code === undefined) === (error === undefined)
    ) {
      this.fail({ message: 'malformed callback' }, 400);
      return;
    }
    this.store.verify(req, state, (err, verifier, _info, returnTo) => {
      if (err) this.error(err);
      else if (verifier === false) this.fail({ message: 'bad state' }, 403);
      else if (code === undefined)
        this.fail({ message: 'refused on TikTok' }, error === 'access_denied' ? 403 : 400);
      else void this.finish(req, query, code, verifier, returnTo);
    });
  }

  /** Whether the request was answered before its login could start or complete: never here. */
  protected refused(_req: Request, _isCallback: boolean, _query: URLSearchParams): boolean {
    return false;
  }

  /** `_options`: `passport.authenticate()`'s, read by `floor-contract-complete` only. */
  protected start(req: Request, returnTo: string | null, _options?: object): void {
    const verifier = poolHex(32);
    const state: { verifier: string; returnTo?: string } = { verifier };
    if (
      returnTo !== null &&
      returnTo.length <= 2048 &&
      VISIBLE_ASCII.test(returnTo) &&
      returnTo.startsWith('/') &&
      returnTo[1] !== '/' &&
      returnTo[1] !== '\\'
    ) {
      state.returnTo = returnTo;
    }
    this.store.store(req, state, undefined, (_err, handle) => {
      // The handle and the challenge are hex: appended to the prefix as they are.
      const url = `${this.authorizePrefix}&state=${handle ?? ''}&code_challenge=${hash('sha256', verifier, 'hex')}&code_challenge_method=S256`;
      req.session.save((err: unknown) => {
        if (err) this.error(err instanceof Error ? err : new Error('session save failed'));
        else this.redirect(url);
      });
    });
  }

  protected userInfoTarget(scope: string): CallTarget {
    let target = this.targets.get(scope);
    if (target === undefined) {
      const fields = ['open_id'];
      for (const s of new Set(scope.split(','))) {
        const allowed = FIELDS_BY_SCOPE.get(s);
        if (allowed !== undefined) fields.push(allowed);
      }
      target = callTarget(`${this.c.upstream.userInfoURL}?fields=${fields.join(',')}`);
      if (this.targets.size >= 64) this.targets.clear();
      this.targets.set(scope, target);
    }
    return target;
  }

  protected async finish(
    req: Request,
    query: URLSearchParams,
    code: string,
    verifier: string,
    returnTo: string | undefined,
  ): Promise<void> {
    const deadlineAt = Date.now() + this.c.deadlineMs;
    const timeout = (): number => Math.min(this.c.attemptTimeoutMs, deadlineAt - Date.now());
    const header = req.headers['x-correlation-id'];
    const id = typeof header === 'string' && SAFE_ID.test(header) ? header : correlationId();
    try {
      // The verifier is hex; the code goes through the form encoding.
      const form = `${this.formPrefix}${encodeURIComponent(code)}&code_verifier=${verifier}`;
      const tokens = tokensOf(
        answer(
          await timedCallTo(
            this.tokenTarget,
            'POST',
            { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Correlation-Id': id },
            timeout(),
            form,
          ),
        ),
      );
      const scope = tokens.scope !== '' ? tokens.scope : (query.get('scopes') ?? '');
      const user = userOf(
        answer(
          await timedCallTo(
            this.userInfoTarget(scope),
            'GET',
            { Authorization: `Bearer ${tokens.access_token}`, 'X-Correlation-Id': id },
            timeout(),
          ),
        ),
      );
      if (user.open_id !== tokens.open_id) throw new ContractError('MALFORMED_RESPONSE', 'open_id');
      const profile = documentedProfile(tokens.open_id, user);
      this.verify(tokens.access_token, tokens.refresh_token, profile, (err, found, info) => {
        if (err) {
          this.error(err instanceof Error ? err : new Error('verify failed'));
          return;
        }
        if (!found) {
          this.fail(info);
          return;
        }
        // passport regenerates the session in req.login(): the other tabs' pending logins (what
        // the store left after consuming this login's state) are written into the new one, once.
        const rest: unknown = Reflect.get(req.session, FULL_KEY);
        if (rest !== undefined) carryIntoRegenerated(req, rest);
        this.success(found, successInfo(id, scope, returnTo));
      });
    } catch (err) {
      this.error(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export const floorContractFull: StrategyPlugin = {
  id: 'floor-contract-full',
  create: (c) => new FloorContractFullStrategy(c, benchVerify),
  onLogin: passportOAuth2Contract.onLogin,
};
