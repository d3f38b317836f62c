import {
  startTikTokEmulator,
  type TikTokEmulator,
  type TikTokEmulatorOptions,
} from '../../lib/testing';
import { realNow } from './clock';
import { CALLBACK_URL, startLoginApp, type LoginApp, type LoginAppOptions } from './login-app';
import { browser, type Agent } from './login-flow';

export interface LoginFixture {
  readonly tt: TikTokEmulator;
  readonly app: LoginApp;
  /** A new browser (cookie jar) for this app. */
  browser(): Agent;
}

export interface LoginFixtureOptions extends Omit<LoginAppOptions, 'tt'> {
  emulator?: TikTokEmulatorOptions;
}

/**
 * Registers mocha hooks, inside the calling `describe`: an auto-approving emulator and a login
 * app started in `before`, closed in `after`, the emulator reset before each test.
 */
export function useLoginFixture(options: LoginFixtureOptions = {}): LoginFixture {
  let tt: TikTokEmulator | undefined;
  let app: LoginApp | undefined;
  before(async () => {
    tt = await startTikTokEmulator({
      autoApprove: true,
      clock: realNow,
      redirectUris: [CALLBACK_URL],
      ...options.emulator,
    });
    app = await startLoginApp({ ...options, tt });
  });
  after(async () => {
    await app?.close();
    await tt?.close();
  });
  beforeEach(() => tt?.reset());
  const fixture: LoginFixture = {
    get tt(): TikTokEmulator {
      if (tt === undefined) throw new Error('the fixture is used outside its describe');
      return tt;
    },
    get app(): LoginApp {
      if (app === undefined) throw new Error('the fixture is used outside its describe');
      return app;
    },
    browser: () => browser(fixture.app.server),
  };
  return fixture;
}
