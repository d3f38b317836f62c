import type { ErrorRequestHandler, Request } from 'express';
import type { Strategy } from 'passport';
import type { CompetitorId, Upstream } from '../types';

/** Everything a strategy needs, identical for every competitor. */
export interface StrategyConfig {
  readonly upstream: Upstream;
  readonly callbackURL: string;
  readonly scopes: readonly string[];
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
}

/** The user every competitor's verify produces, so sessions hold the same thing. */
export interface BenchUser {
  id: string;
}

/**
 * A competitor, plugged into the one app factory. Everything else (session, routes, serialisation,
 * the final error handler) is shared, so the apps differ only by what is declared here.
 */
export interface StrategyPlugin {
  readonly id: CompetitorId;
  /** A passport strategy registered under the name `tiktok`. */
  readonly create: (config: StrategyConfig) => Strategy;
  /** Per-request options of the start route (hand-wired PKCE needs a fresh verifier). */
  readonly startOptions?: () => Record<string, unknown>;
  /** Runs on the callback route after a successful login, before the redirect. */
  readonly onLogin?: (req: Request) => void;
  /** An error middleware the competitor ships, mounted before the shared one. */
  readonly errorHandler?: () => ErrorRequestHandler;
}

/** The verify every competitor gets: the user is the TikTok open_id. */
export function benchVerify(
  _accessToken: string,
  _refreshToken: string | undefined,
  profile: { id: string },
  done: (err: null, user: BenchUser) => void,
): void {
  done(null, { id: profile.id });
}
