import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server, Socket } from 'node:net';
import { Emulator } from './emulator';
import { resolveOptions, type TikTokEmulatorOptions } from './options';
import type { TikTokEmulator } from './types';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Closes the server after destroying every socket, so hung requests cannot keep it open. */
function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
}

/**
 * Starts a TikTok Login Kit v2 emulator on 127.0.0.1 (an ephemeral port by default).
 *
 * @example
 * ```ts
 * const callbackURL = 'http://127.0.0.1:3000/auth/tiktok/callback';
 * const tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [callbackURL] });
 * passport.use(new TikTokStrategy({ clientKey: tt.clientKey, clientSecret: tt.clientSecret,
 *   callbackURL, ...tt.endpoints }));
 * // ...
 * await tt.close();
 * ```
 */
export async function startTikTokEmulator(
  options?: TikTokEmulatorOptions,
): Promise<TikTokEmulator> {
  const resolved = resolveOptions(options);
  let emulator: Emulator | undefined;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (emulator === undefined) {
      res.writeHead(503).end();
      return;
    }
    emulator.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const server = resolved.tls
    ? createHttpsServer({ key: resolved.tls.key, cert: resolved.tls.cert }, listener)
    : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server, resolved.port, resolved.host);
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const url = `${resolved.tls ? 'https' : 'http'}://${host}:${port}`;
  const close = closer(server, sockets);
  try {
    emulator = new Emulator(resolved, url, port, close);
  } catch (error: unknown) {
    await close(); // a bad `users` option must not leave a listening server behind
    throw error;
  }
  return emulator;
}
