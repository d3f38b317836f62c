import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TransportFailure, type HttpRequest } from '../../lib/client/http';
import { nodeTransport } from '../../lib/client/node-transport';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

// The default transport's own contract, against a raw node server: what each way of not
// answering becomes (the kind decides the retry policy of single-use codes).
describe('client/node-transport', () => {
  describe('outcomes', () => {
    let server: Server;
    let base = '';
    const routes = new Map<string, Route>();

    before(async () => {
      server = createServer((req, res) => {
        const route = routes.get(req.url ?? '');
        if (route === undefined) res.writeHead(404).end();
        else route(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const send = (path: string, extra: Partial<HttpRequest> = {}) =>
      nodeTransport({
        url: `${base}${path}`,
        method: 'GET',
        headers: {},
        timeoutMs: 1000,
        ...extra,
      });

    async function failure(promise: Promise<unknown>): Promise<TransportFailure> {
      try {
        await promise;
      } catch (err) {
        assert.ok(err instanceof TransportFailure, `not a TransportFailure: ${String(err)}`);
        return err;
      }
      assert.fail('the request succeeded');
    }

    it('POSTs the body with its length and returns status, headers and text', async () => {
      routes.set('/echo', (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.setHeader('X-Tt-Logid', 'log-1');
          res.end(`${req.headers['content-length']}:${Buffer.concat(chunks).toString()}`);
        });
      });
      const res = await send('/echo', { method: 'POST', body: 'a=1&b=ü' });
      assert.equal(res.status, 200);
      assert.equal(res.text, '8:a=1&b=ü');
      assert.equal(res.headers.get('X-TT-LOGID'), 'log-1');
      assert.equal(res.headers.get('x-missing'), null);
    });

    it('returns a redirect as is, never follows it', async () => {
      routes.set('/moved', (_req, res) => res.writeHead(301, { Location: '/echo' }).end());
      const res = await send('/moved');
      assert.equal(res.status, 301);
      assert.equal(res.headers.get('location'), '/echo');
    });

    it('refuses a declared body over 1 MiB without reading it (tooLarge)', async () => {
      routes.set('/huge', (_req, res) => {
        res.writeHead(200, { 'Content-Length': String(2 * 1024 * 1024) });
        res.write('x'); // and never the rest
      });
      const f = await failure(send('/huge'));
      assert.equal(f.kind, 'tooLarge');
      assert.match(f.message, /2097152 bytes exceeds the cap/);
    });

    it('refuses a streamed body once it passes 1 MiB (tooLarge)', async () => {
      routes.set('/stream', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 24; i++) res.write(chunk); // 1.5 MiB, chunked, no Content-Length
        res.end();
      });
      const f = await failure(send('/stream'));
      assert.equal(f.kind, 'tooLarge');
      assert.match(f.message, /exceeds 1048576 bytes/);
    });

    it('a connection closed mid-body is ambiguous (the request reached the server)', async () => {
      routes.set('/cut', (_req, res) => {
        res.writeHead(200, { 'Content-Length': '100' });
        res.write('{"partial":');
        setTimeout(() => res.socket?.destroy(), 20);
      });
      assert.equal((await failure(send('/cut'))).kind, 'ambiguous');
    });

    it('no complete answer within timeoutMs is a timeout, answered on time', async () => {
      routes.set('/slow', () => undefined);
      const t0 = Date.now();
      const f = await failure(send('/slow', { timeoutMs: 150 }));
      assert.equal(f.kind, 'timeout');
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    });

    it('a refused connection never sent anything (notSent)', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const f = await failure(
        nodeTransport({
          url: `http://127.0.0.1:${port}/`,
          method: 'GET',
          headers: {},
          timeoutMs: 1000,
        }),
      );
      assert.equal(f.kind, 'notSent');
      assert.match(f.message, /ECONNREFUSED/);
    });

    it('a header value that cannot be sent fails before sending (notSent)', async () => {
      const f = await failure(send('/echo', { headers: { 'X-Bad': 'a\r\nInjected: 1' } }));
      assert.equal(f.kind, 'notSent');
    });

    it('a URL that cannot be parsed fails before sending (notSent)', async () => {
      const f = await failure(
        nodeTransport({ url: 'not a url', method: 'GET', headers: {}, timeoutMs: 1000 }),
      );
      assert.equal(f.kind, 'notSent');
      assert.equal(f.message, 'request could not be built');
    });

    it('reuses one warm connection for sequential requests and keeps it out of the event loop', async () => {
      // A child process makes three sequential requests, then must exit on its own although the
      // server keeps the connection open for 30 s: an idle pooled socket holds no reference.
      let connections = 0;
      const onConnection = (): void => {
        connections += 1;
      };
      server.on('connection', onConnection);
      server.keepAliveTimeout = 30_000;
      routes.set('/ok', (_req, res) => res.end('{}'));
      const transport = resolve(__dirname, '../../lib/client/node-transport');
      const script = `
      const { nodeTransport } = require(${JSON.stringify(transport)});
      (async () => {
        for (let i = 0; i < 3; i++) {
          const r = await nodeTransport({ url: ${JSON.stringify(`${base}/ok`)}, method: 'GET', headers: {}, timeoutMs: 2000 });
          if (r.status !== 200) process.exitCode = 1;
        }
      })();`;
      const t0 = Date.now();
      try {
        await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
          timeout: 10_000,
        });
      } finally {
        server.off('connection', onConnection);
      }
      assert.equal(connections, 1, 'one connection for three sequential requests');
      assert.ok(Date.now() - t0 < 8000, `the child took ${Date.now() - t0} ms to exit`);
    });
  });
});
