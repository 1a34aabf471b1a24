import { createHash, timingSafeEqual } from 'node:crypto';

/** Hex SHA-256: how session tokens, lock links, reset links and API keys are kept (never the secret itself). */
export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** Constant-time comparison of two secrets (CSRF tokens, codes, signatures): a wrong one takes as long as a right one. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
