import net from 'node:net';
import tls from 'node:tls';

let opened = 0;

function counting<F extends (...args: never[]) => unknown>(original: F): F {
  const wrapped = (...args: Parameters<F>): ReturnType<F> => {
    opened += 1;
    return original(...args) as ReturnType<F>;
  };
  return wrapped as F;
}

/**
 * Counts the TCP/TLS connections this process opens (its calls to TikTok: the app only accepts
 * the driver's). Both undici (fetch) and node's http/https agents look `net.connect` /
 * `tls.connect` up on the module at call time, so wrapping the exports sees every connection:
 * connection reuse shows as a count far below the number of upstream calls.
 */
export function countOutboundConnections(): () => number {
  Reflect.set(tls, 'connect', counting(tls.connect));
  Reflect.set(net, 'connect', counting(net.connect));
  Reflect.set(net, 'createConnection', counting(net.createConnection));
  return () => opened;
}
