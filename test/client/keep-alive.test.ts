import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeTransport } from '../../lib/client/node-transport';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The default transport's keep-alive pool against a server that closes idle connections after
// 2 s and says so (`Keep-Alive: timeout=2`, node's server sends it): the pool must drop an idle
// socket before the server does (at 2 − 1 = 1 s), so that no request is written onto a
// connection being closed (ECONNRESET).
describe('client/node-transport', () => {
  describe('keep-alive', () => {
    let server: Server;
    let connections = 0;
    let url = '';

    before(async () => {
      server = createServer((_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"ok":true}');
      });
      server.keepAliveTimeout = 2000;
      server.on('connection', () => {
        connections += 1;
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/user/info/`;
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const get = () => nodeTransport({ url, method: 'GET', headers: {}, timeoutMs: 1000 });

    it('reuses warm connections for back-to-back requests', async () => {
      const before = connections;
      for (let i = 0; i < 10; i++) assert.equal((await get()).status, 200);
      assert.equal(connections - before, 1, `${connections - before} connections for 10 requests`);
    });

    it("closes an idle connection before the server's announced keep-alive timeout, then reconnects", async () => {
      assert.equal((await get()).status, 200);
      const warm = connections;
      await sleep(1400); // past the hint (1 s), before the server closes (2 s)
      assert.equal((await get()).status, 200);
      assert.equal(connections - warm, 1, 'the idle socket was reused');
    });
  });
});
