import { errorCallbackUrl } from './callback-url';
import type { EmulatorState, RequestContext } from './context';
import type { EmulatorFault } from './fault';
import { malformedBody, successLookingBody } from './fault-bodies';
import { errorPage } from './html';
import { send, sendHtml, sendJson, sendRedirect, wait } from './http-io';

const JSON_TYPE = 'application/json; charset=utf-8';

function faultHeaders(fault: EmulatorFault): Record<string, string> {
  const headers: Record<string, string> = { ...fault.headers };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  return headers;
}

function explicitBody(fault: EmulatorFault): { body: string; contentType: string | undefined } {
  if (fault.body === undefined) return { body: '', contentType: undefined };
  if (typeof fault.body === 'string') {
    return { body: fault.body, contentType: 'text/plain; charset=utf-8' };
  }
  return { body: JSON.stringify(fault.body), contentType: JSON_TYPE };
}

/** Headers, then half the body, then the connection closes. */
function resetMidBody(ctx: RequestContext, state: EmulatorState, fault: EmulatorFault): void {
  const explicit = explicitBody(fault);
  const whole = Buffer.from(
    fault.body === undefined ? successLookingBody(ctx.endpoint, state) : explicit.body,
  );
  ctx.res.writeHead(fault.status ?? 200, {
    'content-type': explicit.contentType ?? JSON_TYPE,
    'content-length': String(whole.length),
    ...faultHeaders(fault),
  });
  ctx.res.write(whole.subarray(0, Math.max(1, whole.length >> 1)), () => ctx.req.socket.destroy());
}

/** A success-looking JSON body, one byte per interval, until done or the client goes away. */
function trickle(ctx: RequestContext, state: EmulatorState, fault: EmulatorFault): void {
  const body = Buffer.from(successLookingBody(ctx.endpoint, state));
  ctx.res.writeHead(200, {
    'content-type': JSON_TYPE,
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
  ctx: RequestContext,
  emulator: EmulatorState,
  fault: EmulatorFault,
  spec: NonNullable<EmulatorFault['tiktokError']>,
): void {
  const description = spec.description ?? '';
  const headers = faultHeaders(fault);
  const status = spec.status ?? 200;
  switch (ctx.endpoint) {
    case 'userinfo':
      sendJson(
        ctx.res,
        status,
        { data: {}, error: { code: spec.error, message: description, log_id: ctx.logId } },
        headers,
      );
      return;
    case 'authorize': {
      const params = ctx.req.method === 'POST' ? new URLSearchParams(ctx.record.body) : ctx.query;
      const redirectUri = params.get('redirect_uri');
      // Only to a registered redirect URI, as TikTok: anything else stops on the error page.
      if (redirectUri !== null && emulator.redirectUris.problem(redirectUri) === undefined) {
        const errCode = spec.error === 'access_denied' ? '-2' : '-1';
        const state = params.get('state') ?? undefined;
        sendRedirect(
          ctx.res,
          errorCallbackUrl(redirectUri, state, spec.error, description, errCode),
        );
      } else {
        sendHtml(ctx.res, spec.status ?? 400, errorPage(`${spec.error}: ${description}`));
      }
      return;
    }
    default:
      sendJson(
        ctx.res,
        status,
        { error: spec.error, error_description: description, log_id: ctx.logId },
        headers,
      );
  }
}

/**
 * Applies a fault. Resolves true when the fault answered (or deliberately never will), false
 * when normal handling should go on (a pure delay; its extra headers are already set).
 */
export async function applyFault(
  ctx: RequestContext,
  state: EmulatorState,
  fault: EmulatorFault,
): Promise<boolean> {
  if (fault.hang === true) return true;
  if (fault.delayMs !== undefined && !(await wait(fault.delayMs, ctx.signal))) return true;
  const { res } = ctx;
  if (fault.reset === 'before-headers') {
    ctx.req.socket.destroy();
  } else if (fault.reset === 'mid-body') {
    resetMidBody(ctx, state, fault);
  } else if (fault.redirect !== undefined) {
    send(res, 302, '', undefined, { location: fault.redirect, ...faultHeaders(fault) });
  } else if (fault.malformed !== undefined) {
    const { body, contentType } = malformedBody(fault.malformed, ctx.endpoint, state);
    send(res, 200, body, contentType, faultHeaders(fault));
  } else if (fault.trickle !== undefined) {
    trickle(ctx, state, fault);
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
