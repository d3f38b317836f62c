import type { ErrorDetail } from './html';
import { isAcceptableRedirectUri, type ResolvedOptions } from './options';
import type { RedirectUriRegistry } from './redirect-uris';
import { parseScopeParam } from './scopes';

/** The parameters of an authorize request that the consent form carries along. */
export const AUTHORIZE_PARAMS = [
  'client_key',
  'response_type',
  'scope',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'disable_auto_auth',
] as const;

/** A validated authorize request. */
export interface AuthorizeRequest {
  readonly clientKey: string;
  readonly scopes: readonly string[];
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly codeChallenge: string | undefined;
  readonly disableAutoAuth: boolean;
}

const PKCE_SYNTAX = /^[A-Za-z0-9._~-]{43,128}$/;

/** A refused request: what is wrong, and optionally lines that help fix it. */
export interface AuthorizeError {
  readonly error: string;
  readonly details?: readonly ErrorDetail[];
}

type Parsed = { request: AuthorizeRequest } | AuthorizeError;

function checkClient(params: URLSearchParams, options: ResolvedOptions): string | undefined {
  // NOTE: TikTok calls the client id `client_key` and the secret must never travel in the
  // browser (https://developers.tiktok.com/doc/login-kit-web).
  if (params.has('client_secret')) {
    return 'client_secret must never be sent to the authorize endpoint (it is visible to the user)';
  }
  const clientKey = params.get('client_key');
  if (clientKey === null) {
    return params.has('client_id')
      ? 'client_key is required: TikTok does not read client_id'
      : 'client_key is required';
  }
  if (clientKey !== options.clientKey) return 'client_key is invalid';
  return undefined;
}

function checkRedirectUri(
  redirectUri: string | null,
  registry: RedirectUriRegistry,
): AuthorizeError | undefined {
  if (redirectUri === null || redirectUri === '') return { error: 'redirect_uri is required' };
  if (!isAcceptableRedirectUri(redirectUri)) {
    return { error: 'redirect_uri must be an absolute http(s) URI without fragment' };
  }
  const problem = registry.problem(redirectUri);
  return problem === undefined ? undefined : { error: problem.message, details: problem.details };
}

/**
 * PKCE. NOTE: TikTok's challenge is the lowercase hex SHA-256 of the verifier; a base64url
 * challenge passes here and fails at the code exchange, as on TikTok (https://developers.tiktok.com/doc/oauth-user-access-token-management).
 */
function checkPkce(params: URLSearchParams, options: ResolvedOptions): string | undefined {
  const challenge = params.get('code_challenge');
  if (challenge === null) {
    return options.requirePkce ? 'code_challenge is required (PKCE, S256)' : undefined;
  }
  if (params.get('code_challenge_method') !== 'S256') return 'code_challenge_method must be S256';
  if (!PKCE_SYNTAX.test(challenge)) return 'code_challenge is invalid';
  return undefined;
}

/** Validates authorize parameters as TikTok does; errors end on an error page, not the callback. */
export function parseAuthorizeParams(
  params: URLSearchParams,
  options: ResolvedOptions,
  registry: RedirectUriRegistry,
): Parsed {
  for (const name of [...AUTHORIZE_PARAMS, 'client_id', 'client_secret']) {
    if (params.getAll(name).length > 1) return { error: `${name} must appear only once` };
  }
  const clientError = checkClient(params, options);
  if (clientError !== undefined) return { error: clientError };
  if (params.get('response_type') !== 'code') return { error: 'response_type must be code' };
  const scope = parseScopeParam(params.get('scope') ?? '');
  if ('error' in scope) return scope;
  const redirectUri = params.get('redirect_uri');
  const redirectError = checkRedirectUri(redirectUri, registry);
  if (redirectError !== undefined || redirectUri === null) {
    return redirectError ?? { error: 'redirect_uri is required' };
  }
  const pkceError = checkPkce(params, options);
  if (pkceError !== undefined) return { error: pkceError };
  return {
    request: {
      clientKey: options.clientKey,
      scopes: scope.scopes,
      redirectUri,
      state: params.get('state') ?? undefined,
      codeChallenge: params.get('code_challenge') ?? undefined,
      disableAutoAuth: params.get('disable_auto_auth') === '1',
    },
  };
}
