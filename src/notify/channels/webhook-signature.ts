import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures.
 *
 * Every request carries
 *     X-Kinkyu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 * where the HMAC key is the subscriber's secret (shown once when the webhook is created) and the message is
 * the timestamp, a full stop and the raw request body, byte for byte: `${t}.${rawBody}`.
 *
 * To verify, a receiver:
 * 1. reads the raw body BEFORE any JSON parsing (re-serialising changes bytes and breaks the signature);
 * 2. splits the header on "," into key=value pairs, takes `t` and every `v1` (there are two while a secret is
 *    being rotated: one per secret);
 * 3. computes HMAC-SHA256(secret, `${t}.${rawBody}`) as lowercase hex and compares it with each `v1` in constant
 *    time (e.g. crypto.timingSafeEqual);
 * 4. rejects the request when |now - t| exceeds its tolerance (we suggest 5 minutes): a captured request
 *    cannot be replayed later, because changing `t` breaks the signature.
 * Retries of one delivery are signed afresh (new `t`) but carry the same Idempotency-Key, which receivers use
 * to drop duplicates.
 */
export const SIGNATURE_HEADER = 'X-Kinkyu-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The header value for one request; pass several secrets during a rotation. */
export function signatureHeader(secrets: string | readonly string[], rawBody: string | Buffer, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${t}`, ...list.map((s) => `v1=${signatureHex(s, t, rawBody)}`)].join(',');
}

/** `Idempotency-Key: <update id>:<subscriber id>`: the same for every retry of one delivery. */
export function idempotencyKey(updateId: string, subscriberId: string): string {
  return `${updateId}:${subscriberId}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** What a receiver does (see the comment above); also used by our own tests. */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string | Buffer,
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
  if (!header || header.length > 2000) return { ok: false, reason: 'malformed' };
  let t: number | null = null;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (t === null || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureHex(secret, t, rawBody), 'hex');
  const match = candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}
