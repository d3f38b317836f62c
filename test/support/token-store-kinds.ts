import { MemoryTokenStore } from '../../lib/tokens/memory-store';
import { RedisTokenStore } from '../../lib/tokens/redis-store';
import type { TokenStore } from '../../lib/tokens/store';
import { connectTestRedis, deleteKeys, uniquePrefix, type TestRedis } from './redis';

/** A store implementation to run a suite against: set up in `before`, torn down in `after`. */
export interface StoreKind {
  readonly name: string;
  setup(ctx: Mocha.Context): Promise<void>;
  /** A store over the kind's shared state (one Redis key space per run). */
  create(): TokenStore;
  teardown(): Promise<void>;
}

export function memoryKind(): StoreKind {
  const store = new MemoryTokenStore();
  return {
    name: 'MemoryTokenStore',
    setup: () => Promise.resolve(),
    create: () => store,
    teardown: () => Promise.resolve(),
  };
}

export function redisKind(): StoreKind {
  const prefix = uniquePrefix();
  let redis: TestRedis | undefined;
  return {
    name: 'RedisTokenStore (encrypted)',
    async setup(ctx) {
      redis = await connectTestRedis(ctx);
    },
    create() {
      if (redis === undefined) throw new Error('redisKind: setup() first');
      return new RedisTokenStore({ client: redis, prefix, encryptionKey: Buffer.alloc(32, 3) });
    },
    async teardown() {
      if (redis === undefined) return;
      await deleteKeys(redis, prefix);
      await redis.close();
    },
  };
}
