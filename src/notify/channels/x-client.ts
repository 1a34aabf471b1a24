import { classifyStatus, classifyThrown, DEFAULT_TIMEOUT_MS, readBodyPrefix, type AttemptOutcome } from './http-outcome.ts';
import { oauth1Header, type OAuth1Credentials } from './oauth1.ts';

export const X_API_BASE_URL = 'https://api.x.com';

export interface XClientOptions {
  credentials: OAuth1Credentials;
  /** Configuration; tests point it at the local stand-in. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

export type XPostResult = { ok: true; id: string } | { ok: false; outcome: AttemptOutcome };

/**
 * POST /2/tweets with OAuth 1.0a user context. A 429 carries x-rate-limit-reset (unix seconds when the window
 * reopens), surfaced as `retryAfterMs`.
 */
export async function postTweet(opts: XClientOptions, text: string, inReplyTo?: string): Promise<XPostResult> {
  const now = opts.now ?? (() => new Date());
  const url = new URL('/2/tweets', opts.baseUrl ?? X_API_BASE_URL);
  const body = JSON.stringify(inReplyTo ? { text, reply: { in_reply_to_tweet_id: inReplyTo } } : { text });
  try {
    const res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: {
        authorization: oauth1Header('POST', url, opts.credentials, { timestamp: Math.floor(now().getTime() / 1000) }),
        'content-type': 'application/json',
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    if (res.status === 201 || res.status === 200) {
      const parsed = (await res.json().catch(() => null)) as { data?: { id?: unknown } } | null;
      const id = parsed?.data?.id;
      if (typeof id === 'string' && /^\d{1,30}$/.test(id)) return { ok: true, id };
      return { ok: false, outcome: classifyStatus(502, null, `unexpected X response ${JSON.stringify(parsed).slice(0, 100)}`) };
    }
    const detail = `HTTP ${res.status} ${await readBodyPrefix(res)}`;
    return { ok: false, outcome: classifyStatus(res.status, rateLimitResetMs(res.headers, now().getTime()), detail) };
  } catch (error) {
    return { ok: false, outcome: classifyThrown(error) };
  }
}

function rateLimitResetMs(headers: Headers, now: number): number | null {
  const reset = headers.get('x-rate-limit-reset');
  if (reset && /^\d{1,12}$/.test(reset.trim())) return Math.max(0, Number(reset) * 1000 - now);
  const retryAfter = headers.get('retry-after');
  return retryAfter && /^\d{1,9}$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : null;
}

export type XThreadResult =
  | { ok: true; ids: string[] }
  /** `ids` are the parts posted so far (including earlier attempts): pass them back to resume. */
  | { ok: false; ids: string[]; outcome: AttemptOutcome };

/**
 * Posts the parts as a thread, each replying to the one before. `alreadyPosted` holds the ids of parts a
 * previous attempt got out, so a retry continues the thread instead of posting it twice.
 */
export async function postXThread(opts: XClientOptions, parts: readonly string[], alreadyPosted: readonly string[] = []): Promise<XThreadResult> {
  const ids = [...alreadyPosted];
  for (let i = ids.length; i < parts.length; i++) {
    const result = await postTweet(opts, parts[i] as string, ids[i - 1]);
    if (!result.ok) return { ok: false, ids, outcome: result.outcome };
    ids.push(result.id);
  }
  return { ok: true, ids };
}
