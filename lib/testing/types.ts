import type { EmulatorFault } from './fault';
import type {
  EmulatorWebhookDelivery,
  EmulatorWebhookEvent,
  EmulatorWebhookSendOptions,
} from './webhook-delivery';

/** The four TikTok endpoints the emulator serves. */
export type EmulatorEndpoint = 'authorize' | 'token' | 'revoke' | 'userinfo';

/** Where a recorded request went: one of the endpoints, or any other path (answered 404). */
export type RecordedEndpoint = EmulatorEndpoint | 'other';

/** A user to create. Every field has a default derived from the user's position. */
export interface EmulatorUserInput {
  /** Default `emulator-open-id-<n>` (n = 1 for the first user). */
  openId?: string | undefined;
  /** Default `emulator-union-id-<n>`. Pass `''` for a user without a union_id (TikTok omits it). */
  unionId?: string | undefined;
  /** Default `Emulator User` (first user), `Emulator User <n>` after. */
  displayName?: string | undefined;
  /** Default `emulator_user` (first user), `emulator_user_<n>` after. */
  username?: string | undefined;
  /**
   * Default `<emulator url>/emulator/avatar/<open id>.svg`, which the emulator serves: the
   * initials of the display name on a colour derived from the open_id (168 px).
   */
  avatarUrl?: string | undefined;
  /** Default: `avatarUrl` with a `size=100` query parameter (served at 100 px). */
  avatarUrl100?: string | undefined;
  /** Default: `avatarUrl` with a `size=large` query parameter (served at 720 px). */
  avatarLargeUrl?: string | undefined;
  /** Default `Bio of <display name>`. */
  bioDescription?: string | undefined;
  /** Default `false`. */
  isVerified?: boolean | undefined;
  /** Default `1234`. */
  followerCount?: number | undefined;
  /** Default `56`. */
  followingCount?: number | undefined;
  /** Default `7890`. */
  likesCount?: number | undefined;
  /** Default `12`. */
  videoCount?: number | undefined;
  /** Default `<emulator url>/@<username>`. */
  profileDeepLink?: string | undefined;
}

/** A user the emulator knows, with every default filled in. */
export interface EmulatorUser {
  readonly openId: string;
  /** Absent when the input gave `''`. */
  readonly unionId?: string;
  readonly displayName: string;
  readonly username: string;
  readonly avatarUrl: string;
  readonly avatarUrl100: string;
  readonly avatarLargeUrl: string;
  readonly bioDescription: string;
  readonly isVerified: boolean;
  readonly followerCount: number;
  readonly followingCount: number;
  readonly likesCount: number;
  readonly videoCount: number;
  readonly profileDeepLink: string;
}

/** One request the emulator received, recorded before it was answered (faulted ones too). */
export interface RecordedRequest {
  endpoint: RecordedEndpoint;
  method: string;
  /** The raw path, without the query string. */
  path: string;
  /** Query parameters; a parameter given several times is an array. */
  query: Record<string, string | string[]>;
  /**
   * Request headers, lowercased names; the values of a repeated header are joined with `, `
   * (`Authorization` and `Content-Type` included), those of `cookie` with `; `.
   */
  headers: Record<string, string>;
  /** The raw body (at most 1 MiB; larger bodies are answered 413). */
  body: string;
  /** The parsed body of `application/x-www-form-urlencoded` posts (last value wins). */
  form?: Record<string, string>;
  /** `grant_type` of a form post, for `count('token', { grantType })`. */
  grantType?: string;
  /** Time of arrival (the emulator's clock, epoch ms). */
  at: number;
}

/** What the next automatic authorization does (see {@link TikTokEmulator.setConsent}). */
export interface EmulatorConsent {
  decision: 'approve' | 'deny';
  /** The user who logs in. Default: the first user. */
  openId?: string | undefined;
  /**
   * Scopes the user leaves ticked; intersected with the requested ones. `user.info.basic`, when
   * requested, is granted whether listed or not: TikTok's consent screen (and the emulator's) does
   * not let the user untick it. Default: all requested.
   */
  grantedScopes?: string[] | undefined;
}

/** A token endpoint success body, as TikTok sends it. */
export interface EmulatorTokenResponse {
  access_token: string;
  refresh_token: string;
  open_id: string;
  scope: string;
  expires_in: number;
  refresh_expires_in: number;
  token_type: 'Bearer';
}

/** Lifetimes for {@link TikTokEmulator.issueTokens}; default: the emulator's options. */
export interface IssueTokensOptions {
  accessTtlSec?: number | undefined;
  refreshTtlSec?: number | undefined;
}

/** The endpoint URLs to give a TikTok client or strategy (trailing slashes included). */
export interface EmulatorEndpoints {
  authorizationURL: string;
  tokenURL: string;
  revokeURL: string;
  userInfoURL: string;
}

/** A running emulator. Returned by `startTikTokEmulator()`. */
export interface TikTokEmulator {
  /** Base URL, e.g. `http://127.0.0.1:54321` (`https://` when `tls` is given). */
  readonly url: string;
  readonly port: number;
  readonly endpoints: EmulatorEndpoints;
  readonly clientKey: string;
  readonly clientSecret: string;
  readonly users: ReadonlyArray<EmulatorUser>;
  /**
   * Every request received, in order (see the `maxRecordedRequests` option). The same array for
   * the emulator's lifetime: `reset()` empties it in place.
   */
  readonly requests: RecordedRequest[];
  /**
   * The registered redirect URIs (a copy), or `'any'`. Authorize refuses every other
   * `redirect_uri` on an error page, as TikTok does.
   */
  readonly redirectUris: readonly string[] | 'any';
  /**
   * Registers one more redirect URI (matched byte for byte), e.g. once an app listening on an
   * ephemeral port knows its callback URL. Kept by `reset()`. TypeError, naming the rule, for a
   * URI whose shape TikTok would not register: with a query or a fragment, 512 characters or
   * more (http and any number of URIs are accepted: see `redirectUris`).
   */
  registerRedirectUri(uri: string): void;
  /** Show the consent page (`false`) or approve at once (`true`). Settable at any time. */
  autoApprove: boolean;
  /** Adds a user; throws a TypeError when the open_id is taken. */
  addUser(user?: EmulatorUserInput): EmulatorUser;
  /** How many of `requests` went to `endpoint` (and had that `grant_type`). */
  count(endpoint: RecordedEndpoint, filter?: { grantType?: string }): number;
  /** What automatic approval does from now on; `undefined` restores "approve as the first user". */
  setConsent(consent?: EmulatorConsent): void;
  /** Queues a fault for the next matching request(s) to `endpoint`. */
  inject(endpoint: EmulatorEndpoint, fault: EmulatorFault): void;
  /** Mints a grant directly, as if `openId` had logged in. Default scopes: `['user.info.basic']`. */
  issueTokens(openId: string, scopes?: string[], opts?: IssueTokensOptions): EmulatorTokenResponse;
  /** Where webhook deliveries go (`webhookUrl` option), or undefined. */
  readonly webhookUrl: string | undefined;
  /** Sets (or, with undefined, clears) the webhook URL. TypeError unless an absolute http(s) URL. */
  setWebhookUrl(url: string | undefined): void;
  /**
   * The user removes the app's access (as in the TikTok app: reason 1 by default; 2 deleted,
   * 3 age changed, 4 banned, 5 developer revoke): every grant of the user is revoked here, then
   * `authorization.removed` is delivered to the webhook URL (if set). Resolves once each copy is
   * delivered or has failed its last retry. `copies` > 1 sends duplicates.
   */
  removeAuthorization(
    openId: string,
    reason?: number,
    options?: EmulatorWebhookSendOptions,
  ): Promise<EmulatorWebhookDelivery[]>;
  /** Delivers any event (e.g. `video.publish.completed`), signed, with retries. */
  sendWebhook(
    event: EmulatorWebhookEvent,
    options?: EmulatorWebhookSendOptions,
  ): Promise<EmulatorWebhookDelivery[]>;
  /** Delivers a recorded delivery's exact body again, as a new delivery (a duplicate). */
  redeliverWebhook(delivery: EmulatorWebhookDelivery): Promise<EmulatorWebhookDelivery>;
  /**
   * Every webhook delivery, in order, with its attempts (the developer revoke through the
   * revoke endpoint sends one too). Emptied by `reset()`.
   */
  readonly webhookDeliveries: ReadonlyArray<EmulatorWebhookDelivery>;
  /** Resolves once no webhook delivery is pending (retries included). */
  flushWebhooks(): Promise<void>;
  /** Makes an access token expired now (TypeError if unknown). */
  expireAccessToken(accessToken: string): void;
  /** Makes a refresh token expired now (TypeError if unknown or rotated). */
  expireRefreshToken(refreshToken: string): void;
  /**
   * Clears faults, recorded requests, the consent override, rate-limit windows, codes and
   * grants, and webhook deliveries (their retries stop: none reaches the app after the reset);
   * restores `autoApprove` to its option. Users, redirect URIs and the webhook URL are kept.
   */
  reset(): void;
  /** Stops the server and destroys every socket, hung requests included. Idempotent. */
  close(): Promise<void>;
}
