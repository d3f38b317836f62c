import { createHash, randomBytes } from 'node:crypto';
import { Strategy as OAuth2Strategy, type StateStore } from 'passport-oauth2';
import { BENCH_FIELDS } from '../../fields';
import { benchVerify, type StrategyConfig, type StrategyPlugin } from '../plugin';
import { answer, correlationId, timedCall, tokensOf, userOf } from './contract-client';
import { ContractSessionStore } from './contract-store';
import { HexPkceSessionStore, type PkceState } from './hex-pkce-store';

interface Envelope {
  data?: { user?: { open_id?: unknown; display_name?: unknown } };
  error?: { code?: unknown };
}

/**
 * passport-oauth2 wired for TikTok by hand, the way its docs suggest: `client_key` through
 * `authorizationParams`/`tokenParams`, comma scopes through `scopeSeparator`, hex S256 PKCE
 * through a state store, and a `userProfile` that reads TikTok's envelope.
 */
class HandWiredTikTokStrategy extends OAuth2Strategy {
  constructor(
    protected readonly c: StrategyConfig,
    store: object = new HexPkceSessionStore('oauth2:tiktok:pkce'),
  ) {
    super(
      {
        authorizationURL: c.upstream.authorizationURL,
        tokenURL: c.upstream.tokenURL,
        clientID: c.upstream.clientKey,
        clientSecret: c.upstream.clientSecret,
        callbackURL: c.callbackURL,
        scope: [...c.scopes],
        scopeSeparator: ',',
        // @types/passport-oauth2 lacks the `store(req, state, meta, cb)` form that
        // passport-oauth2 1.8 picks by arity when `state` is an object.
        store: store as StateStore,
      },
      benchVerify,
    );
    this.name = 'tiktok';
    this._oauth2.useAuthorizationHeaderforGET(true);
  }

  override authorizationParams(options: { state?: PkceState }): object {
    const verifier = options.state?.verifier ?? '';
    const challenge = createHash('sha256').update(verifier).digest('hex');
    return {
      client_key: this.c.upstream.clientKey,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
  }

  override tokenParams(): object {
    return { client_key: this.c.upstream.clientKey };
  }

  override userProfile(
    accessToken: string,
    done: (err?: unknown, profile?: unknown) => void,
  ): void {
    const url = `${this.c.upstream.userInfoURL}?fields=${BENCH_FIELDS}`;
    this._oauth2.get(url, accessToken, (err, body) => {
      if (err) {
        done(new Error('failed to fetch user profile'));
        return;
      }
      try {
        const json = JSON.parse(String(body)) as Envelope;
        const user = json.data?.user;
        if (json.error?.code !== 'ok' || typeof user?.open_id !== 'string') {
          throw new Error('TikTok user info error');
        }
        done(null, { provider: 'tiktok', id: user.open_id, displayName: user.display_name });
      } catch (e) {
        done(e);
      }
    });
  }
}

export const passportOAuth2: StrategyPlugin = {
  id: 'passport-oauth2',
  create: (c) => new HandWiredTikTokStrategy(c),
  startOptions: () => ({ state: { verifier: randomBytes(32).toString('hex') } }),
};

/**
 * The same, plus the anonymous-session expiry this package applies (a session holding only a
 * pending login gets a cookie `maxAge` of the state lifetime, 10 min): `--ab
 * passport-oauth2-expiring,passport-oauth2` measures what that defence costs by itself.
 */
export const passportOAuth2Expiring: StrategyPlugin = {
  id: 'passport-oauth2-expiring',
  create: (c) =>
    new HandWiredTikTokStrategy(c, new HexPkceSessionStore('oauth2:tiktok:pkce', 10 * 60 * 1000)),
  startOptions: passportOAuth2.startOptions,
};

/**
 * Hand-wired passport-oauth2 with the least code that meets this package's contract: the state
 * handling of {@link ContractSessionStore}, the login stamp, and TikTok's two calls through
 * {@link timedCall} (per-attempt timeout within a deadline, correlation ID, capped bodies,
 * responses validated, TikTok's errors with HTTP 200 recognised, typed errors).
 */
class ContractTikTokStrategy extends HandWiredTikTokStrategy {
  constructor(c: StrategyConfig) {
    super(c, new ContractSessionStore('oauth2:tiktok:pending'));
    const { tokenURL, clientKey, clientSecret } = c.upstream;
    const timeoutMs = c.attemptTimeoutMs;
    const deadlineMs = c.deadlineMs;
    // The oauth typings' overloads cannot be assigned to: set as passport-oauth2 calls it.
    Reflect.set(
      this._oauth2,
      'getOAuthAccessToken',
      (
        code: string,
        params: Record<string, string>,
        callback: (
          err: unknown,
          accessToken?: string,
          refreshToken?: string,
          result?: object,
        ) => void,
      ): void => {
        const deadlineAt = Date.now() + deadlineMs;
        const form = new URLSearchParams({
          ...params,
          client_key: clientKey,
          client_secret: clientSecret,
          code,
        }).toString();
        const headers = {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Correlation-Id': correlationId(),
        };
        timedCall(tokenURL, 'POST', headers, Math.min(timeoutMs, deadlineAt - Date.now()), form)
          .then((res) => {
            const tokens = tokensOf(answer(res));
            callback(null, tokens.access_token, tokens.refresh_token, tokens);
          })
          .catch((err: unknown) => {
            callback(err instanceof Error ? err : new Error(String(err)));
          });
      },
    );
  }

  override userProfile(
    accessToken: string,
    done: (err?: unknown, profile?: unknown) => void,
  ): void {
    const url = `${this.c.upstream.userInfoURL}?fields=${BENCH_FIELDS}`;
    const headers = {
      Authorization: `Bearer ${accessToken}`,
      'X-Correlation-Id': correlationId(),
    };
    timedCall(url, 'GET', headers, this.c.attemptTimeoutMs)
      .then((res) => {
        const user = userOf(answer(res));
        done(null, { provider: 'tiktok', id: user.open_id, displayName: user.display_name });
      })
      .catch((err: unknown) => {
        done(err);
      });
  }
}

/**
 * {@link ContractTikTokStrategy} with the login stamp written into the regenerated session:
 * `--ab passport-oauth2-contract,passport-oauth2` measures what the contract costs any
 * implementation (a lower bound: the least code for each behaviour).
 */
export const passportOAuth2Contract: StrategyPlugin = {
  id: 'passport-oauth2-contract',
  create: (c) => new ContractTikTokStrategy(c),
  startOptions: passportOAuth2.startOptions,
  onLogin: (req) => {
    const user: unknown = req.user;
    const id: unknown =
      typeof user === 'object' && user !== null ? Reflect.get(user, 'id') : undefined;
    Reflect.set(req.session, 'tiktokLogin', { openId: id, at: Date.now() });
  },
};
