/**
 * Percent-encodes like encodeURIComponent, plus `!'()*`. NOTE: codes contain `*` and `!`
 * (https://developers.tiktok.com/doc/login-kit-web), so they reach the callback encoded: a client that does not decode
 * exactly once sends the wrong code.
 */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `redirectUri` with `params` appended to its query string (which it may already have). */
export function callbackUrl(
  redirectUri: string,
  params: ReadonlyArray<readonly [string, string | undefined]>,
): string {
  const query = params
    .flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${encodeQueryValue(value)}`]))
    .join('&');
  return redirectUri + (redirectUri.includes('?') ? '&' : '?') + query;
}

/** The callback URL of an authorization error (the user cancelled, or an injected error). */
export function errorCallbackUrl(
  redirectUri: string,
  state: string | undefined,
  error: string,
  description: string,
  errCode: string,
): string {
  return callbackUrl(redirectUri, [
    ['error', error],
    ['error_description', description],
    ['errCode', errCode],
    ['state', state],
  ]);
}
