import type { TikTokErrorCode } from './errors';

/**
 * What people are told, by error code: fixed strings only. An error's own `message` is for
 * developers and logs (it can name keys, options, TikTok's answer); nothing from TikTok or from
 * the request is ever shown to a user.
 */
const USER_MESSAGES: Readonly<Record<TikTokErrorCode, string>> = {
  NETWORK_ERROR: 'We could not reach TikTok. Please try again in a moment.',
  TIMEOUT_ERROR: 'TikTok took too long to answer. Please try again.',
  RATE_LIMIT: 'Too many logins right now. Please try again in a moment.',
  API_ERROR: 'TikTok is having trouble right now. Please try again in a moment.',
  INVALID_CREDENTIALS:
    'Log in with TikTok is not set up correctly on this site. Please contact support and quote the reference.',
  INVALID_TOKEN: 'Your TikTok login is no longer valid. Please log in with TikTok again.',
  TOKEN_EXPIRED: 'Your TikTok login has expired. Please log in with TikTok again.',
  VALIDATION_ERROR: 'The login link was not valid. Please start the login again.',
  ACCESS_DENIED: 'The TikTok login was cancelled. You can try again whenever you like.',
  INVALID_STATE: 'Your login expired or was already used. Please try again.',
  SCOPE_NOT_AUTHORIZED:
    'TikTok did not grant the permissions this app needs. Please try again and allow them.',
  MALFORMED_RESPONSE: 'TikTok sent an answer we could not understand. Please try again.',
  CONFIGURATION_ERROR:
    'Something is wrong on our side. Please contact support and quote the reference.',
  SERVICE_UNAVAILABLE: 'This service is temporarily unavailable. Please try again in a moment.',
  METHOD_NOT_ALLOWED: 'This login link must be opened directly in the browser.',
  CIRCUIT_OPEN: 'TikTok is unavailable right now. Please try again in a moment.',
  INVALID_SIGNATURE: 'The request could not be verified.',
  PAYLOAD_TOO_LARGE: 'The request is too large.',
  WEBHOOK_HANDLER_ERROR:
    'Something went wrong while processing the request. It will be processed again when retried.',
};

/** ACCESS_DENIED's message when the app's verify refused the user without a message of its own. */
export const VERIFY_REFUSED_MESSAGE = 'This TikTok account cannot be used to log in here.';

/** The fixed message for people for an error code. */
export function userMessage(code: TikTokErrorCode): string {
  return USER_MESSAGES[code];
}
