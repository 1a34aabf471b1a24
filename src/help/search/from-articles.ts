import { markdownToPlainText } from '../articles/plain-text.ts';
import { loadStarterArticles, type StarterArticle } from '../articles/starter-set.ts';
import { createArticleSearch } from './index.ts';
import type { ArticleSearch, SearchDoc } from './types.ts';

/** An article as the search index sees it: the Markdown body as plain text. */
export function articleToSearchDoc(article: Pick<StarterArticle, 'slug' | 'lang' | 'title' | 'keywords' | 'category' | 'body'>): SearchDoc {
  return {
    slug: article.slug,
    lang: article.lang,
    title: article.title,
    keywords: article.keywords,
    category: article.category,
    body: markdownToPlainText(article.body),
  };
}

/** A search over the starter articles in content/help/articles (or `dir`). */
export function starterArticleSearch(dir?: string): ArticleSearch {
  return createArticleSearch(loadStarterArticles(dir).map(articleToSearchDoc));
}
