import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Request } from 'express';
import { Strategy } from 'passport';
import { BENCH_FIELDS } from '../../fields';
import type { StrategyConfig, StrategyPlugin } from '../plugin';
import {
  answer,
  ContractError,
  correlationId,
  timedCall,
  tokensOf,
  userOf,
} from './contract-client';
import { ContractSessionStore } from './contract-store';
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
