import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './context';
import { validateFault, type EmulatorFault } from './fault';
import { FaultQueue } from './fault-queue';
import { GrantStore } from './grants';
import type { ResolvedOptions } from './options';
import { handleRequest, type Pipeline } from './pipeline';
import { RedirectUriRegistry } from './redirect-uris';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { endpointUrls, isEndpoint } from './routes';
import { KNOWN_SCOPES } from './scopes';
import type {
  EmulatorConsent,
  EmulatorEndpoint,
  EmulatorEndpoints,
  EmulatorTokenResponse,
  EmulatorUser,
  EmulatorUserInput,
  IssueTokensOptions,
  RecordedEndpoint,
  RecordedRequest,
  TikTokEmulator,
} from './types';
import { createUser, defaultOpenId } from './users';
import { CONNECTED_APPS_PATH, handleConnectedApps } from './connected-apps';
import { splitTarget } from './recorder';
import { describeValue, isRecord, resolveWebhookUrl, tokenTtlRefusal } from './options';
import {
  WebhookSender,
  type EmulatorWebhookDelivery,
  type EmulatorWebhookEvent,
  type EmulatorWebhookSendOptions,
} from './webhook-delivery';

function misuse(method: string, message: string): TypeError {
  return new TypeError(`TikTokEmulator.${method}: ${message}`);
}

/** Why `options` are no `EmulatorWebhookSendOptions`, or undefined when they are. */
function sendOptionsRefusal(options: unknown): string | undefined {
  if (options === undefined) return undefined;
  if (!isRecord(options)) {
    return `options must be an object ({ copies?, concurrent? }) (got ${describeValue(options)})`;
  }
  const copies: unknown = options.copies ?? 1;
  if (typeof copies !== 'number' || !Number.isInteger(copies) || copies < 1) {
    return `options.copies must be a positive integer (got ${describeValue(copies)})`;
  }
  const concurrent: unknown = options.concurrent;
  if (concurrent !== undefined && typeof concurrent !== 'boolean') {
    return `options.concurrent must be true or false (got ${describeValue(concurrent)})`;
  }
  return undefined;
}

/** The emulator's public face over its state; the server hands every request to `handle`. */
export class Emulator implements TikTokEmulator {
  readonly endpoints: EmulatorEndpoints;
  readonly clientKey: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  private readonly state: EmulatorState;
  private readonly pipeline: Pipeline;

  constructor(
    private readonly options: ResolvedOptions,
    readonly url: string,
    readonly port: number,
    private readonly stop: () => Promise<void>,
  ) {
    this.endpoints = endpointUrls(url);
    this.clientKey = options.clientKey;
    this.clientSecret = options.clientSecret;
    this.state = {
      options,
      baseUrl: url,
      users: [],
      grants: new GrantStore(options),
      webhooks: new WebhookSender(
        {
          clientKey: options.clientKey,
          clientSecret: options.clientSecret,
          retry: options.webhookRetry,
          clock: options.clock,
        },
        options.webhookUrl,
      ),
      redirectUris: new RedirectUriRegistry(options.redirectUris),
      consent: undefined,
      autoApprove: options.autoApprove,
    };
    this.pipeline = {
      state: this.state,
      faults: new FaultQueue(options.random),
      limiter: new SlidingWindowRateLimiter(options.rateLimits, options.clock),
      requests: this.requests,
      inFlight: new Set(),
    };
    for (const user of options.users) this.addUser(user);
  }

  get users(): ReadonlyArray<EmulatorUser> {
    return this.state.users;
  }

  get redirectUris(): readonly string[] | 'any' {
    return this.state.redirectUris.uris;
  }

  registerRedirectUri(uri: string): void {
    this.state.redirectUris.register(uri);
  }

  get autoApprove(): boolean {
    return this.state.autoApprove;
  }

  set autoApprove(value: boolean) {
    const raw: unknown = value;
    if (typeof raw !== 'boolean') {
      throw misuse('autoApprove', `must be set to true or false (got ${describeValue(raw)})`);
    }
    this.state.autoApprove = value;
  }

  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, rawQuery } = splitTarget(req.url ?? '/');
    if (path === CONNECTED_APPS_PATH) {
      return handleConnectedApps(req, res, new URLSearchParams(rawQuery), {
        clientKey: this.clientKey,
        users: this.state.users,
        disconnect: (openId) => this.disconnectFromPage(openId),
      });
    }
    return handleRequest(req, res, this.pipeline);
  }

  get webhookDeliveries(): ReadonlyArray<EmulatorWebhookDelivery> {
    return this.state.webhooks.deliveries;
  }

  get webhookUrl(): string | undefined {
    return this.state.webhooks.url;
  }

  setWebhookUrl(url: string | undefined): void {
    this.state.webhooks.url = resolveWebhookUrl(url);
  }

  removeAuthorization(
    openId: string,
    reason = 1,
    options: EmulatorWebhookSendOptions = {},
  ): Promise<EmulatorWebhookDelivery[]> {
    if (!this.hasUser(openId)) {
      return Promise.reject(misuse('removeAuthorization', `no user has open_id "${openId}"`));
    }
    if (!Number.isSafeInteger(reason) || reason < 0) {
      return Promise.reject(misuse('removeAuthorization', 'reason must be a non-negative integer'));
    }
    // Checked before anything is revoked: a refused call changes nothing.
    const refusal = sendOptionsRefusal(options);
    if (refusal !== undefined) return Promise.reject(misuse('removeAuthorization', refusal));
    this.state.grants.revokeUser(openId);
    if (this.state.webhooks.url === undefined) return Promise.resolve([]);
    return this.sendWebhook(
      { event: 'authorization.removed', userOpenId: openId, content: { reason } },
      options,
    );
  }

  sendWebhook(
    event: EmulatorWebhookEvent,
    options: EmulatorWebhookSendOptions = {},
  ): Promise<EmulatorWebhookDelivery[]> {
    if (typeof event?.event !== 'string' || typeof event.userOpenId !== 'string') {
      return Promise.reject(misuse('sendWebhook', 'event and userOpenId must be strings'));
    }
    const refusal = sendOptionsRefusal(options);
    if (refusal !== undefined) return Promise.reject(misuse('sendWebhook', refusal));
    return this.state.webhooks.send(event, options);
  }

  redeliverWebhook(delivery: EmulatorWebhookDelivery): Promise<EmulatorWebhookDelivery> {
    if (!this.state.webhooks.deliveries.includes(delivery)) {
      return Promise.reject(misuse('redeliverWebhook', 'not one of tt.webhookDeliveries'));
    }
    return this.state.webhooks.redeliver(delivery);
  }

  flushWebhooks(): Promise<void> {
    return this.state.webhooks.flush();
  }

  addUser(input: EmulatorUserInput = {}): EmulatorUser {
    const raw: unknown = input;
    if (!isRecord(raw)) {
      throw misuse(
        'addUser',
        `the user must be an object (an EmulatorUserInput, {} for every default) (got ${describeValue(raw)})`,
      );
    }
    const { users } = this.state;
    let n = users.length + 1;
    // A user without an open_id of its own gets the next default one nobody holds.
    if (input.openId === undefined) {
      while (users.some((existing) => existing.openId === defaultOpenId(n))) n += 1;
    }
    const user = createUser(input, n, this.url);
    if (this.state.users.some((existing) => existing.openId === user.openId)) {
      throw misuse('addUser', `a user with open_id "${user.openId}" already exists`);
    }
    this.state.users.push(user);
    return user;
  }

  count(endpoint: RecordedEndpoint, filter: { grantType?: string } = {}): number {
    return this.requests.filter(
      (request) =>
        request.endpoint === endpoint &&
        (filter.grantType === undefined || request.grantType === filter.grantType),
    ).length;
  }

  setConsent(consent?: EmulatorConsent): void {
    if (consent === undefined) {
      this.state.consent = undefined;
      return;
    }
    const raw: unknown = consent;
    if (!isRecord(raw)) {
      throw misuse(
        'setConsent',
        `consent must be an object ({ decision, openId?, grantedScopes? }) or undefined (got ${describeValue(raw)})`,
      );
    }
    if (consent.decision !== 'approve' && consent.decision !== 'deny') {
      throw misuse('setConsent', "decision must be 'approve' or 'deny'");
    }
    if (consent.openId !== undefined && !this.hasUser(consent.openId)) {
      throw misuse('setConsent', `no user has open_id "${consent.openId}"`);
    }
    const grantedScopes: unknown = consent.grantedScopes;
    if (
      grantedScopes !== undefined &&
      !(Array.isArray(grantedScopes) && grantedScopes.every((s) => typeof s === 'string'))
    ) {
      throw misuse(
        'setConsent',
        `grantedScopes must be an array of strings, e.g. ['user.info.basic'] (got ${describeValue(grantedScopes)})`,
      );
    }
    // Copied, so that later changes to the caller's object do not leak in.
    this.state.consent =
      grantedScopes === undefined
        ? { ...consent }
        : { ...consent, grantedScopes: [...grantedScopes] };
  }

  inject(endpoint: EmulatorEndpoint, fault: EmulatorFault): void {
    if (!isEndpoint(endpoint)) {
      throw misuse('inject', "endpoint must be 'authorize', 'token', 'revoke' or 'userinfo'");
    }
    validateFault(fault);
    this.pipeline.faults.add(endpoint, fault);
  }

  issueTokens(
    openId: string,
    scopes: string[] = ['user.info.basic'],
    opts: IssueTokensOptions = {},
  ): EmulatorTokenResponse {
    if (!this.hasUser(openId)) {
      throw misuse('issueTokens', `no user has open_id "${openId}" (add it with addUser first)`);
    }
    const rawScopes: unknown = scopes;
    if (!Array.isArray(rawScopes)) {
      throw misuse(
        'issueTokens',
        `scopes must be an array of scope names, e.g. ['user.info.basic'] (got ${describeValue(rawScopes)})`,
      );
    }
    const unknown = scopes.find((scope) => !KNOWN_SCOPES.has(scope));
    if (unknown !== undefined) throw misuse('issueTokens', `unknown scope "${unknown}"`);
    const rawOpts: unknown = opts;
    if (!isRecord(rawOpts)) {
      throw misuse(
        'issueTokens',
        `opts must be an object ({ accessTtlSec?, refreshTtlSec? }) (got ${describeValue(rawOpts)})`,
      );
    }
    for (const name of ['accessTtlSec', 'refreshTtlSec'] as const) {
      const ttl: unknown = opts[name];
      const refusal = ttl === undefined ? undefined : tokenTtlRefusal(ttl);
      if (refusal !== undefined) throw misuse('issueTokens', `opts.${name} must be ${refusal}`);
    }
    return this.state.grants.issueGrant(openId, [...new Set(scopes)], opts);
  }

  expireAccessToken(accessToken: string): void {
    if (!this.state.grants.expireAccessToken(accessToken)) {
      throw misuse('expireAccessToken', 'unknown access token');
    }
  }

  expireRefreshToken(refreshToken: string): void {
    if (!this.state.grants.expireRefreshToken(refreshToken)) {
      throw misuse('expireRefreshToken', 'unknown (or already rotated) refresh token');
    }
  }

  reset(): void {
    this.pipeline.faults.clear();
    this.pipeline.limiter.clear();
    this.requests.length = 0;
    this.state.consent = undefined;
    this.state.grants.clear();
    this.state.autoApprove = this.options.autoApprove;
    this.state.webhooks.reset();
  }

  close(): Promise<void> {
    this.state.webhooks.close();
    for (const controller of this.pipeline.inFlight) controller.abort();
    return this.stop();
  }

  private async disconnectFromPage(openId: string): Promise<string> {
    if (this.state.webhooks.url === undefined) {
      this.state.grants.revokeUser(openId);
      return 'Access removed. No webhook URL is set, so the app was not told.';
    }
    const [delivery] = await this.removeAuthorization(openId, 1);
    const last = delivery?.attempts[delivery.attempts.length - 1];
    return delivery?.status === 'delivered'
      ? `Access removed. TikTok told the app (HTTP ${last?.status ?? '?'}).`
      : `Access removed, but the app's webhook did not accept the notification (${last?.error ?? `HTTP ${last?.status ?? '?'}`}).`;
  }

  private hasUser(openId: string): boolean {
    return this.state.users.some((user) => user.openId === openId);
  }
}
