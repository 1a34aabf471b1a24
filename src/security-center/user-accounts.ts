import { randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Db, Queryable } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { ReferenceAccountStore } from '../exchange/reference-store.ts';
import { sha256Hex } from '../domain/secrets.ts';
import { generateRecoveryCodes, normaliseRecoveryCode } from '../domain/recovery-codes.ts';

/** argon2id, OWASP's second recommended setting (19 MiB, 2 passes), as for staff. */
export const USER_ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_USER_PASSWORD = 10;
export const MAX_USER_PASSWORD = 1024;

let dummyHash: Promise<string> | null = null;
/** Verified against for an unknown address, so it costs the same time as a wrong password. */
export const userDummyHash = () => (dummyHash ??= argon2Hash(randomBytes(16).toString('hex'), USER_ARGON2));


export function checkNewPassword(value: unknown): string {
  if (typeof value !== 'string' || value.length < MIN_USER_PASSWORD || value.length > MAX_USER_PASSWORD) {
    throw new KinkyuError('VALIDATION', { field: 'password', rule: 'user_password' });
  }
  return value;
}

export const hashUserPassword = (password: string) => argon2Hash(password, USER_ARGON2);
export const verifyUserPassword = (hash: string, password: string) => argon2Verify(hash, password).catch(() => false);

/** Creates an exchange account in the reference store together with its security-center credentials. */
export async function createUserAccount(
  db: Db,
  store: ReferenceAccountStore,
  input: { email: string; password: string; lang?: 'ja' | 'en' },
  now: Date = new Date(),
): Promise<string> {
  const passwordHash = await hashUserPassword(checkNewPassword(input.password));
  const accountId = await store.createAccount(input.email);
  await db.query(`INSERT INTO user_credentials (account_id, password_hash, lang, password_changed_at) VALUES ($1, $2, $3, $4)`, [accountId, passwordHash, input.lang ?? 'ja', now]);
  return accountId;
}

export const DEMO_USER_EMAIL = 'demo@example.jp';
export const DEMO_USER_PASSWORD = 'kinkyu-demo-2026';

/** The demo user (`start --demo`): demo@example.jp with a fixed, documented password. Once only. */
export async function seedDemoUser(db: Db, store: ReferenceAccountStore): Promise<boolean> {
  const existing = await store.findAccount({ email: DEMO_USER_EMAIL });
  if (existing) return false;
  try {
    const id = await createUserAccount(db, store, { email: DEMO_USER_EMAIL, password: DEMO_USER_PASSWORD });
    await store.createApiKey(id, 'demo');
    return true;
  } catch (err) {
    // Two processes starting at once on one database: the other one created it.
    if ((err as { code?: string })?.code === '23505') return false;
    throw err;
  }
}

/** Ten recovery codes "xxxx-xxxx-xxxx" (base32-like, ~60 bits): shown once, only hashes kept. */
export async function newRecoveryCodes(q: Queryable, accountId: string, now: Date): Promise<string[]> {
  const codes = generateRecoveryCodes();
  await q.query(`DELETE FROM user_recovery_codes WHERE account_id = $1`, [accountId]);
  for (const code of codes) {
    await q.query(`INSERT INTO user_recovery_codes (account_id, code_hash) VALUES ($1, $2)`, [accountId, sha256Hex(code)]);
  }
  await q.query(`UPDATE user_credentials SET recovery_codes_saved_at = $2 WHERE account_id = $1`, [accountId, now]);
  return codes;
}


/** Uses a recovery code: true once per code. */
export async function useRecoveryCode(q: Queryable, accountId: string, value: unknown, now: Date): Promise<boolean> {
  const code = normaliseRecoveryCode(value);
  if (!code) return false;
  const rows = await q.query(
    `UPDATE user_recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1`,
    [accountId, sha256Hex(code), now],
  );
  return rows.length === 1;
}

/** "Chrome on Android", "Safari on iPhone": enough to recognise a device, short enough to show. */
export function deviceOf(userAgent: string | undefined): string {
  const ua = userAgent ?? '';
  if (!ua) return 'unknown';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl|node|undici/i.test(ua) ? 'Script' : 'Browser';
  const os = /iPhone/.test(ua) ? 'iPhone' : /iPad/.test(ua) ? 'iPad' : /Android/.test(ua) ? 'Android' : /Windows/.test(ua) ? 'Windows' : /Mac OS X|Macintosh/.test(ua) ? 'Mac' : /Linux/.test(ua) ? 'Linux' : 'other';
  return `${browser} / ${os}`;
}
