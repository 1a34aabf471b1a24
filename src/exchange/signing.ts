import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../domain/secrets.ts';

/**
 * Signed requests between kinkyu and the exchange core (docs/exchange-adapter.md).
 *
 *   signature = hex(HMAC-SHA256(secret, `${timestamp}\n${nonce}\n${METHOD}\n${path}\n${hex(sha256Hex(body))}`))
 *
 * `path` is the request target as sent (path and query string); `body` the exact bytes of the body ('' for none).
 * The receiver refuses a timestamp outside the replay window, a bad signature, and a nonce it has seen before.
 */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-kinkyu-timestamp',
  nonce: 'x-kinkyu-nonce',
  signature: 'x-kinkyu-signature',
} as const;

export const DEFAULT_REPLAY_WINDOW_MS = 30_000;
export const MIN_SECRET_LENGTH = 32;

export interface SignableRequest {
  method: string;
  /** Path and query string, exactly as on the request line: `/kinkyu/v1/accounts?email=a%40b.example`. */
  path: string;
  /** The exact body sent; '' when there is none. */
  body: string;
}


function canonical(timestamp: string, nonce: string, req: SignableRequest): string {
  return `${timestamp}\n${nonce}\n${req.method.toUpperCase()}\n${req.path}\n${sha256Hex(req.body)}`;
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** The three headers that sign `req`. A fresh nonce every call: a retry is a new request. */
export function signRequest(secret: string, req: SignableRequest, opts: { now?: number; nonce?: string } = {}): Record<string, string> {
  const timestamp = String(Math.floor(opts.now ?? Date.now()));
  const nonce = opts.nonce ?? randomBytes(16).toString('base64url');
  return {
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: hmacHex(secret, canonical(timestamp, nonce, req)),
  };
}

/**
 * The nonces seen within the replay window, bounded in size (least recently added dropped first). A nonce
 * dropped while its timestamp is still inside the window could be replayed, so the cache remembers the
 * newest timestamp it ever dropped and refuses anything signed at or before it: replays stay refused even
 * when the cache is full (at worst a legitimate request from a congested moment is refused and retried).
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  private floor = -Infinity;

  constructor(readonly maxEntries = 100_000) {}

  get size(): number {
    return this.seen.size;
  }

  /** True when the nonce may be used: not seen, and not older than anything forgotten. */
  fresh(nonce: string, timestamp: number): boolean {
    return !this.seen.has(nonce) && timestamp > this.floor;
  }

  /** Records a nonce; drops entries that left the window (`oldest`) and, past the bound, the oldest added. */
  add(nonce: string, timestamp: number, oldest: number): void {
    this.seen.set(nonce, timestamp);
    for (const [n, ts] of this.seen) {
      if (this.seen.size <= this.maxEntries && ts >= oldest) break;
      this.seen.delete(n);
      // Outside the window it would be refused anyway; inside it, it must stay refused.
      if (ts >= oldest && ts > this.floor) this.floor = ts;
    }
  }
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'bad_signature' | 'replayed' };

export interface VerifyOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** How far the timestamp may be from now, either way. Default 30 s. */
  windowMs?: number;
  /** The receiver's memory of nonces; the nonce is recorded there when the request is accepted. */
  nonces: NonceCache;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? undefined : v;
}

/**
 * Checks a signed request: well-formed headers, a timestamp within the window, the right signature (compared
 * in constant time), a nonce not seen before. Only an accepted request's nonce is recorded, so unsigned noise
 * cannot fill the cache.
 */
export function verifySignedRequest(
  secret: string,
  req: SignableRequest & { headers: Record<string, string | string[] | undefined> },
  opts: VerifyOptions,
): VerifyResult {
  const timestamp = header(req.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(req.headers, SIGNATURE_HEADERS.nonce);
  const signature = header(req.headers, SIGNATURE_HEADERS.signature);
  if (!timestamp || !nonce || !signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,16}$/.test(timestamp) || !/^[\w-]{16,128}$/.test(nonce) || !/^[0-9a-f]{64}$/i.test(signature)) {
    return { ok: false, reason: 'malformed' };
  }
  const now = (opts.now ?? Date.now)();
  const windowMs = opts.windowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const ts = Number(timestamp);
  if (Math.abs(now - ts) > windowMs) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(secret, canonical(timestamp, nonce, req)), 'hex');
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  if (!opts.nonces.fresh(nonce, ts)) return { ok: false, reason: 'replayed' };
  opts.nonces.add(nonce, ts, now - windowMs);
  return { ok: true };
}
