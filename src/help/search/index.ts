/*
 * PLACEHOLDER until the real engine lands: a substring scan so other modules can be written against
 * `createArticleSearch`. To be replaced by the segmenting, normalising index (issue 5 §4).
 */
import type { ArticleSearch, SearchDoc, SearchHit, SearchOptions } from './types.ts';
import type { Lang } from '../../web/i18n.ts';

export type { ArticleSearch, SearchDoc, SearchHit, SearchOptions } from './types.ts';

export function createArticleSearch(docs: readonly SearchDoc[] = []): ArticleSearch {
  const byKey = new Map<string, SearchDoc>();
  const key = (slug: string, lang: Lang) => `${lang}:${slug}`;
  for (const d of docs) byKey.set(key(d.slug, d.lang), d);
  return {
    search(query: string, options: SearchOptions): SearchHit[] {
      const q = query.trim().toLowerCase();
      if (!q) return [];
      const hits: SearchHit[] = [];
      for (const d of byKey.values()) {
        if (d.lang !== options.lang) continue;
        const text = `${d.title} ${d.keywords.join(' ')} ${d.body}`.toLowerCase();
        if (text.includes(q)) hits.push({ slug: d.slug, lang: d.lang, title: d.title, score: 1, excerpt: d.body.slice(0, 120) });
      }
      return hits.slice(0, options.limit ?? 5);
    },
    upsert(doc) { byKey.set(key(doc.slug, doc.lang), doc); },
    remove(slug, lang) { byKey.delete(key(slug, lang)); },
    get size() { return byKey.size; },
  };
}
