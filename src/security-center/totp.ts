import { Secret, TOTP } from 'otpauth';
import type { Queryable } from '../store/db.ts';

/**
 * TOTP two-factor authentication (RFC 6238) with `otpauth`: 30-second steps, 6 digits, SHA-1 (what every
 * authenticator app supports). A code is accepted one step early or late (clock drift), and never twice:
 * the last accepted step is kept per account and only a later step is accepted (compare-and-set in SQL).
 */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secretBase32: string, opts: { issuer?: string; label?: string; algorithm?: TotpAlgorithm; digits?: number } = {}): TOTP {
  return new TOTP({
    issuer: opts.issuer ?? '',
    label: opts.label ?? '',
    algorithm: opts.algorithm ?? 'SHA1',
    digits: opts.digits ?? TOTP_DIGITS,
    period: TOTP_PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secretBase32: string, issuer: string, accountLabel: string): string {
  return totpOf(secretBase32, { issuer, label: accountLabel }).toString();
}

/**
 * The QR code of that URI as a data: URL, for the enrolment pages of users and staff. qrcode is loaded at the first
 * enrolment, not at every start.
 */
export async function totpQrDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

/** The code for `at` (tests, demos). */
export function totpCode(secretBase32: string, at: Date, opts: { algorithm?: TotpAlgorithm; digits?: number } = {}): string {
  return totpOf(secretBase32, opts).generate({ timestamp: at.getTime() });
}

export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD);
}

/** The time step a code matches within ±1 step of `at`, or null. Does not check for replay. */
export function matchTotpStep(secretBase32: string, code: unknown, at: Date, opts: { algorithm?: TotpAlgorithm; digits?: number } = {}): number | null {
  const digits = opts.digits ?? TOTP_DIGITS;
  if (typeof code !== 'string') return null;
  const token = code.replace(/\s+/g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(token)) return null;
  const delta = totpOf(secretBase32, opts).validate({ token, timestamp: at.getTime(), window: 1 });
  return delta === null ? null : totpStep(at) + delta;
}

/**
 * Verifies a code for an account and consumes its step: true once per step, and never for a step at or
 * before one already accepted (a code seen over a shoulder or phished is useless once used).
 */
export async function verifyAndConsumeTotp(q: Queryable, accountId: string, secretBase32: string, code: unknown, at: Date): Promise<boolean> {
  const step = matchTotpStep(secretBase32, code, at);
  if (step === null) return false;
  const rows = await q.query(
    `UPDATE user_credentials SET totp_last_step = $2 WHERE account_id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING 1`,
    [accountId, step],
  );
  return rows.length === 1;
}
