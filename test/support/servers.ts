import type { Server } from 'node:http';

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
