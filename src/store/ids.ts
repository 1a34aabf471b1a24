import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
// One system call fills a pool for many ids: under a surge of tickets, a call per id showed in profiles.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomBytesFromPool(n: number): Buffer {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}

/** A 12-character lowercase id like Statuspage's, from 62 bits of randomness. */
export function newId(length = 12): string {
  const bytes = randomBytesFromPool(length);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % 36];
  return id;
}
