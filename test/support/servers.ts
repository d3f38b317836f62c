import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * For suites that build one server per test: `server(s)` registers it and returns it; every
 * registered server is closed in the suite's `after`. Call inside a `describe`.
 */
export function trackServers(): (s: Server) => Server {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) if (s.listening) s.close();
  });
  return (s) => {
    servers.push(s);
    return s;
  };
}

/**
 * The time the app's server takes for the next request whose path is `path`: from the request's
 * arrival, before any middleware, to its response's last byte handed to the OS (ms). What a
 * deadline promised to the browser is about, without the test client's own time.
 */
export function timeNextRequest(server: Server, path: string): Promise<number> {
  return new Promise((resolve) => {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? '';
      if (url !== path && !url.startsWith(`${path}?`)) return;
      server.off('request', onRequest);
      const arrived = performance.now();
      res.once('finish', () => resolve(performance.now() - arrived));
    };
    server.prependListener('request', onRequest);
  });
}
