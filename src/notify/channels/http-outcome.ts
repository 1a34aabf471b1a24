import { PinnedPostError } from './pinned-post.ts';

/**
 * What one HTTP delivery attempt to a webhook, Slack or X came to, and what to do next.
 *
 * Classification (shared by every outbound channel):
 * - 2xx → delivered.
 * - 408, 429, 5xx, network errors and timeouts → retry; the receiver is (probably) fine but busy or down for a
 *   while. Retry-After / x-rate-limit-reset is honoured.
 * - 3xx → retry, but `permanent`: Statuspage counts a redirect as failure, and following one would let a
 *   subscriber's endpoint bounce our signed body to an address nobody subscribed.
 * - other 4xx → retry, but `permanent`: usually a misconfigured or removed endpoint; it will not heal by waiting,
 *   so these count faster toward disabling (see `shouldDisable` in webhook-delivery.ts). 410 Gone is `gone`.
 */
export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | {
      kind: 'retry';
      /** HTTP status, or null for network errors and timeouts. */
      status: number | null;
      reason: 'timeout' | 'network' | 'rate_limited' | 'server_error' | 'redirect' | 'client_error';
      /** A 3xx or a 4xx other than 408/429: waiting will probably not fix it. */
      permanent: boolean;
      /** The receiver said it is gone for good (410). */
      gone: boolean;
      /** From Retry-After (or X's x-rate-limit-reset), when the receiver said when to come back. */
      retryAfterMs: number | null;
      /** A short, log-safe description (never the whole response body). */
      detail: string;
    };

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Classifies a response by status code; `retryAfterMs` comes from whatever header the service uses. */
export function classifyStatus(status: number, retryAfterMs: number | null, detail: string): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const base = { kind: 'retry' as const, status, retryAfterMs, detail: clip(detail) };
  if (status === 408) return { ...base, reason: 'timeout', permanent: false, gone: false };
  if (status === 429) return { ...base, reason: 'rate_limited', permanent: false, gone: false };
  if (status >= 500) return { ...base, reason: 'server_error', permanent: false, gone: false };
  if (status >= 300 && status < 400) return { ...base, reason: 'redirect', permanent: true, gone: false };
  return { ...base, reason: 'client_error', permanent: true, gone: status === 410 };
}

/**
 * A fetch or pinned POST that threw: an abort from our timeout, or a connection-level failure. A URL that cannot
 * be used, or whose host is (now) a private address, is `gone`: the endpoint is disabled at once.
 */
export function classifyThrown(error: unknown): AttemptOutcome {
  if (error instanceof PinnedPostError && (error.failure === 'refused_address' || error.failure === 'invalid_url')) {
    return { kind: 'retry', status: null, reason: 'client_error', permanent: true, gone: true, retryAfterMs: null, detail: clip(error.message) };
  }
  const name = error instanceof Error ? error.name : '';
  const timedOut = name === 'TimeoutError' || name === 'AbortError' || (error instanceof PinnedPostError && error.failure === 'timeout');
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'retry',
    status: null,
    reason: timedOut ? 'timeout' : 'network',
    permanent: false,
    gone: false,
    retryAfterMs: null,
    detail: clip(timedOut ? 'timed out' : cause || message),
  };
}

/**
 * Reads at most `limitBytes` of a response body for diagnostics and cancels the rest, so a hostile receiver
 * cannot make us buffer an endless body.
 */
export async function readBodyPrefix(res: Response, limitBytes = 1024): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limitBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body that breaks off still leaves its status code to classify.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks).subarray(0, limitBytes));
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}
