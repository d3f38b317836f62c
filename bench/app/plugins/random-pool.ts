import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `bytes` of CSPRNG output as hex, from a pool refilled 4 KiB at a time: a synchronous draw
 * costs about 3 µs whatever its size, so `floor-contract-full` (the cheapest way to meet the
 * contract) draws as this package does. Every byte is used once.
 */
export function poolHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(Math.max(POOL_BYTES, bytes)));
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return pool.toString('hex', at, at + bytes);
}
