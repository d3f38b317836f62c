/**
 * The client's five operations as data, so one matrix of TikTok answers runs against each.
 * `prepare` mints on the emulator whatever the call needs (a code, tokens) and returns the call.
 */
import type { TikTokClient, TikTokOperation } from '../../lib';
import type { EmulatorEndpoint, TikTokEmulator } from '../../lib/testing';
import { authorize } from './emulator';

export interface OperationCase {
  readonly name: TikTokOperation;
  readonly endpoint: EmulatorEndpoint;
  readonly grantType?: string;
  /** Attempts made when every attempt may have reached TikTok (timeout, reset), maxAttempts 3. */
  readonly ambiguousAttempts: number;
  /** The identifier this endpoint uses for a dead code or token (→ INVALID_TOKEN). */
  readonly invalidTokenError: string;
  prepare(tt: TikTokEmulator, client: TikTokClient): Promise<() => Promise<unknown>>;
}

export const OPERATIONS: readonly OperationCase[] = [
  {
    name: 'token_exchange',
    endpoint: 'token',
    grantType: 'authorization_code',
    ambiguousAttempts: 2, // single-use code: one retry after an ambiguous failure
    invalidTokenError: 'invalid_grant',
    async prepare(_tt, client) {
      const { code, codeVerifier } = await authorize(client);
      return () => client.exchangeCodeForTokens(code, { codeVerifier });
    },
  },
  {
    name: 'refresh',
    endpoint: 'token',
    grantType: 'refresh_token',
    ambiguousAttempts: 2, // rotating refresh token: as single-use as a code
    invalidTokenError: 'invalid_grant',
    prepare(tt, client) {
      const { refresh_token } = tt.issueTokens(tt.users[0]!.openId);
      return Promise.resolve(() => client.refreshAccessToken(refresh_token));
    },
  },
  {
    name: 'user_info',
    endpoint: 'userinfo',
    ambiguousAttempts: 3,
    invalidTokenError: 'access_token_invalid',
    prepare(tt, client) {
      const { access_token } = tt.issueTokens(tt.users[0]!.openId);
      return Promise.resolve(() => client.getUserInfo(access_token));
    },
  },
  {
    name: 'revoke',
    endpoint: 'revoke',
    ambiguousAttempts: 3,
    invalidTokenError: 'invalid_grant',
    prepare(tt, client) {
      const { access_token } = tt.issueTokens(tt.users[0]!.openId);
      return Promise.resolve(() => client.revokeAccess(access_token));
    },
  },
  {
    name: 'client_token',
    endpoint: 'token',
    grantType: 'client_credentials',
    ambiguousAttempts: 3,
    invalidTokenError: 'invalid_grant',
    prepare(_tt, client) {
      return Promise.resolve(() => client.getClientAccessToken());
    },
  },
];

/** Requests the emulator received for this operation. */
export function attempts(tt: TikTokEmulator, op: OperationCase): number {
  return op.grantType === undefined
    ? tt.count(op.endpoint)
    : tt.count(op.endpoint, { grantType: op.grantType });
}
