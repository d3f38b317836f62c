import { createRequire } from 'node:module';
import type { Strategy } from 'passport';
import { benchVerify, type StrategyConfig, type StrategyPlugin } from '../plugin';

/** The parts of passport-tiktok-auth@1.0.12 (untyped CommonJS) that the bench touches. */
interface TikTokAuthStrategy extends Strategy {
  /** The user-info fields it asks for; set in its constructor, whatever the scopes. */
  fields: string[];
}
type TikTokAuthConstructor = new (
  options: Record<string, unknown>,
  verify: typeof benchVerify,
) => TikTokAuthStrategy;

// NOTE: the field the emulator (like TikTok's v2 field list) does not know: it answers
// 400 invalid_params "Unknown field" for the whole user-info call. See bench/README.md.
const UNKNOWN_FIELD = 'avatar_url_200';

function create(c: StrategyConfig, dropUnknownField: boolean): Strategy {
  const load = createRequire(__filename);
  const { Strategy: TikTokAuth } = load('passport-tiktok-auth') as {
    Strategy: TikTokAuthConstructor;
  };
  const strategy = new TikTokAuth(
    {
      clientID: c.upstream.clientKey,
      clientSecret: c.upstream.clientSecret,
      callbackURL: c.callbackURL,
      authorizationURL: c.upstream.authorizationURL,
      tokenURL: c.upstream.tokenURL,
      profileURL: c.upstream.userInfoURL,
      // All three scopes, so that its fixed username/stats fields are granted.
      scope: [...c.scopes],
      // passport-oauth2's SessionStore; it has no PKCE that TikTok accepts (base64url only).
      state: true,
    },
    benchVerify,
  );
  if (dropUnknownField) strategy.fields = strategy.fields.filter((f) => f !== UNKNOWN_FIELD);
  return strategy;
}

/** passport-tiktok-auth exactly as published. */
export const passportTikTokAuth: StrategyPlugin = {
  id: 'passport-tiktok-auth',
  create: (c) => create(c, false),
};

/** The same, with the one field TikTok does not document removed after construction. */
export const passportTikTokAuthFields: StrategyPlugin = {
  id: 'passport-tiktok-auth-fields',
  create: (c) => create(c, true),
};
