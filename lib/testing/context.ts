import type { IncomingMessage } from 'node:http';
import type { GrantStore } from './grants';
import type { ResponseTarget } from './http-io';
import type { ResolvedOptions } from './options';
import type { WebhookSender } from './webhook-delivery';
import type { RedirectUriRegistry } from './redirect-uris';
import type { EmulatorConsent, EmulatorUser, RecordedEndpoint, RecordedRequest } from './types';

/**
 * One request being answered. Endpoint handlers write a whole answer to `res` (a
 * `ResponseTarget`); faults that cut or trickle bytes need the live `ServerResponse`.
 */
export interface RequestContext<Res extends ResponseTarget = ResponseTarget> {
  readonly req: IncomingMessage;
  readonly res: Res;
  readonly endpoint: RecordedEndpoint;
  /** Sent as `x-tt-logid` and as `log_id` in every JSON error body. */
  readonly logId: string;
  readonly record: RecordedRequest;
  readonly query: URLSearchParams;
  /** Aborts when the client goes away or the emulator closes. */
  readonly signal: AbortSignal;
}

/** What the endpoint handlers share. */
export interface EmulatorState {
  readonly options: ResolvedOptions;
  readonly baseUrl: string;
  readonly users: EmulatorUser[];
  readonly grants: GrantStore;
  /** Signed webhook deliveries to the app (`webhookUrl`). */
  readonly webhooks: WebhookSender;
  readonly redirectUris: RedirectUriRegistry;
  consent: EmulatorConsent | undefined;
  autoApprove: boolean;
}

export function findUser(state: EmulatorState, openId: string): EmulatorUser | undefined {
  return state.users.find((user) => user.openId === openId);
}
