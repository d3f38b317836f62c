import type { IncomingMessage, ServerResponse } from 'node:http';
import { AnswerCapture } from './answer-capture';
import { handleAuthorize } from './authorize';
import { serveAvatar } from './avatar';
import type { EmulatorState, RequestContext } from './context';
import type { FaultQueue } from './fault-queue';
import {
  applyFault,
  deliverProcessedAnswer,
  faultLetsTikTokProcess,
  type WireContext,
} from './fault-response';
import { MAX_BODY_BYTES, readBody, send } from './http-io';
import { serveProfilePage } from './profile-page';
import { newLogId } from './ids';
import type { SlidingWindowRateLimiter } from './rate-limiter';
import { recordRequest, splitTarget } from './recorder';
import { sendEndpointError } from './responses';
import { handleRevoke } from './revoke';
import { ENDPOINT_METHODS, UNSUPPORTED_PATH_BODY, classifyPath } from './routes';
import { handleToken } from './token';
import type { EmulatorEndpoint, RecordedRequest } from './types';
import { handleUserInfo } from './userinfo';

/** What every request needs besides itself. */
export interface Pipeline {
  readonly state: EmulatorState;
  readonly faults: FaultQueue;
  readonly limiter: SlidingWindowRateLimiter;
  readonly requests: RecordedRequest[];
  /** Controllers of requests in flight; `close()` aborts them all. */
  readonly inFlight: Set<AbortController>;
}

const HANDLERS: Readonly<
  Record<EmulatorEndpoint, (ctx: RequestContext, s: EmulatorState) => void>
> = {
  authorize: handleAuthorize,
  token: handleToken,
  revoke: handleRevoke,
  userinfo: handleUserInfo,
};

/**
 * Endpoints whose handling changes TikTok's state: a code is spent, a refresh token rotates, a
 * grant is revoked. A fault that loses their answer must not lose the change with it.
 */
const STATEFUL: ReadonlySet<EmulatorEndpoint> = new Set<EmulatorEndpoint>(['token', 'revoke']);

function answer(ctx: RequestContext, pipeline: Pipeline, endpoint: EmulatorEndpoint): void {
  const { state } = pipeline;
  const rate = pipeline.limiter.check(endpoint);
  if (!rate.allowed) {
    if (rate.retryAfterSec !== undefined) {
      ctx.res.setHeader('retry-after', String(rate.retryAfterSec));
    }
    sendEndpointError(ctx, state, 429, 'rate_limit_exceeded', 'Too many requests, slow down.');
    return;
  }
  const methods = ENDPOINT_METHODS[endpoint];
  if (!methods.includes(ctx.record.method)) {
    ctx.res.setHeader('allow', methods.join(', '));
    const code = endpoint === 'userinfo' ? 'invalid_params' : 'invalid_request';
    sendEndpointError(ctx, state, 405, code, `Method ${ctx.record.method} is not allowed.`);
    return;
  }
  HANDLERS[endpoint](ctx, state);
}

async function handle(ctx: WireContext, pipeline: Pipeline, tooLarge: boolean): Promise<void> {
  const { endpoint } = ctx;
  if (tooLarge) {
    const code = endpoint === 'userinfo' ? 'invalid_params' : 'invalid_request';
    sendEndpointError(ctx, pipeline.state, 413, code, 'The request body exceeds 1 MiB.');
    return;
  }
  if (endpoint === 'other') {
    if (!serveAvatar(ctx, pipeline.state) && !serveProfilePage(ctx, pipeline.state)) {
      send(ctx.res, 404, UNSUPPORTED_PATH_BODY, 'text/plain; charset=utf-8');
    }
    return;
  }
  const fault = pipeline.faults.take(endpoint, ctx.record);
  if (fault !== undefined && STATEFUL.has(endpoint) && faultLetsTikTokProcess(fault)) {
    // NOTE: TikTok processed a request whose answer then came late, cut or trickled: the code is
    // spent, the refresh token rotated, the token revoked, though the client never read the
    // answer (https://developers.tiktok.com/doc/oauth-user-access-token-management). So the
    // handler runs now, and the fault damages its real answer.
    const capture = new AnswerCapture();
    answer({ ...ctx, res: capture }, pipeline, endpoint);
    await deliverProcessedAnswer(ctx, capture.answer(), fault);
    return;
  }
  if (fault !== undefined && (await applyFault(ctx, pipeline.state, fault))) return;
  answer(ctx, pipeline, endpoint);
}

/**
 * Answers one request: log id, record (before answering), then 413 / 404 / fault / rate limit /
 * method / endpoint handler. A token or revoke fault that TikTok would have answered after
 * processing the request (a delay, a mid-body reset, a trickle) runs the rate limit, method check
 * and handler first and then delivers their answer late, cut or trickled. Never throws: a bug
 * answers 500 in the endpoint's shape.
 */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  pipeline: Pipeline,
): Promise<void> {
  const at = pipeline.state.options.clock();
  const logId = newLogId(at);
  res.setHeader('x-tt-logid', logId);
  const controller = new AbortController();
  pipeline.inFlight.add(controller);
  res.on('close', () => {
    pipeline.inFlight.delete(controller);
    controller.abort();
  });
  const { path, rawQuery } = splitTarget(req.url ?? '/');
  const endpoint = classifyPath(path);
  const { body, tooLarge, complete } = await readBody(req, MAX_BODY_BYTES);
  const method = req.method ?? 'GET';
  const text = body.toString('utf8');
  const record = recordRequest({
    endpoint,
    method,
    path,
    rawQuery,
    headers: req.headersDistinct,
    body: text,
    at,
  });
  const { requests, state } = pipeline;
  requests.push(record);
  if (requests.length > state.options.maxRecordedRequests) requests.shift();
  if (!complete) return;
  const query = new URLSearchParams(rawQuery);
  const ctx: WireContext = {
    req,
    res,
    endpoint,
    logId,
    record,
    query,
    signal: controller.signal,
  };
  try {
    await handle(ctx, pipeline, tooLarge);
  } catch {
    const code = endpoint === 'userinfo' ? 'internal_error' : 'server_error';
    sendEndpointError(ctx, pipeline.state, 500, code, 'The emulator failed to answer.');
  }
}
