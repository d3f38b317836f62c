import passport from 'passport';
import {
  TikTokStrategy,
  type TikTokClient,
  type TikTokStateClaimStore,
  type TikTokTokenManager,
} from 'passport-tiktok';
import type { ExamplePassport } from './routes/auth';
import { isExampleUser, userFromProfile } from './user';

export interface LoginSetup {
  client: TikTokClient;
  tokenManager: TikTokTokenManager;
  claimStore: TikTokStateClaimStore | undefined;
}

/**
 * A Passport instance of its own (two apps in one process do not share strategies) with
 * TikTokStrategy: tokens go to the token manager at login, the session keeps only the small
 * {@link ExampleUser} — never a token.
 */
export function createPassport(setup: LoginSetup): ExamplePassport {
  const auth = new passport.Passport();
  auth.use(
    new TikTokStrategy(
      {
        client: setup.client,
        tokenManager: setup.tokenManager,
        ...(setup.claimStore === undefined ? {} : { claimStore: setup.claimStore }),
      },
      (_accessToken, _refreshToken, profile) => Promise.resolve(userFromProfile(profile)),
    ),
  );
  auth.serializeUser((user, done) => done(null, user));
  auth.deserializeUser((stored: unknown, done) =>
    done(null, isExampleUser(stored) ? stored : false),
  );
  return auth;
}
