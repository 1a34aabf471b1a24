import type { Queryable } from '../../store/db.ts';
import type { Lang } from '../../web/i18n.ts';

/** The public channels; 'x' is the exchange's own account, not something the public subscribes to. */
export type PublicChannel = 'email' | 'webhook' | 'slack';
export const PUBLIC_CHANNELS: readonly PublicChannel[] = ['email', 'webhook', 'slack'];

export interface SubscriberRow {
  id: string;
  channel: PublicChannel | 'x';
  target: string;
  lang: Lang;
  /** null: every component. */
  components: string[] | null;
  ownerEmail: string | null;
  confirmExpiresAt: Date | null;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  /** Whether the subscriber set an anti-phishing code (the code itself is never read for a page). */
  antiPhishingSet: boolean;
}

export type SubscriberState = 'active' | 'pending' | 'unsubscribed' | 'disabled';

export function stateOf(row: Pick<SubscriberRow, 'confirmedAt' | 'unsubscribedAt' | 'disabledAt'>): SubscriberState {
  if (row.unsubscribedAt) return 'unsubscribed';
  if (row.disabledAt) return 'disabled';
  return row.confirmedAt ? 'active' : 'pending';
}

const COLUMNS = `id, channel, target, lang, components, owner_email, confirm_expires_at, confirmed_at, unsubscribed_at,
  disabled_at, disabled_reason, created_at, (anti_phishing_code IS NOT NULL) AS anti_phishing_set`;

interface DbRow {
  id: string;
  channel: SubscriberRow['channel'];
  target: string;
  lang: Lang;
  components: unknown;
  owner_email: string | null;
  confirm_expires_at: Date | string | null;
  confirmed_at: Date | string | null;
  unsubscribed_at: Date | string | null;
  disabled_at: Date | string | null;
  disabled_reason: string | null;
  created_at: Date | string;
  anti_phishing_set: boolean;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function toRow(r: DbRow): SubscriberRow {
  const components = typeof r.components === 'string' ? (JSON.parse(r.components) as unknown) : r.components;
  return {
    id: r.id,
    channel: r.channel,
    target: r.target,
    lang: r.lang,
    components: Array.isArray(components) ? components.filter((x): x is string => typeof x === 'string') : null,
    ownerEmail: r.owner_email,
    confirmExpiresAt: date(r.confirm_expires_at),
    confirmedAt: date(r.confirmed_at),
    unsubscribedAt: date(r.unsubscribed_at),
    disabledAt: date(r.disabled_at),
    disabledReason: r.disabled_reason,
    createdAt: new Date(r.created_at),
    antiPhishingSet: r.anti_phishing_set === true,
  };
}

/** What uniquely names a target: the lower-cased address for email, the URL as parsed for endpoints. */
export function targetKey(channel: PublicChannel, target: string): string {
  return channel === 'email' ? target.trim().toLowerCase() : target;
}

export async function findSubscriber(db: Queryable, id: string): Promise<SubscriberRow | null> {
  const [row] = await db.query<DbRow>(`SELECT ${COLUMNS} FROM subscribers WHERE id = $1`, [id]);
  return row ? toRow(row) : null;
}

/** The one live (not unsubscribed, not disabled) row for a target, locked for the rest of the transaction. */
export async function findLiveForUpdate(tx: Queryable, channel: PublicChannel, key: string): Promise<SubscriberRow | null> {
  const [row] = await tx.query<DbRow>(
    `SELECT ${COLUMNS} FROM subscribers
      WHERE channel = $1 AND target_key = $2 AND unsubscribed_at IS NULL AND disabled_at IS NULL FOR UPDATE`,
    [channel, key],
  );
  return row ? toRow(row) : null;
}

export async function findByConfirmHash(db: Queryable, hash: string): Promise<SubscriberRow | null> {
  const [row] = await db.query<DbRow>(`SELECT ${COLUMNS} FROM subscribers WHERE confirm_token_hash = $1`, [hash]);
  return row ? toRow(row) : null;
}

export interface NewSubscriber {
  id: string;
  channel: PublicChannel;
  target: string;
  lang: Lang;
  components: string[] | null;
  secret: string | null;
  ownerEmail: string | null;
  confirmTokenHash: string | null;
  confirmExpiresAt: Date | null;
  confirmedAt: Date | null;
  ip: string | null;
  now: Date;
}

/** Inserts a subscriber; false when a live one for the same target appeared meanwhile (unique index). */
export async function insertSubscriber(tx: Queryable, s: NewSubscriber): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO subscribers (id, channel, target, target_key, lang, components, secret, owner_email, confirm_token_hash,
       confirm_expires_at, confirmed_at, created_at, created_ip)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      s.id, s.channel, s.target, targetKey(s.channel, s.target), s.lang, s.components ? JSON.stringify(s.components) : null,
      s.secret, s.ownerEmail, s.confirmTokenHash, s.confirmExpiresAt, s.confirmedAt, s.now, s.ip,
    ],
  );
  return rows.length === 1;
}

/** A pending row asked for again: a fresh token and the latest choices (nobody has confirmed anything yet). */
export async function renewPending(
  tx: Queryable,
  id: string,
  input: { target: string; lang: Lang; components: string[] | null; confirmTokenHash: string; confirmExpiresAt: Date; ip: string | null },
): Promise<void> {
  await tx.query(
    `UPDATE subscribers SET target = $2, lang = $3, components = $4::jsonb, confirm_token_hash = $5, confirm_expires_at = $6, created_ip = $7
      WHERE id = $1 AND confirmed_at IS NULL`,
    [id, input.target, input.lang, input.components ? JSON.stringify(input.components) : null, input.confirmTokenHash, input.confirmExpiresAt, input.ip],
  );
}

/** Confirms a pending row; returns whether it changed. */
export async function confirmSubscriber(tx: Queryable, id: string, now: Date): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE subscribers SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL RETURNING id`,
    [id, now],
  );
  return rows.length === 1;
}

/** Idempotent: the first call sets the time, later calls keep it. */
export async function unsubscribe(db: Queryable, id: string, now: Date): Promise<SubscriberRow | null> {
  const [row] = await db.query<DbRow>(
    `UPDATE subscribers SET unsubscribed_at = COALESCE(unsubscribed_at, $2), confirm_token_hash = NULL WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, now],
  );
  return row ? toRow(row) : null;
}

export async function updatePreferences(db: Queryable, id: string, prefs: { lang: Lang; components: string[] | null }): Promise<boolean> {
  const rows = await db.query(
    `UPDATE subscribers SET lang = $2, components = $3::jsonb WHERE id = $1 AND unsubscribed_at IS NULL RETURNING id`,
    [id, prefs.lang, prefs.components ? JSON.stringify(prefs.components) : null],
  );
  return rows.length === 1;
}

/**
 * A change of the subscriber's anti-phishing code waiting for the mailbox to confirm it: `code` null removes it.
 * A newer request replaces an older one (its link stops working).
 */
export async function requestAntiPhishingChange(db: Queryable, id: string, change: { code: string | null; tokenHash: string; expiresAt: Date }): Promise<boolean> {
  const rows = await db.query(
    `UPDATE subscribers SET anti_phishing_pending = $2, anti_phishing_token_hash = $3, anti_phishing_expires_at = $4
      WHERE id = $1 AND channel = 'email' AND unsubscribed_at IS NULL AND disabled_at IS NULL RETURNING id`,
    [id, change.code ?? '', change.tokenHash, change.expiresAt],
  );
  return rows.length === 1;
}

/** The pending change behind a confirmation link, if it is still good: `remove` when it takes the code away. */
export async function pendingAntiPhishingChange(db: Queryable, id: string, tokenHash: string, now: Date): Promise<{ remove: boolean; lang: Lang } | null> {
  const [row] = await db.query<{ pending: string; lang: Lang }>(
    `SELECT anti_phishing_pending AS pending, lang FROM subscribers
      WHERE id = $1 AND anti_phishing_token_hash = $2 AND anti_phishing_expires_at > $3 AND anti_phishing_pending IS NOT NULL
        AND unsubscribed_at IS NULL AND disabled_at IS NULL`,
    [id, tokenHash, now],
  );
  return row ? { remove: row.pending === '', lang: row.lang } : null;
}

/** Applies the pending change once (the link then stops working); false when it was not (or no longer) good. */
export async function applyAntiPhishingChange(db: Queryable, id: string, tokenHash: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE subscribers SET anti_phishing_code = NULLIF(anti_phishing_pending, ''),
            anti_phishing_pending = NULL, anti_phishing_token_hash = NULL, anti_phishing_expires_at = NULL
      WHERE id = $1 AND anti_phishing_token_hash = $2 AND anti_phishing_expires_at > $3 AND anti_phishing_pending IS NOT NULL
        AND unsubscribed_at IS NULL AND disabled_at IS NULL RETURNING id`,
    [id, tokenHash, now],
  );
  return rows.length === 1;
}

// ------------------------------------------------------------------------------------------------ staff

export type ChannelCounts = Record<SubscriberState, number>;

export async function countsByChannel(db: Queryable): Promise<Record<PublicChannel, ChannelCounts>> {
  const rows = await db.query<{ channel: string; active: number; pending: number; unsubscribed: number; disabled: number }>(
    `SELECT channel,
            count(*) FILTER (WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL) AS active,
            count(*) FILTER (WHERE confirmed_at IS NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL) AS pending,
            count(*) FILTER (WHERE unsubscribed_at IS NOT NULL) AS unsubscribed,
            count(*) FILTER (WHERE disabled_at IS NOT NULL AND unsubscribed_at IS NULL) AS disabled
       FROM subscribers GROUP BY channel`,
  );
  const empty = (): ChannelCounts => ({ active: 0, pending: 0, unsubscribed: 0, disabled: 0 });
  const out: Record<PublicChannel, ChannelCounts> = { email: empty(), webhook: empty(), slack: empty() };
  for (const r of rows) {
    if (r.channel === 'email' || r.channel === 'webhook' || r.channel === 'slack') {
      out[r.channel] = { active: Number(r.active), pending: Number(r.pending), unsubscribed: Number(r.unsubscribed), disabled: Number(r.disabled) };
    }
  }
  return out;
}

/**
 * Subscribers whose address or URL contains `needle` (case-insensitive), newest first. A Slack URL is a
 * credential: it is found by its owner's address or by the whole URL only, so that searching piece by piece
 * cannot spell it out.
 */
export async function searchSubscribers(db: Queryable, needle: string, limit = 50): Promise<SubscriberRow[]> {
  const pattern = `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db.query<DbRow>(
    `SELECT ${COLUMNS} FROM subscribers
      WHERE channel <> 'x'
        AND (CASE WHEN channel = 'slack' THEN target_key = $3 ELSE lower(target_key) LIKE $1 END OR lower(coalesce(owner_email, '')) LIKE $1)
      ORDER BY created_at DESC LIMIT $2`,
    [pattern, limit, needle.trim()],
  );
  return rows.map(toRow);
}

/** Stops deliveries to a subscriber (staff). Returns the row before the change, or null if there is none. */
export async function disableSubscriber(tx: Queryable, id: string, reason: string, now: Date): Promise<SubscriberRow | null> {
  const [before] = await tx.query<DbRow>(`SELECT ${COLUMNS} FROM subscribers WHERE id = $1 AND channel <> 'x' FOR UPDATE`, [id]);
  if (!before) return null;
  await tx.query(`UPDATE subscribers SET disabled_at = COALESCE(disabled_at, $2), disabled_reason = COALESCE(disabled_reason, $3) WHERE id = $1`, [id, now, reason]);
  return toRow(before);
}

/**
 * Erases what identifies a subscriber (address or URL, owner, secret) and ends the subscription; the row stays as
 * a tombstone so deliveries that point at it keep their history.
 */
export async function eraseSubscriber(tx: Queryable, id: string, now: Date): Promise<SubscriberRow | null> {
  const [before] = await tx.query<DbRow>(`SELECT ${COLUMNS} FROM subscribers WHERE id = $1 AND channel <> 'x' FOR UPDATE`, [id]);
  if (!before) return null;
  await tx.query(
    `UPDATE subscribers SET target = 'erased', target_key = 'erased:' || id, owner_email = NULL, secret = NULL, confirm_token_hash = NULL,
       created_ip = NULL, anti_phishing_code = NULL, anti_phishing_pending = NULL, anti_phishing_token_hash = NULL, unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1`,
    [id, now],
  );
  return toRow(before);
}
