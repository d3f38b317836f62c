import type { EmulatorState } from './context';
import type { MalformedKind } from './fault';
import { newToken } from './ids';
import type { RecordedEndpoint } from './types';

/** A response body with its content type. */
export interface FaultBody {
  readonly contentType: string;
  readonly body: string | Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Size of the `oversized` body: 10 MiB. */
export const OVERSIZED_BYTES = 10 * 1024 * 1024;

let oversized: Buffer | undefined;

/** 10 MiB of valid JSON that starts like a token response; built once, shared. */
function oversizedBody(): Buffer {
  if (oversized === undefined) {
    const head = '{"access_token":"act.oversized","expires_in":86400,"padding":"';
    const tail = '"}';
    oversized = Buffer.from(head + 'x'.repeat(OVERSIZED_BYTES - head.length - tail.length) + tail);
  }
  return oversized;
}

/**
 * A body that looks like a success of `endpoint`: what a trickle or a mid-body reset sends on user
 * info and authorize, and what `malformed: 'truncated' | 'array'` distorts. Its tokens are not
 * valid: the point is to see how the client handles the transport. (A trickle or mid-body reset
 * on token and revoke sends the real answer instead.)
 */
export function successLookingBody(endpoint: RecordedEndpoint, state: EmulatorState): string {
  const user = state.users[0];
  switch (endpoint) {
    case 'token':
      return JSON.stringify({
        access_token: newToken('act'),
        expires_in: state.options.accessTokenTtlSec,
        open_id: user?.openId ?? 'emulator-open-id-1',
        refresh_expires_in: state.options.refreshTokenTtlSec,
        refresh_token: newToken('rft'),
        scope: 'user.info.basic',
        token_type: 'Bearer',
      });
    case 'userinfo':
      return JSON.stringify({
        data: { user: { open_id: user?.openId, display_name: user?.displayName } },
        error: { code: 'ok', message: '', log_id: '' },
      });
    default:
      return '{}';
  }
}

/** The HTTP 200 body of a `malformed` fault. */
export function malformedBody(
  kind: MalformedKind,
  endpoint: RecordedEndpoint,
  state: EmulatorState,
): FaultBody {
  switch (kind) {
    case 'truncated': {
      const whole = successLookingBody(endpoint, state);
      return { contentType: JSON_TYPE, body: whole.slice(0, Math.max(1, whole.length >> 1)) };
    }
    case 'html':
      return {
        contentType: 'text/html; charset=utf-8',
        body: '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>',
      };
    case 'oversized':
      return { contentType: JSON_TYPE, body: oversizedBody() };
    case 'null':
      return { contentType: JSON_TYPE, body: 'null' };
    case 'array':
      return { contentType: JSON_TYPE, body: `[${successLookingBody(endpoint, state)}]` };
    case 'string':
      return { contentType: JSON_TYPE, body: '"ok"' };
    case 'empty':
      return { contentType: JSON_TYPE, body: '' };
    case 'not-json':
      return { contentType: JSON_TYPE, body: 'access_token=act.not-json&expires_in=86400' };
  }
}
