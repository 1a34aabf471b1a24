import { classifyStatus, classifyThrown, DEFAULT_TIMEOUT_MS, parseRetryAfter, readBodyPrefix, type AttemptOutcome } from './http-outcome.ts';
import { pinnedPost } from './pinned-post.ts';
import type { EndpointPolicy } from '../subscriptions/endpoint-check.ts';
import { IDEMPOTENCY_HEADER, idempotencyKey, SIGNATURE_HEADER, signatureHeader } from './webhook-signature.ts';

export interface WebhookRequest {
  url: string;
  /** The exact bytes to send and sign (JSON.stringify of a webhook payload). */
  body: string;
  /** The subscriber's secret; two during a rotation. */
  secret: string | readonly string[];
  updateId: string;
  subscriberId: string;
  /** The fan-out's key for this delivery; defaults to `${updateId}:${subscriberId}`. */
  idempotencyKey?: string;
  now?: () => Date;
  /** A 2xx must arrive within this time (Statuspage: 30 s). */
  timeoutMs?: number;
  /**
   * The address rules for the subscriber's host. With it the POST goes through `pinnedPost` (checked address =
   * connected address; `fetch` is not used). Without it: `fetch`, for tests against a stand-in.
   */
  endpointPolicy?: EndpointPolicy;
  fetch?: typeof fetch;
}

export const WEBHOOK_USER_AGENT = 'kinkyu-webhook/1';

/** The headers of one attempt; a retry gets a fresh timestamp but the same idempotency key. */
export function webhookHeaders(req: Pick<WebhookRequest, 'body' | 'secret' | 'updateId' | 'subscriberId' | 'idempotencyKey'>, now: Date): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': WEBHOOK_USER_AGENT,
    [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(req.secret, req.body, now),
    [IDEMPOTENCY_HEADER.toLowerCase()]: req.idempotencyKey ?? idempotencyKey(req.updateId, req.subscriberId),
  };
}

/** One delivery attempt. Never throws: every way it can end is an AttemptOutcome. */
export async function sendWebhook(req: WebhookRequest): Promise<AttemptOutcome> {
  const now = req.now ?? (() => new Date());
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return invalidUrl('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return invalidUrl('only http and https are supported');
  if (url.username || url.password) return invalidUrl('credentials in the URL are not supported');
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (req.endpointPolicy) {
    try {
      const res = await pinnedPost({ url, headers: webhookHeaders(req, now()), body: req.body, policy: req.endpointPolicy, timeoutMs });
      const ok = res.status >= 200 && res.status < 300;
      return classifyStatus(res.status, parseRetryAfter(res.headers['retry-after'] ?? null, now().getTime()), ok ? '' : `HTTP ${res.status} ${res.bodyPrefix}`);
    } catch (error) {
      return classifyThrown(error);
    }
  }
  const doFetch = req.fetch ?? fetch;
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: webhookHeaders(req, now()),
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const detail = res.ok ? '' : `HTTP ${res.status} ${await readBodyPrefix(res)}`;
    if (res.ok) await res.body?.cancel().catch(() => undefined);
    return classifyStatus(res.status, parseRetryAfter(res.headers.get('retry-after'), now().getTime()), detail);
  } catch (error) {
    return classifyThrown(error);
  }
}

function invalidUrl(detail: string): AttemptOutcome {
  return { kind: 'retry', status: null, reason: 'client_error', permanent: true, gone: true, retryAfterMs: null, detail };
}

export const RETRY_BASE_MS = 30_000;
export const RETRY_CAP_MS = 60 * 60_000;
/** A Retry-After further away than this is treated as this (a receiver must not park a delivery for days). */
export const RETRY_AFTER_CAP_MS = 6 * 60 * 60_000;

/**
 * Delay before retry number `attempt` (1 = the first retry): 30 s doubling up to a 1 h cap, with "equal
 * jitter" (between half and all of the step) so that many subscribers failing together do not retry in step.
 */
export function nextRetryDelay(attempt: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const step = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(n - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The back-off, but never sooner than the receiver asked (Retry-After), within RETRY_AFTER_CAP_MS. */
export function retryDelayFor(outcome: AttemptOutcome, attempt: number, random: () => number = Math.random): number {
  const backoff = nextRetryDelay(attempt, random);
  if (outcome.kind !== 'retry' || outcome.retryAfterMs === null) return backoff;
  return Math.max(backoff, Math.min(outcome.retryAfterMs, RETRY_AFTER_CAP_MS));
}

/** A subscriber endpoint's failures since its last success. */
export interface FailureRecord {
  consecutive: number;
  /** Of those, 3xx and 4xx other than 408/429, in a row. */
  consecutivePermanent: number;
  gone: boolean;
}

export const NO_FAILURES: FailureRecord = { consecutive: 0, consecutivePermanent: 0, gone: false };

export function recordAttempt(record: FailureRecord, outcome: AttemptOutcome): FailureRecord {
  if (outcome.kind === 'delivered') return NO_FAILURES;
  return {
    consecutive: record.consecutive + 1,
    consecutivePermanent: outcome.permanent ? record.consecutivePermanent + 1 : 0,
    gone: record.gone || outcome.gone,
  };
}

export interface DisablePolicy {
  maxConsecutiveFailures: number;
  maxConsecutivePermanentFailures: number;
}

/**
 * When to stop sending to an endpoint (and mail its owner):
 * - at once when it answered 410 Gone or its URL cannot be used at all;
 * - after 8 permanent failures in a row (3xx, 4xx other than 408/429): with the back-off that is half an hour to an
 *   hour of a receiver saying "not found" / "unauthorised", long enough to ride out a botched deploy on its side;
 * - after 15 failures of any kind in a row (timeouts, 5xx, 429 included): with the back-off between roughly 4
 *   and 8 hours of an endpoint that never answers 2xx.
 * Any 2xx resets the count.
 */
export const DEFAULT_DISABLE_POLICY: DisablePolicy = { maxConsecutiveFailures: 15, maxConsecutivePermanentFailures: 8 };

export function shouldDisable(failures: FailureRecord, policy: DisablePolicy = DEFAULT_DISABLE_POLICY): boolean {
  return (
    failures.gone ||
    failures.consecutivePermanent >= policy.maxConsecutivePermanentFailures ||
    failures.consecutive >= policy.maxConsecutiveFailures
  );
}
