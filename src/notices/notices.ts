import type { Db, Queryable } from '../store/db.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { NoticeInput } from './validation.ts';

/**
 * Regulatory notices: what changes, from when, what users must do, by when. Draft → published → withdrawn.
 * A published notice can still be corrected: the text it replaces is kept as a revision, and the change is
 * audited, so what users were told at any time can be shown later.
 */

export type NoticeStatus = 'draft' | 'published' | 'withdrawn';

export interface Notice extends NoticeInput {
  id: string;
  status: NoticeStatus;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
  withdrawnAt: Date | null;
  withdrawnReason: string | null;
}

export interface NoticeRevision {
  revision: number;
  content: NoticeInput;
  replacedBy: string | null;
  replacedByName: string | null;
  replacedAt: Date;
}

interface NoticeRow {
  id: string;
  status: NoticeStatus;
  title_ja: string;
  title_en: string | null;
  changes_ja: string;
  changes_en: string | null;
  action_ja: string;
  action_en: string | null;
  effective_from: string;
  deadline: string | null;
  revision: number;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
  withdrawn_at: Date | null;
  withdrawn_reason: string | null;
}

// Dates as text: a DATE read back as a JavaScript Date would be midnight in the server's zone.
const COLUMNS = `id, status, title_ja, title_en, changes_ja, changes_en, action_ja, action_en,
  effective_from::text AS effective_from, deadline::text AS deadline, revision, created_at, updated_at,
  published_at, withdrawn_at, withdrawn_reason`;

const toDate = (d: Date | string | null) => (d === null ? null : new Date(d));

function toNotice(r: NoticeRow): Notice {
  return {
    id: r.id,
    status: r.status,
    titleJa: r.title_ja,
    titleEn: r.title_en,
    changesJa: r.changes_ja,
    changesEn: r.changes_en,
    actionJa: r.action_ja,
    actionEn: r.action_en,
    effectiveFrom: r.effective_from,
    deadline: r.deadline,
    revision: r.revision,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    publishedAt: toDate(r.published_at),
    withdrawnAt: toDate(r.withdrawn_at),
    withdrawnReason: r.withdrawn_reason,
  };
}

const contentOf = (n: NoticeInput): NoticeInput => ({
  titleJa: n.titleJa, titleEn: n.titleEn, changesJa: n.changesJa, changesEn: n.changesEn,
  actionJa: n.actionJa, actionEn: n.actionEn, effectiveFrom: n.effectiveFrom, deadline: n.deadline,
});

const staffId = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

function audit(tx: Queryable, actor: Actor, action: string, id: string, data: Record<string, unknown>, at: Date) {
  return appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action, targetType: 'notice', targetId: id, data }, at);
}

/** Published notices, newest first: what the public page, /notices and the feeds show. */
export async function listPublishedNotices(q: Queryable, limit = 50): Promise<Notice[]> {
  const rows = await q.query<NoticeRow>(
    `SELECT ${COLUMNS} FROM notices WHERE status = 'published' ORDER BY published_at DESC, id LIMIT $1`,
    [limit],
  );
  return rows.map(toNotice);
}

export async function listNotices(q: Queryable, limit = 200): Promise<Notice[]> {
  const rows = await q.query<NoticeRow>(`SELECT ${COLUMNS} FROM notices ORDER BY updated_at DESC, id LIMIT $1`, [limit]);
  return rows.map(toNotice);
}

export async function findNotice(q: Queryable, id: string): Promise<Notice | null> {
  if (!/^[0-9a-z]{1,40}$/.test(id)) return null;
  const [row] = await q.query<NoticeRow>(`SELECT ${COLUMNS} FROM notices WHERE id = $1`, [id]);
  return row ? toNotice(row) : null;
}

export async function getNotice(q: Queryable, id: string): Promise<Notice> {
  const notice = await findNotice(q, id);
  if (!notice) throw new KinkyuError('NOT_FOUND', { what: 'notice' });
  return notice;
}

export async function noticeRevisions(q: Queryable, id: string): Promise<NoticeRevision[]> {
  const rows = await q.query<{ revision: number; content: NoticeInput | string; replaced_by: string | null; name: string | null; replaced_at: Date }>(
    `SELECT r.revision, r.content, r.replaced_by, s.name, r.replaced_at FROM notice_revisions r LEFT JOIN staff s ON s.id = r.replaced_by
      WHERE r.notice_id = $1 ORDER BY r.revision DESC`,
    [id],
  );
  return rows.map((r) => ({
    revision: r.revision,
    content: typeof r.content === 'string' ? (JSON.parse(r.content) as NoticeInput) : r.content,
    replacedBy: r.replaced_by,
    replacedByName: r.name,
    replacedAt: new Date(r.replaced_at),
  }));
}

export async function createNotice(db: Db, actor: Actor, input: NoticeInput, opts: { publish: boolean; now: Date }): Promise<Notice> {
  return db.transaction((tx) => createNoticeIn(tx, actor, input, opts));
}

/** `createNotice` inside the caller's transaction (the demo seeding holds a lock around several). */
export async function createNoticeIn(tx: Queryable, actor: Actor, input: NoticeInput, opts: { publish: boolean; now: Date }): Promise<Notice> {
  const id = newId();
  const status: NoticeStatus = opts.publish ? 'published' : 'draft';
  const [row] = await tx.query<NoticeRow>(
    `INSERT INTO notices (id, status, title_ja, title_en, changes_ja, changes_en, action_ja, action_en, effective_from, deadline,
                          created_by, created_at, updated_at, published_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$13) RETURNING ${COLUMNS}`,
    [id, status, input.titleJa, input.titleEn, input.changesJa, input.changesEn, input.actionJa, input.actionEn,
      input.effectiveFrom, input.deadline, staffId(actor), opts.now, opts.publish ? opts.now : null],
  );
  await audit(tx, actor, opts.publish ? 'notice.publish' : 'notice.create', id, { title: input.titleJa, effectiveFrom: input.effectiveFrom, deadline: input.deadline }, opts.now);
  return toNotice(row!);
}

/** Edits a notice. A published one keeps the text it had as a revision. A withdrawn one is closed. */
export async function updateNotice(db: Db, actor: Actor, id: string, input: NoticeInput, now: Date): Promise<Notice> {
  return db.transaction(async (tx) => {
    const [current] = await tx.query<NoticeRow>(`SELECT ${COLUMNS} FROM notices WHERE id = $1 FOR UPDATE`, [id]);
    if (!current) throw new KinkyuError('NOT_FOUND', { what: 'notice' });
    const before = toNotice(current);
    if (before.status === 'withdrawn') throw new KinkyuError('CONFLICT', { rule: 'notices_withdrawn' });
    if (before.status === 'published') {
      await tx.query(
        `INSERT INTO notice_revisions (notice_id, revision, content, replaced_by, replaced_at) VALUES ($1,$2,$3,$4,$5)`,
        [id, before.revision, JSON.stringify(contentOf(before)), staffId(actor), now],
      );
    }
    const [row] = await tx.query<NoticeRow>(
      `UPDATE notices SET title_ja = $2, title_en = $3, changes_ja = $4, changes_en = $5, action_ja = $6, action_en = $7,
              effective_from = $8, deadline = $9, updated_at = $10, revision = revision + CASE WHEN status = 'published' THEN 1 ELSE 0 END
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, input.titleJa, input.titleEn, input.changesJa, input.changesEn, input.actionJa, input.actionEn, input.effectiveFrom, input.deadline, now],
    );
    const changed = (Object.keys(contentOf(input)) as (keyof NoticeInput)[]).filter((k) => before[k] !== input[k]);
    await audit(tx, actor, 'notice.edit', id, { status: before.status, revision: row!.revision, changed }, now);
    return toNotice(row!);
  });
}

export async function publishNotice(db: Db, actor: Actor, id: string, now: Date): Promise<Notice> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<NoticeRow>(
      `UPDATE notices SET status = 'published', published_at = $2, updated_at = $2 WHERE id = $1 AND status = 'draft' RETURNING ${COLUMNS}`,
      [id, now],
    );
    if (!row) {
      await getNotice(tx, id);
      throw new KinkyuError('CONFLICT', { rule: 'notices_not_draft' });
    }
    await audit(tx, actor, 'notice.publish', id, { title: row.title_ja }, now);
    return toNotice(row);
  });
}

export async function withdrawNotice(db: Db, actor: Actor, id: string, reason: string | null, now: Date): Promise<Notice> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<NoticeRow>(
      `UPDATE notices SET status = 'withdrawn', withdrawn_at = $2, withdrawn_reason = $3, updated_at = $2
        WHERE id = $1 AND status = 'published' RETURNING ${COLUMNS}`,
      [id, now, reason],
    );
    if (!row) {
      await getNotice(tx, id);
      throw new KinkyuError('CONFLICT', { rule: 'notices_not_published' });
    }
    await audit(tx, actor, 'notice.withdraw', id, { reason }, now);
    return toNotice(row);
  });
}
