import type { Lang } from '../../web/i18n.ts';

/** One article as the search index sees it (one language version). */
export interface SearchDoc {
  /** The article's slug, e.g. "withdrawal-pending"; hits name it. */
  slug: string;
  lang: Lang;
  title: string;
  /** Extra words a user may type that the text does not contain ("出金できない", "2FA"). */
  keywords: readonly string[];
  category: string;
  /** The article body as plain text (Markdown stripped). */
  body: string;
}

export interface SearchHit {
  slug: string;
  lang: Lang;
  title: string;
  score: number;
  /** A short plain-text excerpt around the best match (never HTML). */
  excerpt: string;
}

export interface SearchOptions {
  lang: Lang;
  /** At most this many hits (default 5). */
  limit?: number;
}

/**
 * The help center's search. Implementations keep the index in memory; the knowledge base calls `upsert` and
 * `remove` when staff publish or withdraw an article version, so results follow edits at once.
 */
export interface ArticleSearch {
  search(query: string, options: SearchOptions): SearchHit[];
  upsert(doc: SearchDoc): void;
  remove(slug: string, lang: Lang): void;
  readonly size: number;
}
