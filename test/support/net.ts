/** Small network fixtures: a port nobody listens on, and a server that only counts requests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** `http://127.0.0.1:<port>` of a port that was bound then released: connections are refused. */
export async function refusedOrigin(): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return `http://127.0.0.1:${port}`;
}

export interface CountingServer {
  readonly url: string;
  /** Requests received so far. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A server that answers 200 `{}` to everything and counts what it gets (a redirect target). */
export async function countingServer(): Promise<CountingServer> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    close: () => close(server),
  };
}
