import { randomInt } from 'node:crypto';

/** How many recovery codes a user or a staff member gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

/** No look-alikes (i, l, o, 0, 1): a code is typed from paper. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Fresh codes "xxxx-xxxx-xxxx" (~60 bits each); callers store only their hashes. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const group = () => Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return Array.from({ length: count }, () => [group(), group(), group()].join('-'));
}

/** "ABCD EFGH jkmn" → "abcd-efgh-jkmn"; null when it cannot be a recovery code. */
export function normaliseRecoveryCode(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const raw = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (raw.length !== 12) return null;
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}
