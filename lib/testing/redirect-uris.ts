import type { ErrorDetail } from './html';
import { redirectUriRefusal, redirectUriRulesPage, WILDCARD_PORT_URI } from './options';

/** Why an authorize request's `redirect_uri` is refused, for the error page. */
export interface RedirectUriProblem {
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

function howToRegister(uri: string): ErrorDetail[] {
  const quoted = JSON.stringify(uri);
  return [
    {
      text: 'Register it when starting the emulator:',
      code: `startTikTokEmulator({ redirectUris: [${quoted}] })`,
    },
    { text: 'or on the running emulator:', code: `tt.registerRedirectUri(${quoted})` },
    { text: "redirectUris: 'any' accepts every redirect URI (TikTok never does)." },
  ];
}

/**
 * Whether `uri` is `registered` with a port in place of its wildcard (`:*`): the same bytes before
 * and after it, and a port number (1 to 65535, as written in a URL: no leading zero) in its place.
 */
function matchesWildcardPort(registered: string, uri: string): boolean {
  const wildcard = WILDCARD_PORT_URI.exec(registered);
  if (wildcard === null) return false;
  const head = wildcard[1] ?? '';
  const path = wildcard[2] ?? '';
  if (uri.length <= head.length + path.length || !uri.startsWith(head) || !uri.endsWith(path)) {
    return false;
  }
  const port = uri.slice(head.length, uri.length - path.length);
  return /^[1-9]\d{0,4}$/.test(port) && Number(port) <= 65_535;
}

/**
 * The app's registered redirect URIs. NOTE: TikTok requires the redirect URI to be registered
 * for the app and matched exactly (https://developers.tiktok.com/doc/login-kit-web), but for the
 * port of a registered wildcard port (https://developers.tiktok.com/doc/login-kit-desktop); an
 * unknown one stops on a TikTok error page and never reaches the callback.
 */
export class RedirectUriRegistry {
  private registered: string[] | 'any';

  constructor(initial: readonly string[] | 'any') {
    this.registered = initial === 'any' ? 'any' : [...initial];
  }

  get uris(): readonly string[] | 'any' {
    return this.registered === 'any' ? 'any' : [...this.registered];
  }

  /**
   * Adds a URI (once); a no-op with `'any'`. TypeError for a URI whose shape TikTok would not
   * register (`redirectUriRefusal`).
   */
  register(uri: string): void {
    const refusal = redirectUriRefusal(uri);
    if (refusal !== undefined) {
      throw new TypeError(
        `TikTokEmulator.registerRedirectUri: ${refusal} (${redirectUriRulesPage(uri)})`,
      );
    }
    if (this.registered === 'any' || this.registered.includes(uri)) return;
    this.registered.push(uri);
  }

  isRegistered(uri: string): boolean {
    return (
      this.registered === 'any' ||
      this.registered.includes(uri) ||
      this.registered.some((registered) => matchesWildcardPort(registered, uri))
    );
  }

  /** Why `uri` is refused, naming it and the registered ones; `undefined` when it is accepted. */
  problem(uri: string): RedirectUriProblem | undefined {
    if (this.isRegistered(uri) || this.registered === 'any') return undefined;
    if (this.registered.length === 0) {
      return {
        message: 'redirect_uri is not registered: this app has no redirect URI registered',
        details: [{ text: 'Received:', code: uri }, ...howToRegister(uri)],
      };
    }
    return {
      message: this.registered.some((registered) => WILDCARD_PORT_URI.test(registered))
        ? 'redirect_uri is not registered for this app (the match is exact, byte for byte, but for the port of a wildcard)'
        : 'redirect_uri is not registered for this app (the match is exact, byte for byte)',
      details: [
        { text: 'Received:', code: uri },
        ...this.registered.map((registered) => ({ text: 'Registered:', code: registered })),
        ...howToRegister(uri),
      ],
    };
  }
}
