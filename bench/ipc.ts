import type { ChildProcess } from 'node:child_process';

/** A tiny request/response protocol over a forked child's IPC channel. */
interface RpcRequest {
  readonly id: number;
  readonly method: string;
  readonly params: unknown;
}

interface RpcReply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: string;
}

type Handler = (params: unknown) => Promise<unknown>;

let nextId = 1;

function isReply(message: unknown): message is RpcReply {
  return typeof message === 'object' && message !== null && 'id' in message;
}

/** Calls `method` in the child and resolves with its result (typed by the caller). */
export function call<T>(child: ChildProcess, method: string, params: unknown = null): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isReply(message) || message.id !== id) return;
      cleanup();
      if (message.error !== undefined) reject(new Error(`${method}: ${message.error}`));
      else resolve(message.result as T);
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${method}: the child exited (code ${String(code)})`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    const request: RpcRequest = { id, method, params };
    child.send(request);
  });
}

/** In a child: answers calls with `handlers`. */
export function serve(handlers: Record<string, Handler>): void {
  process.on('message', (message: RpcRequest) => {
    const handler = handlers[message.method];
    const reply = (body: Omit<RpcReply, 'id'>): void => {
      process.send?.({ id: message.id, ...body });
    };
    if (handler === undefined) {
      reply({ error: `unknown method ${message.method}` });
      return;
    }
    handler(message.params).then(
      (result) => reply({ result }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
