import type { Db, Queryable } from '../store/db.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { TERMS_LABEL, type TermsInput } from './validation.ts';

/**
 * Versions of the terms of service. A draft can be edited; publishing gives it the next number in the
 * publication order and freezes its text (a correction is a new version). A user who acknowledged a version
 * has accepted it and everything before it, so "acknowledged" always means "this version or a later one".
 */

export interface TermsVersion extends TermsInput {
  id: string;
  status: 'draft' | 'published';
  seq: number | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

interface TermsRow {
  id: string;
  label: string;
  status: 'draft' | 'published';
  seq: number | null;
  effective_from: string;
  body_ja: string;
  body_en: string | null;
  summary_ja: string;
  summary_en: string | null;
  ack_required: boolean;
  ack_deadline: string | null;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
}

const COLUMNS = `id, label, status, seq, effective_from::text AS effective_from, body_ja, body_en, summary_ja, summary_en,
  ack_required, ack_deadline::text AS ack_deadline, created_at, updated_at, published_at`;

function toVersion(r: TermsRow): TermsVersion {
  return {
    id: r.id,
    label: r.label,
    status: r.status,
    seq: r.seq === null ? null : Number(r.seq),
    effectiveFrom: r.effective_from,
    bodyJa: r.body_ja,
    bodyEn: r.body_en,
    summaryJa: r.summary_ja,
    summaryEn: r.summary_en,
    ackRequired: r.ack_required,
    ackDeadline: r.ack_deadline,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    publishedAt: r.published_at === null ? null : new Date(r.published_at),
  };
}

const staffId = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

const isTermsLabel = (label: string) => TERMS_LABEL.test(label);

export async function listTermsVersions(q: Queryable): Promise<TermsVersion[]> {
  const rows = await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions ORDER BY seq DESC NULLS FIRST, created_at DESC LIMIT 500`);
  return rows.map(toVersion);
}

export async function listPublishedTerms(q: Queryable): Promise<TermsVersion[]> {
  const rows = await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions WHERE status = 'published' ORDER BY seq DESC LIMIT 500`);
  return rows.map(toVersion);
}

export async function findTermsByLabel(q: Queryable, label: string, opts: { publishedOnly: boolean }): Promise<TermsVersion | null> {
  if (!isTermsLabel(label)) return null;
  const [row] = await q.query<TermsRow>(
    `SELECT ${COLUMNS} FROM terms_versions WHERE label = $1 ${opts.publishedOnly ? `AND status = 'published'` : ''}`,
    [label],
  );
  return row ? toVersion(row) : null;
}

export async function getTermsByLabel(q: Queryable, label: string, opts: { publishedOnly: boolean }): Promise<TermsVersion> {
  const version = await findTermsByLabel(q, label, opts);
  if (!version) throw new KinkyuError('NOT_FOUND', { what: 'terms' });
  return version;
}

export async function findTermsById(q: Queryable, id: string): Promise<TermsVersion | null> {
  const [row] = await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions WHERE id = $1`, [id]);
  return row ? toVersion(row) : null;
}

/** The version published just before `version` (for a draft: the newest published one). */
export async function previousTerms(q: Queryable, version: TermsVersion): Promise<TermsVersion | null> {
  const [row] = version.seq === null
    ? await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions WHERE status = 'published' ORDER BY seq DESC LIMIT 1`)
    : await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions WHERE status = 'published' AND seq < $1 ORDER BY seq DESC LIMIT 1`, [version.seq]);
  return row ? toVersion(row) : null;
}

/**
 * The terms in force on `today` (the newest published version effective by then) and the next one already
 * published but not yet in force. Before any version is in force, the newest published one is shown.
 */
export async function currentTerms(q: Queryable, today: string): Promise<{ current: TermsVersion | null; upcoming: TermsVersion | null }> {
  const published = await q.query<TermsRow>(`SELECT ${COLUMNS} FROM terms_versions WHERE status = 'published' ORDER BY seq DESC LIMIT 50`);
  const versions = published.map(toVersion);
  const inForce = versions.find((v) => v.effectiveFrom <= today) ?? null;
  const upcoming = versions.find((v) => v.effectiveFrom > today && (!inForce || (v.seq ?? 0) > (inForce.seq ?? 0))) ?? null;
  return { current: inForce ?? upcoming, upcoming: inForce ? upcoming : null };
}

/** The newest published version that requires acknowledgement: the one the sign-in gate and reminders ask for. */
export async function requiredTerms(q: Queryable): Promise<TermsVersion | null> {
  const [row] = await q.query<TermsRow>(
    `SELECT ${COLUMNS} FROM terms_versions WHERE status = 'published' AND ack_required ORDER BY seq DESC LIMIT 1`,
  );
  return row ? toVersion(row) : null;
}

/** The required version this account still has to acknowledge, or null. One indexed query per request. */
export async function pendingTermsFor(q: Queryable, accountId: string): Promise<{ id: string; label: string } | null> {
  const [row] = await q.query<{ id: string; label: string }>(
    `SELECT r.id, r.label
       FROM (SELECT id, label, seq FROM terms_versions WHERE status = 'published' AND ack_required ORDER BY seq DESC LIMIT 1) r
      WHERE NOT EXISTS (SELECT 1 FROM terms_acknowledgements a JOIN terms_versions v ON v.id = a.version_id
                         WHERE a.account_id = $1 AND v.seq >= r.seq)`,
    [accountId],
    { name: 'terms_pending_for' },
  );
  return row ?? null;
}

export type AckVia = 'sign_in' | 'link';

/**
 * Records that the account accepted the version (idempotent: the first acknowledgement stands). Audited in
 * the same transaction. Returns false when it had already been acknowledged.
 */
export async function recordAcknowledgement(
  tx: Queryable,
  input: { accountId: string; versionId: string; label: string; via: AckVia; ip: string | null; now: Date },
): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO terms_acknowledgements (account_id, version_id, acknowledged_at, via, ip) VALUES ($1,$2,$3,$4,$5)
     ON CONFLICT (account_id, version_id) DO NOTHING RETURNING 1`,
    [input.accountId, input.versionId, input.now, input.via, input.ip],
  );
  if (rows.length === 0) return false;
  await appendAudit(tx, {
    actorType: 'user', actorId: input.accountId, ip: input.ip, action: 'terms.acknowledge',
    targetType: 'terms', targetId: input.label, data: { via: input.via, versionId: input.versionId },
  }, input.now);
  return true;
}

function audit(tx: Queryable, actor: Actor, action: string, label: string, data: Record<string, unknown>, at: Date) {
  return appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action, targetType: 'terms', targetId: label, data }, at);
}

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505';

export async function createTerms(db: Db, actor: Actor, input: TermsInput, opts: { publish: boolean; now: Date; today: string }): Promise<TermsVersion> {
  if (opts.publish) checkPublishable(input, opts.today);
  try {
    return await db.transaction((tx) => createTermsIn(tx, actor, input, opts));
  } catch (err) {
    if (isUniqueViolation(err)) throw new KinkyuError('CONFLICT', { field: 'label', rule: 'notices_label_taken' });
    throw err;
  }
}

/** `createTerms` inside the caller's transaction (the demo seeding holds a lock around several). */
export async function createTermsIn(tx: Queryable, actor: Actor, input: TermsInput, opts: { publish: boolean; now: Date }): Promise<TermsVersion> {
  const id = newId();
  await tx.query(
    `INSERT INTO terms_versions (id, label, status, effective_from, body_ja, body_en, summary_ja, summary_en, ack_required, ack_deadline,
                                 created_by, created_at, updated_at)
     VALUES ($1,$2,'draft',$3,$4,$5,$6,$7,$8,$9,$10,$11,$11)`,
    [id, input.label, input.effectiveFrom, input.bodyJa, input.bodyEn, input.summaryJa, input.summaryEn, input.ackRequired, input.ackDeadline, staffId(actor), opts.now],
  );
  await audit(tx, actor, 'terms.create', input.label, { effectiveFrom: input.effectiveFrom, ackRequired: input.ackRequired, ackDeadline: input.ackDeadline }, opts.now);
  return opts.publish ? publishIn(tx, actor, id, opts.now) : ((await findTermsById(tx, id)) as TermsVersion);
}

export async function updateTermsDraft(db: Db, actor: Actor, label: string, input: TermsInput, now: Date): Promise<TermsVersion> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string; status: string }>(`SELECT id, status FROM terms_versions WHERE label = $1 FOR UPDATE`, [label]);
      if (!row) throw new KinkyuError('NOT_FOUND', { what: 'terms' });
      if (row.status !== 'draft') throw new KinkyuError('CONFLICT', { rule: 'notices_terms_frozen' });
      await tx.query(
        `UPDATE terms_versions SET label = $2, effective_from = $3, body_ja = $4, body_en = $5, summary_ja = $6, summary_en = $7,
                ack_required = $8, ack_deadline = $9, updated_at = $10 WHERE id = $1`,
        [row.id, input.label, input.effectiveFrom, input.bodyJa, input.bodyEn, input.summaryJa, input.summaryEn, input.ackRequired, input.ackDeadline, now],
      );
      await audit(tx, actor, 'terms.edit', input.label, { previousLabel: label === input.label ? undefined : label }, now);
      return (await findTermsById(tx, row.id)) as TermsVersion;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new KinkyuError('CONFLICT', { field: 'label', rule: 'notices_label_taken' });
    throw err;
  }
}

/** A version about to be published: its acknowledgement deadline must not already be over. */
function checkPublishable(v: Pick<TermsInput, 'ackDeadline'>, today: string): void {
  if (v.ackDeadline !== null && v.ackDeadline < today) throw new KinkyuError('VALIDATION', { field: 'ackDeadline', rule: 'notices_deadline_past' });
}

async function publishIn(tx: Queryable, actor: Actor, id: string, now: Date): Promise<TermsVersion> {
  // The lock orders concurrent publications, so sequence numbers never collide.
  await tx.query(`LOCK TABLE terms_versions IN SHARE ROW EXCLUSIVE MODE`);
  const [row] = await tx.query<TermsRow>(
    `UPDATE terms_versions SET status = 'published', published_at = $2, updated_at = $2,
            seq = (SELECT COALESCE(max(seq), 0) + 1 FROM terms_versions)
      WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
    [id, now],
  );
  if (!row) throw new KinkyuError('CONFLICT', { rule: 'notices_terms_frozen' });
  const version = toVersion(row);
  await audit(tx, actor, 'terms.publish', version.label, { seq: version.seq, effectiveFrom: version.effectiveFrom, ackRequired: version.ackRequired, ackDeadline: version.ackDeadline }, now);
  return version;
}

export async function publishTerms(db: Db, actor: Actor, label: string, opts: { now: Date; today: string }): Promise<TermsVersion> {
  return db.transaction(async (tx) => {
    const version = await findTermsByLabel(tx, label, { publishedOnly: false });
    if (!version) throw new KinkyuError('NOT_FOUND', { what: 'terms' });
    if (version.status !== 'draft') throw new KinkyuError('CONFLICT', { rule: 'notices_terms_frozen' });
    checkPublishable(version, opts.today);
    return publishIn(tx, actor, version.id, opts.now);
  });
}
