import type { Db } from '../../store/db.ts';
import type { OAuth1Credentials } from '../channels/oauth1.ts';
import { DEFAULT_TIMEOUT_MS } from '../channels/http-outcome.ts';
import { postTweet, X_API_BASE_URL } from '../channels/x-client.ts';
import { composeXThread, xUpdateText } from '../channels/x-compose.ts';
import { updateNotice } from '../channels/update-notice.ts';
import type { ChannelSender, Delivery, DeliveryOutcome } from '../fanout/types.ts';

/** One post at a time keeps a thread in order; X's write limit is counted per 15 minutes, a 429 says when to resume. */
export const X_DEFAULTS = { concurrency: 1, perSecond: 1 } as const;

export interface XSenderOptions {
  db: Db;
  credentials: OAuth1Credentials;
  /** X_API_URL; tests point it at the stand-in. */
  baseUrl?: string;
  timeoutMs?: number;
  clock?: () => Date;
  fetch?: typeof fetch;
}

interface PartRow {
  part_index: number;
  body: string;
  tweet_id: string | null;
}

/**
 * Posts each incident or maintenance update to the exchange's X account, as a thread when long. The thread's
 * parts are stored (x_posts) before the first post and each post id right after X accepted it, so a retry —
 * after a 429, an error half-way or a crash — continues the thread and never posts a part twice (only a part
 * in flight at a crash can be doubled). Before each part it confirms with the fan-out that the delivery is still
 * its own (`keepLease`): once another worker took it over, this one stops.
 */
export function xSender(opts: XSenderOptions): ChannelSender {
  const client = {
    credentials: opts.credentials,
    baseUrl: opts.baseUrl ?? X_API_BASE_URL,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.clock ? { now: opts.clock } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  };
  const clock = opts.clock ?? (() => new Date());

  async function threadFor(d: Delivery): Promise<PartRow[] | null> {
    const stored = await storedParts(opts.db, d.event.id);
    if (stored.length > 0 || d.event.kind !== 'incident_update') return stored;
    const notice = updateNotice(d.snapshot, d.event.incidentId, d.event.updateId, d.subscriber.lang);
    if (!notice) return null;
    const parts = composeXThread(xUpdateText(notice), notice.url);
    await opts.db.transaction(async (tx) => {
      for (const [i, body] of parts.entries()) {
        await tx.query(`INSERT INTO x_posts (event_id, part_index, body) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [d.event.id, i, body]);
      }
    });
    return storedParts(opts.db, d.event.id);
  }

  return {
    channel: 'x',
    concurrency: X_DEFAULTS.concurrency,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    // 429s (a 15-minute window each) must not exhaust a post's attempts.
    maxAttempts: 30,
    perSecond: X_DEFAULTS.perSecond,
    async send(d: Delivery): Promise<DeliveryOutcome> {
      if (d.event.kind !== 'incident_update') return { kind: 'skip', detail: 'X hears incident updates only' };
      const parts = await threadFor(d);
      if (!parts || parts.length === 0) return { kind: 'skip', detail: 'update no longer on the page' };
      let previous: string | undefined;
      for (const part of parts) {
        if (part.tweet_id) {
          previous = part.tweet_id;
          continue;
        }
        if (d.keepLease && !(await d.keepLease())) return { kind: 'skip', detail: 'another worker took over this post' };
        const result = await postTweet(client, part.body, previous);
        if (!result.ok) return result.outcome;
        await opts.db.query(`UPDATE x_posts SET tweet_id = $3, posted_at = $4 WHERE event_id = $1 AND part_index = $2`, [
          d.event.id, part.part_index, result.id, clock(),
        ]);
        previous = result.id;
      }
      return { kind: 'delivered', status: 201 };
    },
  };
}

async function storedParts(db: Db, eventId: string): Promise<PartRow[]> {
  return db.query<PartRow>(`SELECT part_index, body, tweet_id FROM x_posts WHERE event_id = $1 ORDER BY part_index`, [eventId]);
}

/** The ids posted for an event, in thread order (for the console and tests). */
export async function postedThread(db: Db, eventId: string): Promise<string[]> {
  return (await storedParts(db, eventId)).flatMap((p) => (p.tweet_id ? [p.tweet_id] : []));
}

/**
 * The one subscriber row the fan-out delivers X posts through, created by a process that has X credentials.
 * A process without them never touches it (the row is shared by every process): it simply has no X sender, and
 * X deliveries wait for a process that has one, as update emails do without SMTP. Safe to run from every process
 * at start: the live-target unique index admits one.
 */
export async function ensureXSubscriber(db: Db, opts: { configured: boolean; lang: 'ja' | 'en'; id: string; now: Date }): Promise<void> {
  if (!opts.configured) return;
  await db.query(
    `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at)
     VALUES ($1, 'x', 'config', 'config', $2, $3)
     ON CONFLICT (channel, target_key) WHERE unsubscribed_at IS NULL AND disabled_at IS NULL DO NOTHING`,
    [opts.id, opts.lang, opts.now],
  );
}
