import type { ServerResponse } from 'node:http';
import type { CapturedAnswer } from './answer-capture';
import { errorCallbackUrl } from './callback-url';
import type { EmulatorState, RequestContext } from './context';
import type { EmulatorFault } from './fault';
import { malformedBody, successLookingBody } from './fault-bodies';
import { errorPage } from './html';
import { send, sendHtml, sendJson, sendRedirect, wait } from './http-io';
import { isAcceptableRedirectUri } from './options';
import { oauthErrorHttpStatus } from './responses';
import type { RecordedEndpoint } from './types';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A request being answered on the wire: faults write bytes to the live response. */
export type WireContext = RequestContext<ServerResponse>;

function faultHeaders(fault: EmulatorFault): Record<string, string> {
  const headers: Record<string, string> = { ...fault.headers };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  return headers;
}

/**
 * The bytes of a fault's `body` and their type: a string as text, a Buffer (any Uint8Array) as
 * raw bytes, another object as JSON.
 */
function explicitBody(fault: EmulatorFault): { body: Buffer; contentType: string | undefined } {
  const { body } = fault;
  if (body === undefined) return { body: Buffer.alloc(0), contentType: undefined };
  if (typeof body === 'string') {
    return { body: Buffer.from(body, 'utf8'), contentType: 'text/plain; charset=utf-8' };
  }
  if (body instanceof Uint8Array) {
    return {
      body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      contentType: 'application/octet-stream',
    };
  }
  return { body: Buffer.from(JSON.stringify(body), 'utf8'), contentType: JSON_TYPE };
}

/** HTTP 200 with a success-looking JSON body: the stand-in answer of endpoints not handled first. */
function successLookingAnswer(endpoint: RecordedEndpoint, state: EmulatorState): CapturedAnswer {
  return {
    status: 200,
    headers: { 'content-type': JSON_TYPE },
    body: Buffer.from(successLookingBody(endpoint, state)),
  };
}

/**
 * The headers of `answer` (a fault's `status` / `body` replace its own), then half its body, then
 * the connection closes.
 */
function resetMidBody(ctx: WireContext, answer: CapturedAnswer, fault: EmulatorFault): void {
  const explicit = fault.body === undefined ? undefined : explicitBody(fault);
  const whole = explicit === undefined ? answer.body : explicit.body;
  ctx.res.writeHead(fault.status ?? answer.status, {
    ...answer.headers,
    'content-type': explicit?.contentType ?? answer.headers['content-type'] ?? JSON_TYPE,
    'content-length': String(whole.length),
    ...faultHeaders(fault),
  });
  ctx.res.write(whole.subarray(0, Math.max(1, whole.length >> 1)), () => ctx.req.socket.destroy());
}

/** The headers of `answer`, then its body one byte per interval, until done or the client goes away. */
function trickle(ctx: WireContext, answer: CapturedAnswer, fault: EmulatorFault): void {
  const { body } = answer;
  ctx.res.writeHead(answer.status, {
    ...answer.headers,
    'content-length': String(body.length),
    ...faultHeaders(fault),
  });
  ctx.res.flushHeaders();
  let sent = 0;
  const timer = setInterval(() => {
    ctx.res.write(body.subarray(sent, sent + 1));
    sent += 1;
    if (sent >= body.length) {
      clearInterval(timer);
      ctx.res.end();
    }
  }, fault.trickle?.intervalMs ?? 1000);
  ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/** An error in the endpoint's own TikTok shape. */
function tiktokError(
  ctx: WireContext,
  emulator: EmulatorState,
  fault: EmulatorFault,
  spec: NonNullable<EmulatorFault['tiktokError']>,
): void {
  const description = spec.description ?? '';
  const headers = faultHeaders(fault);
  switch (ctx.endpoint) {
    case 'userinfo':
      sendJson(
        ctx.res,
        spec.status ?? 200,
        { data: {}, error: { code: spec.error, message: description, log_id: ctx.logId } },
        headers,
      );
      return;
    case 'authorize': {
      const params = ctx.req.method === 'POST' ? new URLSearchParams(ctx.record.body) : ctx.query;
      const redirectUri = params.get('redirect_uri');
      // Only to a redirect URI the authorize request itself would accept, as TikTok: a registered
      // one (with `redirectUris: 'any'`, an absolute http(s) URI without a fragment); anything
      // else stops on the error page.
      if (
        redirectUri !== null &&
        isAcceptableRedirectUri(redirectUri) &&
        emulator.redirectUris.problem(redirectUri) === undefined
      ) {
        const errCode = spec.error === 'access_denied' ? '-2' : '-1';
        const state = params.get('state') ?? undefined;
        sendRedirect(
          ctx.res,
          errorCallbackUrl(redirectUri, state, spec.error, description, errCode),
          headers,
        );
      } else {
        sendHtml(ctx.res, spec.status ?? 400, errorPage(`${spec.error}: ${description}`), headers);
      }
      return;
    }
    default:
      // Token and revoke: the status a real error of that name gets (`oauthErrorStatus`).
      sendJson(
        ctx.res,
        spec.status ?? oauthErrorHttpStatus(emulator, spec.error),
        { error: spec.error, error_description: description, log_id: ctx.logId },
        headers,
      );
  }
}

/**
 * Whether TikTok would have processed a request that meets `fault` (docs/emulator.md, "Faults: was
 * the request processed?"). NOTE: an answer that starts, or comes late, was sent by TikTok after
 * it handled the request: a pure delay (even past the client's timeout), `reset: 'mid-body'`
 * (the 200 headers came) and `trickle` — the code is spent, the refresh token rotated
 * (https://developers.tiktok.com/doc/oauth-user-access-token-management). A `hang` or
 * `reset: 'before-headers'` may never have reached TikTok: not processed. An error answer
 * (`status`, `body`, `tiktokError`), a `redirect` and a `malformed` body stand in for an answer
 * that did not process the request (an error, a proxy, a gateway page): not processed.
 */
export function faultLetsTikTokProcess(fault: EmulatorFault): boolean {
  if (fault.hang === true || fault.reset === 'before-headers') return false;
  if (fault.reset === 'mid-body') return true;
  if (fault.redirect !== undefined || fault.malformed !== undefined) return false;
  if (fault.trickle !== undefined) return true;
  return fault.tiktokError === undefined && fault.status === undefined && fault.body === undefined;
}

/**
 * Delivers the answer of a request its handler already processed, as `fault` (one for which
 * `faultLetsTikTokProcess` is true) damages it: after `delayMs` (not at all when the client went
 * away meanwhile), then cut mid-body, trickled, or whole with the fault's extra headers.
 */
export async function deliverProcessedAnswer(
  ctx: WireContext,
  answer: CapturedAnswer,
  fault: EmulatorFault,
): Promise<void> {
  if (fault.delayMs !== undefined && !(await wait(fault.delayMs, ctx.signal))) return;
  if (fault.reset === 'mid-body') {
    resetMidBody(ctx, answer, fault);
  } else if (fault.trickle !== undefined) {
    trickle(ctx, answer, fault);
  } else {
    send(ctx.res, answer.status, answer.body, undefined, {
      ...answer.headers,
      ...faultHeaders(fault),
    });
  }
}

/**
 * Applies a fault before the request is handled. Resolves true when the fault answered (or
 * deliberately never will), false when normal handling should go on (a pure delay; its extra
 * headers are already set). Mid-body resets and trickles answer with a success-looking body.
 */
export async function applyFault(
  ctx: WireContext,
  state: EmulatorState,
  fault: EmulatorFault,
): Promise<boolean> {
  if (fault.hang === true) return true;
  if (fault.delayMs !== undefined && !(await wait(fault.delayMs, ctx.signal))) return true;
  const { res } = ctx;
  if (fault.reset === 'before-headers') {
    ctx.req.socket.destroy();
  } else if (fault.reset === 'mid-body') {
    resetMidBody(ctx, successLookingAnswer(ctx.endpoint, state), fault);
  } else if (fault.redirect !== undefined) {
    send(res, 302, '', undefined, { location: fault.redirect, ...faultHeaders(fault) });
  } else if (fault.malformed !== undefined) {
    const { body, contentType } = malformedBody(fault.malformed, ctx.endpoint, state);
    send(res, 200, body, contentType, faultHeaders(fault));
  } else if (fault.trickle !== undefined) {
    trickle(ctx, successLookingAnswer(ctx.endpoint, state), fault);
  } else if (fault.tiktokError !== undefined) {
    tiktokError(ctx, state, fault, fault.tiktokError);
  } else if (fault.status !== undefined || fault.body !== undefined) {
    const { body, contentType } = explicitBody(fault);
    send(res, fault.status ?? 200, body, contentType, faultHeaders(fault));
  } else {
    for (const [name, value] of Object.entries(faultHeaders(fault))) res.setHeader(name, value);
    return false;
  }
  return true;
}
