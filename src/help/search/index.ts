/*
 * The help center's article search (issue 5 §4): Japanese and English, one in-memory index per language.
 * normalize.ts folds width, case, kana, kanji numerals, spelling variants and synonyms; tokenize.ts turns
 * Japanese into character bigrams plus words (reading and base form, japanese-analyzer.ts) and Latin into
 * stemmed words; lang-index.ts ranks with BM25F
 * (title > keywords > body) and keeps itself current on every upsert and remove; excerpt.ts quotes the
 * sentence that matched.
 */
import type { Lang } from '../../web/i18n.ts';
import { LangIndex, MAX_LIMIT } from './lang-index.ts';
import type { ArticleSearch, SearchDoc, SearchHit, SearchOptions } from './types.ts';

export type { ArticleSearch, SearchDoc, SearchHit, SearchOptions } from './types.ts';
export { MAX_QUERY_CHARS, MAX_QUERY_TERMS } from './lang-index.ts';

const DEFAULT_LIMIT = 5;

export function createArticleSearch(docs: readonly SearchDoc[] = []): ArticleSearch {
  const indexes: Record<Lang, LangIndex> = { ja: new LangIndex('ja'), en: new LangIndex('en') };
  for (const doc of docs) indexes[doc.lang].upsert(doc);
  return {
    search(query: string, options: SearchOptions): SearchHit[] {
      const index = indexes[options.lang];
      if (typeof query !== 'string' || !index) return [];
      const requested = Math.floor(options.limit ?? DEFAULT_LIMIT);
      const limit = Number.isFinite(requested) ? Math.min(Math.max(requested, 1), MAX_LIMIT) : DEFAULT_LIMIT;
      return index.search(query, limit);
    },
    upsert(doc: SearchDoc): void {
      indexes[doc.lang].upsert(doc);
    },
    remove(slug: string, lang: Lang): void {
      indexes[lang]?.remove(slug);
    },
    get size() {
      return indexes.ja.size + indexes.en.size;
    },
  };
}
