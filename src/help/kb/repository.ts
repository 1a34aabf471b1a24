/** SQL for the knowledge base. Versions are only ever inserted; what is public is the `kb_current` pointer. */
import type { Queryable } from '../../store/db.ts';
import type { Lang } from '../../web/i18n.ts';
import type { ArticleCategory } from '../articles/categories.ts';

/** One published language version of an article, as the public pages and the search index see it. */
export interface PublishedArticle {
  articleId: string;
  slug: string;
  category: ArticleCategory;
  lang: Lang;
  versionId: number;
  version: number;
  title: string;
  keywords: string[];
  /** Markdown. */
  body: string;
  /** When this version became the public one. */
  publishedAt: Date;
}

export interface ArticleRow {
  id: string;
  slug: string;
  category: ArticleCategory;
  editedByStaff: boolean;
  withdrawnAt: Date | null;
}

export interface VersionRow {
  id: number;
  articleId: string;
  lang: Lang;
  version: number;
  title: string;
  keywords: string[];
  body: string;
  category: ArticleCategory;
  state: 'draft' | 'published';
  authorStaffId: string | null;
  authorName: string | null;
  restoredFrom: number | null;
  createdAt: Date;
  /** Whether this is the version the public sees now. */
  isCurrent: boolean;
}

/** What the staff list shows for one article. */
export interface StaffArticleSummary {
  slug: string;
  category: ArticleCategory;
  title: string;
  withdrawnAt: Date | null;
  updatedAt: Date;
  /** Published version number per language. */
  current: Partial<Record<Lang, number>>;
  /** Newest version number per language (newer than `current` when a draft waits). */
  latest: Partial<Record<Lang, number>>;
  feedbackTotal: number;
  feedbackHelpful: number;
}

const keywordsOf = (v: unknown): string[] => (Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : []);

interface PublishedRow {
  article_id: string;
  slug: string;
  category: ArticleCategory;
  lang: Lang;
  version_id: number;
  version: number;
  title: string;
  keywords: unknown;
  body: string;
  published_at: Date;
}

/** Every published version, or those of one article. */
export async function loadPublished(q: Queryable, articleId?: string): Promise<PublishedArticle[]> {
  const rows = await q.query<PublishedRow>(
    `SELECT a.id AS article_id, a.slug, a.category, c.lang, v.id AS version_id, v.version, v.title, v.keywords, v.body, c.published_at
       FROM kb_current c JOIN kb_versions v ON v.id = c.version_id JOIN kb_articles a ON a.id = c.article_id
      WHERE ($1::text IS NULL OR a.id = $1) ORDER BY a.slug, c.lang`,
    [articleId ?? null],
  );
  return rows.map((r) => ({
    articleId: r.article_id,
    slug: r.slug,
    category: r.category,
    lang: r.lang,
    versionId: Number(r.version_id),
    version: r.version,
    title: r.title,
    keywords: keywordsOf(r.keywords),
    body: r.body,
    publishedAt: new Date(r.published_at),
  }));
}

export async function stateVersion(q: Queryable): Promise<number> {
  const [row] = await q.query<{ version: number }>('SELECT version FROM kb_state WHERE id = 1', [], { name: 'kb_state_version' });
  return Number(row?.version ?? 0);
}

/**
 * Marks a change to what is public. The row lock orders concurrent changes, so the returned number tells the
 * caller whether anyone else changed something since it last loaded; the notification (sent at commit) tells
 * the other processes which article to reload (`*`: all of them).
 */
export async function bumpState(tx: Queryable, articleId: string | null): Promise<number> {
  const [row] = await tx.query<{ version: number }>('UPDATE kb_state SET version = version + 1 WHERE id = 1 RETURNING version');
  const version = Number(row?.version ?? 0);
  await tx.query(`SELECT pg_notify('kinkyu_kb', $1)`, [`${version}:${articleId ?? '*'}`]);
  return version;
}

interface ArticleDbRow {
  id: string;
  slug: string;
  category: ArticleCategory;
  edited_by_staff: boolean;
  withdrawn_at: Date | null;
}
const toArticle = (r: ArticleDbRow): ArticleRow => ({
  id: r.id,
  slug: r.slug,
  category: r.category,
  editedByStaff: r.edited_by_staff,
  withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at) : null,
});

export async function findArticle(q: Queryable, slug: string, opts: { lock?: boolean } = {}): Promise<ArticleRow | null> {
  const [row] = await q.query<ArticleDbRow>(
    `SELECT id, slug, category, edited_by_staff, withdrawn_at FROM kb_articles WHERE slug = $1${opts.lock ? ' FOR UPDATE' : ''}`,
    [slug],
  );
  return row ? toArticle(row) : null;
}

/**
 * Articles by slug. With `lock`, the rows are locked (in id order) until the transaction ends; a staff change
 * under way finishes first, and what is returned is the row as that change left it.
 */
export async function findArticles(q: Queryable, slugs: readonly string[], opts: { lock?: boolean } = {}): Promise<ArticleRow[]> {
  if (!slugs.length) return [];
  const rows = await q.query<ArticleDbRow>(
    `SELECT id, slug, category, edited_by_staff, withdrawn_at FROM kb_articles WHERE slug = ANY($1)${opts.lock ? ' ORDER BY id FOR UPDATE' : ''}`,
    [slugs],
  );
  return rows.map(toArticle);
}

export async function insertArticle(
  tx: Queryable,
  a: { id: string; slug: string; category: ArticleCategory; editedByStaff: boolean; at: Date },
): Promise<void> {
  await tx.query(
    'INSERT INTO kb_articles (id, slug, category, edited_by_staff, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)',
    [a.id, a.slug, a.category, a.editedByStaff, a.at],
  );
}

/** A starter article, unless someone created the slug meanwhile: false then (the import leaves it alone). */
export async function insertStarterArticle(tx: Queryable, a: { id: string; slug: string; category: ArticleCategory; at: Date }): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO kb_articles (id, slug, category, edited_by_staff, created_at, updated_at) VALUES ($1, $2, $3, false, $4, $4)
     ON CONFLICT (slug) DO NOTHING RETURNING id`,
    [a.id, a.slug, a.category, a.at],
  );
  return rows.length > 0;
}

/** Records a staff change: from now on the starter import leaves this article alone. */
export async function touchArticle(
  tx: Queryable,
  articleId: string,
  change: { at: Date; category?: ArticleCategory; withdrawn?: boolean },
): Promise<void> {
  await tx.query(
    `UPDATE kb_articles SET edited_by_staff = true, updated_at = $2,
       category = COALESCE($3, category),
       withdrawn_at = CASE WHEN $4::boolean IS NULL THEN withdrawn_at WHEN $4 THEN $2 ELSE NULL END
     WHERE id = $1`,
    [articleId, change.at, change.category ?? null, change.withdrawn ?? null],
  );
}

export async function setStarterCategory(tx: Queryable, articleId: string, category: ArticleCategory, at: Date): Promise<void> {
  await tx.query('UPDATE kb_articles SET category = $2, updated_at = $3 WHERE id = $1', [articleId, category, at]);
}

export interface NewVersion {
  articleId: string;
  lang: Lang;
  title: string;
  keywords: readonly string[];
  body: string;
  category: ArticleCategory;
  state: 'draft' | 'published';
  authorStaffId: string | null;
  restoredFrom?: number | null;
  at: Date;
}

/** Inserts the next version of (article, lang); the caller holds the article's row lock. */
export async function insertVersion(tx: Queryable, v: NewVersion): Promise<{ id: number; version: number }> {
  const [row] = await tx.query<{ id: number; version: number }>(
    `INSERT INTO kb_versions (article_id, lang, version, title, keywords, body, category, state, author_staff_id, restored_from, created_at)
     SELECT $1, $2, COALESCE(max(version), 0) + 1, $3, $4::jsonb, $5, $6, $7, $8, $9, $10 FROM kb_versions WHERE article_id = $1 AND lang = $2
     RETURNING id, version`,
    [v.articleId, v.lang, v.title, JSON.stringify(v.keywords), v.body, v.category, v.state, v.authorStaffId, v.restoredFrom ?? null, v.at],
  );
  if (!row) throw new Error('version insert returned nothing');
  return { id: Number(row.id), version: row.version };
}

export async function setCurrent(tx: Queryable, articleId: string, lang: Lang, versionId: number, at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO kb_current (article_id, lang, version_id, published_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (article_id, lang) DO UPDATE SET version_id = EXCLUDED.version_id, published_at = EXCLUDED.published_at`,
    [articleId, lang, versionId, at],
  );
}

/** Takes the article off the public pages; returns how many language versions were public. */
export async function clearCurrent(tx: Queryable, articleId: string): Promise<number> {
  const rows = await tx.query('DELETE FROM kb_current WHERE article_id = $1 RETURNING lang', [articleId]);
  return rows.length;
}

interface VersionDbRow {
  id: number;
  article_id: string;
  lang: Lang;
  version: number;
  title: string;
  keywords: unknown;
  body: string;
  category: ArticleCategory;
  state: 'draft' | 'published';
  author_staff_id: string | null;
  author_name: string | null;
  restored_from: number | null;
  created_at: Date;
  is_current: boolean;
}
const toVersion = (r: VersionDbRow): VersionRow => ({
  id: Number(r.id),
  articleId: r.article_id,
  lang: r.lang,
  version: r.version,
  title: r.title,
  keywords: keywordsOf(r.keywords),
  body: r.body,
  category: r.category,
  state: r.state,
  authorStaffId: r.author_staff_id,
  authorName: r.author_name,
  restoredFrom: r.restored_from,
  createdAt: new Date(r.created_at),
  isCurrent: r.is_current,
});

const VERSION_SELECT = `SELECT v.id, v.article_id, v.lang, v.version, v.title, v.keywords, v.body, v.category, v.state,
    v.author_staff_id, s.name AS author_name, v.restored_from, v.created_at,
    EXISTS (SELECT 1 FROM kb_current c WHERE c.version_id = v.id) AS is_current
  FROM kb_versions v LEFT JOIN staff s ON s.id = v.author_staff_id`;

/** Every version of an article, newest first. */
export async function listVersions(q: Queryable, articleId: string): Promise<VersionRow[]> {
  const rows = await q.query<VersionDbRow>(`${VERSION_SELECT} WHERE v.article_id = $1 ORDER BY v.lang, v.version DESC`, [articleId]);
  return rows.map(toVersion);
}

export async function findVersion(q: Queryable, articleId: string, lang: Lang, version: number): Promise<VersionRow | null> {
  const [row] = await q.query<VersionDbRow>(`${VERSION_SELECT} WHERE v.article_id = $1 AND v.lang = $2 AND v.version = $3`, [articleId, lang, version]);
  return row ? toVersion(row) : null;
}

/** The published version number per language of one article. */
export async function currentVersions(q: Queryable, articleId: string): Promise<Partial<Record<Lang, number>>> {
  const rows = await q.query<{ lang: Lang; version: number }>(
    'SELECT c.lang, v.version FROM kb_current c JOIN kb_versions v ON v.id = c.version_id WHERE c.article_id = $1',
    [articleId],
  );
  return Object.fromEntries(rows.map((r) => [r.lang, r.version]));
}

/** The newest version per language (a draft if one is newer than the published version). */
export async function latestVersions(q: Queryable, articleIds: readonly string[]): Promise<VersionRow[]> {
  if (!articleIds.length) return [];
  const rows = await q.query<VersionDbRow>(
    `${VERSION_SELECT.replace('SELECT ', 'SELECT DISTINCT ON (v.article_id, v.lang) ')} WHERE v.article_id = ANY($1) ORDER BY v.article_id, v.lang, v.version DESC`,
    [articleIds],
  );
  return rows.map(toVersion);
}

interface SummaryDbRow {
  slug: string;
  category: ArticleCategory;
  title: string | null;
  withdrawn_at: Date | null;
  updated_at: Date;
  current: Record<string, number> | null;
  latest: Record<string, number> | null;
  feedback_total: number;
  feedback_helpful: number;
}

export async function listForStaff(q: Queryable): Promise<StaffArticleSummary[]> {
  const rows = await q.query<SummaryDbRow>(
    `SELECT a.slug, a.category, a.withdrawn_at, a.updated_at,
       (SELECT v.title FROM kb_versions v WHERE v.article_id = a.id ORDER BY (v.lang = 'ja') DESC, v.version DESC LIMIT 1) AS title,
       (SELECT jsonb_object_agg(c.lang, v.version) FROM kb_current c JOIN kb_versions v ON v.id = c.version_id WHERE c.article_id = a.id) AS current,
       (SELECT jsonb_object_agg(x.lang, x.latest) FROM (SELECT lang, max(version) AS latest FROM kb_versions WHERE article_id = a.id GROUP BY lang) x) AS latest,
       f.total AS feedback_total, f.helpful AS feedback_helpful
     FROM kb_articles a
     LEFT JOIN LATERAL (SELECT count(*) AS total, count(*) FILTER (WHERE helpful) AS helpful FROM kb_feedback WHERE article_id = a.id) f ON true
     ORDER BY a.slug`,
  );
  return rows.map((r) => ({
    slug: r.slug,
    category: r.category,
    title: r.title ?? r.slug,
    withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at) : null,
    updatedAt: new Date(r.updated_at),
    current: (r.current ?? {}) as Partial<Record<Lang, number>>,
    latest: (r.latest ?? {}) as Partial<Record<Lang, number>>,
    feedbackTotal: Number(r.feedback_total ?? 0),
    feedbackHelpful: Number(r.feedback_helpful ?? 0),
  }));
}

/** Feedback per version of one article: {lang, version, total, helpful}. */
export async function feedbackByVersion(q: Queryable, articleId: string): Promise<{ lang: Lang; version: number; total: number; helpful: number }[]> {
  const rows = await q.query<{ lang: Lang; version: number; total: number; helpful: number }>(
    `SELECT lang, version, count(*) AS total, count(*) FILTER (WHERE helpful) AS helpful FROM kb_feedback WHERE article_id = $1 GROUP BY lang, version`,
    [articleId],
  );
  return rows.map((r) => ({ lang: r.lang, version: r.version, total: Number(r.total), helpful: Number(r.helpful) }));
}

export async function recentComments(q: Queryable, articleId: string, limit = 20): Promise<{ lang: Lang; version: number; helpful: boolean; comment: string; createdAt: Date }[]> {
  const rows = await q.query<{ lang: Lang; version: number; helpful: boolean; comment: string; created_at: Date }>(
    `SELECT lang, version, helpful, comment, created_at FROM kb_feedback WHERE article_id = $1 AND comment IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT $2`,
    [articleId, limit],
  );
  return rows.map((r) => ({ lang: r.lang, version: r.version, helpful: r.helpful, comment: r.comment, createdAt: new Date(r.created_at) }));
}

/**
 * Marks a feedback token used; false when it already was (the answer is then not stored again). Tokens past
 * their lifetime are forgotten here too: an expired token is refused before it gets this far.
 */
export async function useFeedbackToken(tx: Queryable, tokenHash: string, at: Date, forgetBefore: Date): Promise<boolean> {
  await tx.query('DELETE FROM kb_feedback_tokens WHERE used_at < $1', [forgetBefore]);
  const rows = await tx.query('INSERT INTO kb_feedback_tokens (token_hash, used_at) VALUES ($1, $2) ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash', [tokenHash, at]);
  return rows.length > 0;
}

export async function insertFeedback(
  tx: Queryable,
  f: { articleId: string; lang: Lang; version: number; helpful: boolean; comment: string | null; at: Date },
): Promise<void> {
  await tx.query(
    'INSERT INTO kb_feedback (article_id, lang, version, helpful, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [f.articleId, f.lang, f.version, f.helpful, f.comment, f.at],
  );
}
