/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import { ERROR_CODE_INFO, TikTokAPIError, type TikTokErrorCode } from '../errors';
import type { SafeLogger } from '../logging';
import { recordLoginFailure, loginFailureMessage } from '../state/login-failure';
import { sessionOf } from '../state/session';
import type { TikTokAuthenticateOptions, TikTokLoginFailureInfo } from './options';
import type { StrategySettings } from './settings';

/** passport's per-request actions, captured from the strategy instance passport created. */
export interface StrategyActions {
  success(user: Express.User, info?: object): void;
  fail(challenge: object, status: number): void;
  redirect(url: string): void;
  error(err: unknown): void;
}

/** Everything one authenticate() call works with. */
export interface FlowContext {
  readonly req: Request;
  readonly options: TikTokAuthenticateOptions;
  readonly settings: StrategySettings;
  readonly actions: StrategyActions;
  readonly correlationId: string;
  readonly logger: SafeLogger;
  /** Epoch ms when authenticate() was called: `loginDeadlineMs` counts from here. */
  readonly startedAt: number;
}

/**
 * Fails the login (passport `fail()`): the info carries `code`, `message`, `correlationId` and
 * `status`, is put on `req.tiktokLoginFailure` for tiktokErrorHandler (with `failWithError`),
 * and, when the route has a `failureRedirect`, is recorded in the session for
 * `getTikTokLoginFailure()`. `reason` is for the log only.
 */
export function failLogin(
  ctx: FlowContext,
  code: TikTokErrorCode,
  reason: string,
  message: string = loginFailureMessage(code),
): void {
  const info: TikTokLoginFailureInfo = {
    code,
    message,
    correlationId: ctx.correlationId,
    status: ERROR_CODE_INFO[code].statusCode,
  };
  ctx.req.tiktokLoginFailure = info;
  const res = ctx.req.res;
  if (res !== undefined && !res.headersSent) res.setHeader('X-Correlation-Id', ctx.correlationId);
  const session = sessionOf(ctx.req);
  if (ctx.options.failureRedirect !== undefined && session !== undefined) {
    recordLoginFailure(session, { code, correlationId: ctx.correlationId });
  }
  ctx.logger.log('warn', '[TikTokOAuth] login - failure', {
    correlationId: ctx.correlationId,
    errorCode: code,
    reason,
  });
  ctx.actions.fail(info, info.status);
}

/** An error (passport `error()`): TikTok, transport, session store, or the app's own. */
export function errorLogin(ctx: FlowContext, err: unknown): void {
  if (err instanceof TikTokAPIError) {
    ctx.logger.log(err.retryable ? 'error' : 'warn', '[TikTokOAuth] login - error', {
      correlationId: err.correlationId,
      errorCode: err.code,
      retryable: err.retryable,
    });
  }
  ctx.actions.error(err);
}

/** A SERVICE_UNAVAILABLE error for a session or claim store that did not answer. */
export function storeUnavailable(ctx: FlowContext, what: string, cause: unknown): TikTokAPIError {
  return new TikTokAPIError({
    code: 'SERVICE_UNAVAILABLE',
    message: `Login is temporarily unavailable: the ${what} did not answer. Please try again in a moment.`,
    correlationId: ctx.correlationId,
    retryAfterSeconds: 5,
    cause,
  });
}
