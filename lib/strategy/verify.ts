/// <reference types="passport" preserve="true" />
import type { Request } from 'express';
import type { TikTokTokens } from '../client/types';
import type { TikTokProfile } from '../profile';
import type { AnyTikTokVerify, TikTokVerifyResult } from './options';

/** verify's outcome: a user, a refusal with optional info, or the app's own error. */
export type VerifyOutcome =
  | { kind: 'user'; user: Express.User; info: object | undefined }
  | { kind: 'refused'; info: object | undefined }
  | { kind: 'error'; error: unknown };

export interface VerifyInput {
  readonly verify: AnyTikTokVerify | undefined;
  readonly passReqToCallback: boolean;
  readonly req: Request;
  readonly tokens: TikTokTokens;
  readonly profile: TikTokProfile;
}

function isThenable(value: unknown): value is PromiseLike<TikTokVerifyResult> {
  return (
    typeof value === 'object' && value !== null && typeof Reflect.get(value, 'then') === 'function'
  );
}

function outcomeOf(user: unknown, info: object | undefined): VerifyOutcome {
  if (user === undefined || user === null || user === false) return { kind: 'refused', info };
  // Like passport, any other value is the user (objects usually; ids work too).
  return { kind: 'user', user, info };
}

/**
 * Calls verify the way passport-oauth2 does: by declared arity — 5 parameters (6 with
 * `passReqToCallback`) get the token response as `params` before the profile; fewer get
 * `(accessToken, refreshToken, profile, done)`. A returned promise (an `async` verify) is awaited
 * and its value is the user, unless `done` was called first (or it resolves to undefined and
 * declares `done`: then `done` decides). No verify: the profile is the user.
 */
export function runVerify(input: VerifyInput): Promise<VerifyOutcome> {
  const { verify, tokens, profile } = input;
  if (verify === undefined)
    return Promise.resolve({ kind: 'user', user: profile, info: undefined });
  return new Promise<VerifyOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: VerifyOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const done = (err?: unknown, user?: unknown, info?: object): void => {
      settle(
        err !== undefined && err !== null ? { kind: 'error', error: err } : outcomeOf(user, info),
      );
    };
    const offset = input.passReqToCallback ? 1 : 0;
    const withParams = verify.length >= 5 + offset;
    // A verify that declares `done` and resolves to undefined calls done later.
    const declaresDone = verify.length >= 4 + offset;
    const tail = withParams ? [tokens, profile, done] : [profile, done];
    const args: unknown[] = [tokens.access_token, tokens.refresh_token, ...tail];
    if (input.passReqToCallback) args.unshift(input.req);
    let returned: unknown;
    try {
      returned = Reflect.apply(verify, undefined, args);
    } catch (err) {
      settle({ kind: 'error', error: err });
      return;
    }
    if (isThenable(returned)) {
      Promise.resolve(returned).then(
        (user) => {
          if (user !== undefined || !declaresDone) settle(outcomeOf(user, undefined));
        },
        (err: unknown) => settle({ kind: 'error', error: err }),
      );
    }
  });
}
