import { appendAudit } from '../../audit/audit-log.ts';
import type { Db } from '../../store/db.ts';
import { newId } from '../../store/ids.ts';
import type { StarterArticle } from '../articles/starter-set.ts';
import type { ArticleCategory } from '../articles/categories.ts';
import { bumpState, findArticles, insertStarterArticle, insertVersion, latestVersions, setCurrent, setStarterCategory } from './repository.ts';
import { parseDraft, parseSlug } from './validation.ts';

/** Any constant: every process that starts takes it, so exactly one imports while the others wait. */
const KB_STARTER_LOCK = 7_305_013;

export interface StarterImportResult {
  /** Articles that did not exist and were created. */
  added: number;
  /** Language versions of never-edited starter articles whose text changed in the files (or newly appeared). */
  refreshed: number;
  /** Files refused by validation (logged, not imported). */
  skipped: string[];
  /** The state version after the import, when it changed anything. */
  stateVersion: number | null;
}

const sameKeywords = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

/**
 * Brings the starter set into the database. New slugs are added as published articles. An article no staff
 * member has touched (no edit, draft, republish or withdrawal) follows its files: a changed text becomes a
 * new version, so history is kept. An article staff changed is never touched again.
 * Safe to run from several processes at once (an advisory lock serialises them; the later one finds nothing to do).
 */
export async function importStarterSet(db: Db, starters: readonly StarterArticle[], now: Date): Promise<StarterImportResult> {
  const skipped: string[] = [];
  const bySlug = new Map<string, { category: ArticleCategory; versions: StarterArticle[] }>();
  for (const s of starters) {
    try {
      parseSlug(s.slug);
      const draft = parseDraft({ lang: s.lang, title: s.title, keywords: s.keywords, body: s.body, category: s.category });
      const entry = bySlug.get(s.slug) ?? { category: draft.category, versions: [] };
      // The Japanese file decides the category when the two languages disagree.
      if (s.lang === 'ja') entry.category = draft.category;
      entry.versions.push({ ...s, ...draft });
      bySlug.set(s.slug, entry);
    } catch {
      skipped.push(`${s.lang}/${s.slug}`);
    }
  }
  if (!bySlug.size) return { added: 0, refreshed: 0, skipped, stateVersion: null };

  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [KB_STARTER_LOCK]);
    // Locked: a staff edit under way commits first and is seen here (edited_by_staff, its version number),
    // and none can start on these articles until the import is done.
    const existing = new Map((await findArticles(tx, [...bySlug.keys()], { lock: true })).map((a) => [a.slug, a]));
    const followed = [...existing.values()].filter((a) => !a.editedByStaff && !a.withdrawnAt);
    const latest = new Map((await latestVersions(tx, followed.map((a) => a.id))).map((v) => [`${v.articleId}:${v.lang}`, v]));
    let added = 0;
    let refreshed = 0;
    let changed = false;
    for (const [slug, entry] of bySlug) {
      const article = existing.get(slug);
      if (article && (article.editedByStaff || article.withdrawnAt)) continue;
      const articleId = article?.id ?? newId();
      if (!article) {
        // Staff may create the same slug while we run: theirs wins.
        if (!(await insertStarterArticle(tx, { id: articleId, slug, category: entry.category, at: now }))) continue;
        added++;
      } else if (article.category !== entry.category) {
        await setStarterCategory(tx, articleId, entry.category, now);
      }
      for (const s of entry.versions) {
        const prev = latest.get(`${articleId}:${s.lang}`);
        if (prev && prev.title === s.title && prev.body === s.body && prev.category === entry.category && sameKeywords(prev.keywords, s.keywords)) continue;
        const v = await insertVersion(tx, {
          articleId, lang: s.lang, title: s.title, keywords: s.keywords, body: s.body, category: entry.category,
          state: 'published', authorStaffId: null, at: now,
        });
        await setCurrent(tx, articleId, s.lang, v.id, now);
        if (article) refreshed++;
        changed = true;
      }
    }
    if (!changed) return { added, refreshed, skipped, stateVersion: null };
    const stateVersion = await bumpState(tx, null);
    await appendAudit(tx, { actorType: 'system', actorId: null, action: 'kb.starter_import', targetType: 'kb', data: { added, refreshed, skipped } }, now);
    return { added, refreshed, skipped, stateVersion };
  });
}
