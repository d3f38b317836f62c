import assert from 'node:assert/strict';
import { MAX_BODY_BYTES } from '../../lib/client/endpoints';
import {
  classifyNetworkError,
  timedRequest,
  TransportFailure,
  type HttpRequest,
} from '../../lib/client/http';
import { fakeFetch, hang, json, meteredBody, netError } from '../support/fake-fetch';

const REQUEST: HttpRequest = {
  url: 'https://tiktok.test/v2/oauth/token/',
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'a=1',
  timeoutMs: 200,
};

async function transportFailure(promise: Promise<unknown>): Promise<TransportFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TransportFailure) return err;
    throw err;
  }
  assert.fail('expected a TransportFailure');
}

describe('client/http', () => {
  describe('classifyNetworkError', () => {
    it('connect-level failures never reached TikTok: notSent', () => {
      for (const code of [
        'ECONNREFUSED',
        'ENOTFOUND',
        'EAI_AGAIN',
        'ENETUNREACH',
        'EHOSTUNREACH',
        'UND_ERR_CONNECT_TIMEOUT',
        // The handshake refused the certificate: the request is written only after it.
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'CERT_HAS_EXPIRED',
        'ERR_TLS_CERT_ALTNAME_INVALID',
      ]) {
        assert.equal(classifyNetworkError(netError(code)), 'notSent', code);
      }
    });

    it('looks inside AggregateError (happy eyeballs: every address refused)', () => {
      const agg = new AggregateError(
        [netError('ECONNREFUSED'), netError('ECONNREFUSED')],
        'all failed',
      );
      assert.equal(classifyNetworkError(new TypeError('fetch failed', { cause: agg })), 'notSent');
    });

    it('resets, unknown codes, mixes and code-less errors are ambiguous', () => {
      assert.equal(classifyNetworkError(netError('ECONNRESET')), 'ambiguous');
      assert.equal(classifyNetworkError(netError('UND_ERR_SOCKET')), 'ambiguous');
      const mixed = new AggregateError([netError('ECONNREFUSED'), netError('ECONNRESET')]);
      assert.equal(classifyNetworkError(mixed), 'ambiguous');
      assert.equal(classifyNetworkError(new Error('boom')), 'ambiguous');
      assert.equal(classifyNetworkError('string'), 'ambiguous');
    });
  });

  describe('timedRequest', () => {
    it('sends method, headers and body with redirect: manual and a signal', async () => {
      const f = fakeFetch(json(200, { ok: true }, { 'x-tt-logid': 'L' }));
      const res = await timedRequest(f.fetch, REQUEST);
      assert.equal(res.status, 200);
      assert.equal(res.text, '{"ok":true}');
      assert.equal(res.headers.get('x-tt-logid'), 'L');
      assert.ok(res.durationMs >= 0);
      const call = f.calls[0]!;
      assert.equal(call.url, REQUEST.url);
      assert.equal(call.init.method, 'POST');
      assert.equal(call.init.redirect, 'manual');
      assert.equal(call.body, 'a=1');
      assert.ok(call.init.signal instanceof AbortSignal);
      assert.equal(call.headers.get('content-type'), 'application/x-www-form-urlencoded');
    });

    it('sends no body for a GET and reads an empty answer as ""', async () => {
      const f = fakeFetch(new Response(null, { status: 204 }));
      const res = await timedRequest(f.fetch, { ...REQUEST, method: 'GET', body: undefined });
      assert.equal(res.text, '');
      assert.equal('body' in f.calls[0]!.init, false);
    });

    it('refuses a declared Content-Length over 1 MiB without reading the body', async () => {
      const metered = meteredBody(64 * 1024, Infinity, {
        'content-length': String(10 * 1024 * 1024),
      });
      const f = fakeFetch(() => metered.response);
      const failure = await transportFailure(timedRequest(f.fetch, REQUEST));
      assert.equal(failure.kind, 'tooLarge');
      assert.ok(metered.pulled() <= 64 * 1024, `pulled ${metered.pulled()} bytes`);
    });

    it('stops reading a streamed body as soon as it passes 1 MiB', async () => {
      const metered = meteredBody(64 * 1024);
      const f = fakeFetch(() => metered.response);
      const failure = await transportFailure(timedRequest(f.fetch, REQUEST));
      assert.equal(failure.kind, 'tooLarge');
      assert.match(failure.message, /exceeds 1048576 bytes/);
      assert.ok(
        metered.pulled() <= MAX_BODY_BYTES + 3 * 64 * 1024,
        `pulled ${metered.pulled()} bytes`,
      );
    });

    it('accepts a body of exactly 1 MiB', async () => {
      const metered = meteredBody(64 * 1024, MAX_BODY_BYTES);
      const res = await timedRequest(fakeFetch(() => metered.response).fetch, REQUEST);
      assert.equal(res.text.length, MAX_BODY_BYTES);
    });

    it('turns a refused connection into notSent, naming the code', async () => {
      const failure = await transportFailure(
        timedRequest(fakeFetch(netError('ECONNREFUSED')).fetch, REQUEST),
      );
      assert.equal(failure.kind, 'notSent');
      assert.equal(failure.message, 'request failed (ECONNREFUSED)');
      assert.ok(failure.cause instanceof TypeError);
    });

    it('turns a reset into ambiguous; a code-less error keeps its message', async () => {
      const reset = await transportFailure(
        timedRequest(fakeFetch(netError('ECONNRESET')).fetch, REQUEST),
      );
      assert.equal(reset.kind, 'ambiguous');
      const plain = await transportFailure(
        timedRequest(fakeFetch(new Error('weird')).fetch, REQUEST),
      );
      assert.equal(plain.kind, 'ambiguous');
      assert.equal(plain.message, 'request failed (weird)');
    });

    it('aborts after timeoutMs when no headers come', async () => {
      const started = Date.now();
      const failure = await transportFailure(
        timedRequest(fakeFetch(hang()).fetch, { ...REQUEST, timeoutMs: 80 }),
      );
      const elapsed = Date.now() - started;
      assert.equal(failure.kind, 'timeout');
      assert.equal(failure.message, 'no complete answer within 80 ms');
      assert.ok(elapsed >= 75 && elapsed < 1000, `took ${elapsed} ms`);
    });

    it('the same timer covers the body: a stalled body times out', async () => {
      const stalled = (_url: string, init: RequestInit): Response => {
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"access_'));
            init.signal?.addEventListener('abort', () =>
              controller.error(new DOMException('aborted', 'AbortError')),
            );
          },
        });
        return new Response(stream, { status: 200 });
      };
      const started = Date.now();
      const failure = await transportFailure(
        timedRequest(fakeFetch(stalled).fetch, { ...REQUEST, timeoutMs: 80 }),
      );
      assert.equal(failure.kind, 'timeout');
      assert.ok(Date.now() - started < 1000);
    });
  });
});
