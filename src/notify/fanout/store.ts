import type { Queryable } from '../../store/db.ts';
import type { Lang } from '../../web/i18n.ts';
import type { Channel, ChannelProgress, FanoutProgress, NotificationEvent, Subscriber } from './types.ts';

/** A delivery row this process holds a lease on, with its event and subscriber. */
export interface ClaimedDelivery {
  event: NotificationEvent;
  subscriber: Subscriber;
  /** Active when claimed; an inactive one (unsubscribed or disabled since the expansion) is skipped. */
  active: boolean;
  /** Including this one. */
  attempts: number;
  /** This claim's token (lease_token): guards every later write, so a later claim of the row is not disturbed. */
  token: string;
  /** Times the row was given back because the update could not be rendered yet. */
  deferrals: number;
}

export interface DeliveryKey {
  eventId: string;
  subscriberId: string;
}

interface ClaimRow {
  event_id: string;
  subscriber_id: string;
  attempts: number;
  deferrals: number;
  kind: 'incident_update' | 'component_update';
  incident_id: string | null;
  update_id: string | null;
  component_id: string | null;
  old_status: string | null;
  new_status: string | null;
  created_at: Date | string;
  channel: Channel;
  target: string;
  lang: Lang;
  secret: string | null;
  owner_email: string | null;
  consecutive_permanent_failures: number;
  anti_phishing_code: string | null;
  active: boolean;
}

// The lease is the row's next_attempt_at too: one index finds both never-tried rows and those of a dead worker.
const CLAIM_SQL = `
  WITH due AS (
    SELECT event_id, subscriber_id FROM deliveries
     WHERE channel = $1 AND status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at
     LIMIT $2
     FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE deliveries d
       SET attempts = d.attempts + 1,
           lease_until = now() + $3::double precision * interval '1 millisecond',
           next_attempt_at = now() + $3::double precision * interval '1 millisecond',
           lease_owner = $4,
           lease_token = $5
      FROM due
     WHERE d.event_id = due.event_id AND d.subscriber_id = due.subscriber_id
    RETURNING d.event_id, d.subscriber_id, d.attempts, d.deferrals
  )
  SELECT c.event_id, c.subscriber_id, c.attempts, c.deferrals,
         e.kind, e.incident_id, e.update_id, e.component_id, e.old_status, e.new_status, e.created_at,
         s.channel, s.target, s.lang, s.secret, s.owner_email, s.consecutive_permanent_failures,
         -- The subscriber's own anti-phishing code for status mail, else that of the account at the address.
         CASE WHEN s.channel = 'email' THEN COALESCE(s.anti_phishing_code, kinkyu_account_anti_phishing_code(s.target_key, NULL)) END AS anti_phishing_code,
         (s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL) AS active
    FROM claimed c
    JOIN notification_events e ON e.id = c.event_id
    JOIN subscribers s ON s.id = c.subscriber_id`;

/**
 * Which of these channels have deliveries due now: one probe of the due index per channel, in one statement. The
 * fan-out asks before waking channel workers: most wakes (every update's NOTIFY, every poll) find nothing, and the
 * claim statement costs several milliseconds even then on the embedded database (measured under an update every
 * 100 ms: the channels' empty claims were the largest part of the database's CPU, ahead of the updates).
 */
export async function dueChannels(db: Queryable, channels: readonly Channel[]): Promise<Set<Channel>> {
  const rows = await db.query<{ channel: Channel }>(
    `SELECT c AS channel FROM unnest($1::text[]) AS c
      WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.channel = c AND d.status = 'pending' AND d.next_attempt_at <= now())`,
    [channels],
    { name: 'fanout_due_channels' },
  );
  return new Set(rows.map((r) => r.channel));
}

/** Claims up to `limit` due rows under a lease of `leaseMs`, each marked with the claim's own `token`. */
export async function claimDue(db: Queryable, channel: Channel, limit: number, leaseMs: number, owner: string, token: string): Promise<ClaimedDelivery[]> {
  const rows = await db.query<ClaimRow>(CLAIM_SQL, [channel, limit, leaseMs, owner, token], { name: 'fanout_claim' });
  return rows.map((r) => ({
    event: toEvent(r),
    subscriber: { id: r.subscriber_id, channel: r.channel, target: r.target, lang: r.lang, secret: r.secret, ownerEmail: r.owner_email, permanentFailures: Number(r.consecutive_permanent_failures), antiPhishingCode: r.anti_phishing_code },
    active: r.active,
    attempts: Number(r.attempts),
    token,
    deferrals: Number(r.deferrals),
  }));
}

/**
 * Extends the lease of a row this claim still holds; false when it does not (the lease ran out and another
 * claim took the row, or the row is done): the caller must not send it.
 */
export async function extendLease(db: Queryable, key: DeliveryKey, token: string, leaseMs: number): Promise<boolean> {
  const rows = await db.query(
    `UPDATE deliveries SET lease_until = now() + $4::double precision * interval '1 millisecond',
            next_attempt_at = now() + $4::double precision * interval '1 millisecond'
      WHERE event_id = $1 AND subscriber_id = $2 AND lease_token = $3 AND status = 'pending'
     RETURNING 1`,
    [key.eventId, key.subscriberId, token, leaseMs],
    { name: 'fanout_extend_lease' },
  );
  return rows.length > 0;
}

function toEvent(r: ClaimRow): NotificationEvent {
  const createdAt = new Date(r.created_at);
  if (r.kind === 'incident_update') {
    return { id: r.event_id, kind: 'incident_update', incidentId: r.incident_id ?? '', updateId: r.update_id ?? '', createdAt };
  }
  return { id: r.event_id, kind: 'component_update', componentId: r.component_id ?? '', oldStatus: r.old_status ?? '', newStatus: r.new_status ?? '', createdAt };
}

/** Marks rows done ('sent' or 'skipped') in one statement; a row already done stays as it was. */
export async function markDone(db: Queryable, keys: readonly DeliveryKey[], status: 'sent' | 'skipped'): Promise<void> {
  if (keys.length === 0) return;
  await db.query(
    `UPDATE deliveries d
        SET status = $3, sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE NULL END,
            lease_until = NULL, lease_owner = NULL, lease_token = NULL, last_error = NULL
       FROM unnest($1::text[], $2::text[]) AS k(event_id, subscriber_id)
      WHERE d.event_id = k.event_id AND d.subscriber_id = k.subscriber_id AND d.status = 'pending'`,
    [keys.map((k) => k.eventId), keys.map((k) => k.subscriberId), status],
    { name: 'fanout_mark_done' },
  );
}

/** Only while this claim still holds the row: another worker may have taken it after the lease ran out. */
export async function markRetry(db: Queryable, key: DeliveryKey, token: string, delayMs: number, error: string): Promise<void> {
  await db.query(
    `UPDATE deliveries SET next_attempt_at = now() + $4::double precision * interval '1 millisecond',
            lease_until = NULL, lease_owner = NULL, lease_token = NULL, last_error = $5
      WHERE event_id = $1 AND subscriber_id = $2 AND status = 'pending' AND lease_token = $3`,
    [key.eventId, key.subscriberId, token, delayMs, shortError(error)],
  );
}

export async function markFailed(db: Queryable, key: DeliveryKey, token: string, error: string): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'failed', lease_until = NULL, lease_owner = NULL, lease_token = NULL, last_error = $4
      WHERE event_id = $1 AND subscriber_id = $2 AND status = 'pending' AND lease_token = $3`,
    [key.eventId, key.subscriberId, token, shortError(error)],
  );
}

/** Gives back a row claimed but not attempted (stopping), without counting an attempt. */
export async function release(db: Queryable, key: DeliveryKey, token: string): Promise<void> {
  await db.query(
    `UPDATE deliveries SET next_attempt_at = now(), lease_until = NULL, lease_owner = NULL, lease_token = NULL,
            attempts = greatest(attempts - 1, 0)
      WHERE event_id = $1 AND subscriber_id = $2 AND status = 'pending' AND lease_token = $3`,
    [key.eventId, key.subscriberId, token],
  );
}

/**
 * A row whose update cannot be rendered yet: given back for a look `delayMs` later, no attempt counted, the
 * look counted in `deferrals`; or, with `failWith`, failed for good with that error.
 */
export async function defer(db: Queryable, key: DeliveryKey, token: string, delayMs: number, failWith: string | null): Promise<void> {
  await db.query(
    `UPDATE deliveries SET next_attempt_at = now() + $4::double precision * interval '1 millisecond',
            lease_until = NULL, lease_owner = NULL, lease_token = NULL,
            attempts = greatest(attempts - 1, 0), deferrals = deferrals + 1,
            status = CASE WHEN $5::text IS NULL THEN status ELSE 'failed' END,
            last_error = coalesce($5::text, last_error)
      WHERE event_id = $1 AND subscriber_id = $2 AND status = 'pending' AND lease_token = $3`,
    [key.eventId, key.subscriberId, token, delayMs, failWith === null ? null : shortError(failWith)],
  );
}

/** Whether an update still exists and is meant to be delivered (it may be gone, or the page not yet reloaded). */
export async function updateDeliverable(db: Queryable, updateId: string): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM incident_updates WHERE id = $1 AND visibility = 'public' AND deliver_notifications`,
    [updateId],
  );
  return rows.length > 0;
}

export async function progressOf(db: Queryable, updateId: string): Promise<FanoutProgress> {
  const events = await db.query<{ id: string; expanded: boolean }>(
    'SELECT id, expanded_at IS NOT NULL AS expanded FROM notification_events WHERE update_id = $1',
    [updateId],
  );
  const rows = await db.query<{ channel: Channel; status: keyof ChannelProgress; n: number }>(
    `SELECT d.channel, d.status, count(*)::int AS n FROM deliveries d
       JOIN notification_events e ON e.id = d.event_id
      WHERE e.update_id = $1
      GROUP BY d.channel, d.status`,
    [updateId],
  );
  const channels: FanoutProgress['channels'] = {};
  for (const r of rows) {
    const p = (channels[r.channel] ??= { sent: 0, pending: 0, failed: 0, skipped: 0 });
    p[r.status] += Number(r.n);
  }
  return { notified: events.length > 0, expanded: events.length > 0 && events.every((e) => e.expanded), channels };
}

function shortError(error: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = error.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 299)}…` : clean;
}
