/**
 * "These articles may answer your question" above the contact form: a GET search (`/contact?q=…`, up to three
 * hits) and, when the form was opened for an emergency type (`?category=…`), that type's top articles.
 */
import type { TicketType } from '../../domain/ticket.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { t, type Lang } from '../../web/i18n.ts';
import type { ArticleSearch } from '../search/types.ts';
import { articleList, articleQuery, relatedArticles, searchForm } from './articles.ts';
import { relatedQueries } from './paths.ts';

const LIMIT = 3;

export function contactSuggestions(search: ArticleSearch | undefined, rawQuery: unknown, lang: Lang, category: TicketType | null): SafeHtml {
  if (!search) return html``;
  const q = articleQuery(search, rawQuery, lang, LIMIT);
  const hits = q.kind === 'query' ? q.hits : category ? relatedArticles(search, relatedQueries(category, {}, lang), lang, LIMIT) : [];
  return html`<section class="help-suggest" aria-labelledby="suggest-h">
<h2 id="suggest-h">${t(lang, 'help.suggest.title')}</h2>
${hits.length ? articleList(lang, hits) : q.kind === 'query' ? html`<p>${t(lang, 'help.search.none')}</p>` : ''}
${searchForm(lang, {
    action: '/contact',
    id: 'contact-q',
    label: t(lang, 'help.suggest.label'),
    value: q.kind === 'query' ? q.text : '',
    invalid: q.kind === 'invalid',
    hidden: category ? { category } : {},
  })}
</section>`;
}
