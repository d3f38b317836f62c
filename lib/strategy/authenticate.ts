/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';
import { handleCallback } from './callback';
import { looksLikeCallback, rawPathOf, rawQueryOf } from './callback-params';
import { errorLogin, failLogin, type FlowContext, type StrategyActions } from './context';
import type { TikTokAuthenticateOptions } from './options';
import type { StrategySettings } from './settings';
import { startLogin } from './start';

function methodNotAllowed(ctx: FlowContext, allowed: string): void {
  ctx.req.res?.setHeader('Allow', allowed);
  errorLogin(
    ctx,
    new TikTokAPIError({
      code: 'METHOD_NOT_ALLOWED',
      message: `This login URL answers ${allowed} only.`,
      correlationId: ctx.correlationId,
    }),
  );
}

/**
 * Callback parameters on a path that is not the callbackURL's: refused with 400, the session
 * untouched and no token call. A login completed there would skip whatever the app mounts on its
 * callback route only (`tiktokReturnTo()`, its own checks); starting a new login instead would
 * loop through TikTok when the app's callback route and `callbackURL` disagree.
 */
function refuseOffCallbackPath(ctx: FlowContext): void {
  failLogin(
    ctx,
    'VALIDATION_ERROR',
    `callback parameters outside the callbackURL path ${ctx.settings.callbackPath}`,
  );
}

/**
 * One authenticate() call. A request is a callback when it targets the callbackURL's path
 * (compared with the request's path as the app received it, `originalUrl`); callback parameters
 * (`code`, `state`, `error`, …) on any other path are refused with 400; anything else starts a
 * login. Callbacks are GET only: a HEAD or POST (link scanners, forms) must not consume the state.
 */
export async function authenticateRequest(
  req: Request,
  options: TikTokAuthenticateOptions,
  settings: StrategySettings,
  passportActions: StrategyActions,
): Promise<void> {
  const startedAt = Date.now();
  let acted = false;
  const act =
    <A extends unknown[]>(action: (...args: A) => void) =>
    (...args: A): void => {
      acted = true;
      action(...args);
    };
  const actions: StrategyActions = {
    success: act((user: Express.User, info?: object) => passportActions.success(user, info)),
    fail: act((challenge: object, status: number) => passportActions.fail(challenge, status)),
    redirect: act((url: string) => passportActions.redirect(url)),
    error: act((err: unknown) => passportActions.error(err)),
  };
  // An ID set earlier in the request (the app's own request-ID middleware) wins over the
  // incoming header; either is used only when it is a safe token, else a new one is made.
  const correlationId = acceptCorrelationId(
    req.tiktokCorrelationId ?? req.headers['x-correlation-id'],
  );
  req.tiktokCorrelationId = correlationId;
  const query = rawQueryOf(req);
  const ctx: FlowContext = {
    req,
    options,
    settings,
    actions,
    correlationId,
    startedAt,
    logger: settings.client.logFor([
      query.get('state') ?? undefined,
      query.get('code') ?? undefined,
    ]).logger,
  };
  try {
    if (rawPathOf(req) === settings.callbackPath) {
      if (req.method !== 'GET') methodNotAllowed(ctx, 'GET');
      else await handleCallback(ctx, query);
    } else if (looksLikeCallback(query)) {
      refuseOffCallbackPath(ctx);
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      methodNotAllowed(ctx, 'GET, POST');
    } else {
      await startLogin(ctx, query);
    }
  } catch (err) {
    if (!acted) {
      errorLogin(ctx, err);
      return;
    }
    // Thrown after passport was told the outcome (by the app's own code, typically): the
    // response is no longer ours to change, and a rejection here would be unhandled.
    ctx.logger.log('error', '[TikTokOAuth] login - exception after the outcome', {
      correlationId,
      error: err,
    });
  }
}
