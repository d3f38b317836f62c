import { loadPackage } from '../../dist';
import { benchVerify, type StrategyConfig, type StrategyPlugin } from '../plugin';

/** This package, configured as its README says, plus the bench's timeouts. */
export const passportTikTok: StrategyPlugin = {
  id: 'passport-tiktok',
  create(c: StrategyConfig) {
    const { TikTokStrategy } = loadPackage();
    const { clientKey, clientSecret, ...endpoints } = c.upstream;
    return new TikTokStrategy(
      {
        clientKey,
        clientSecret,
        callbackURL: c.callbackURL,
        ...endpoints,
        scope: [...c.scopes],
        timeoutMs: c.attemptTimeoutMs,
        loginDeadlineMs: c.deadlineMs,
      },
      benchVerify,
    );
  },
  errorHandler: () => loadPackage().tiktokErrorHandler(),
};
