/**
 * "These articles may answer your question" above the contact form: a GET search (`/contact?q=…`, up to three
 * hits), the message the user already typed (the form's "search articles with my message" button sends the
 * whole form as a GET), and, when the form was opened for an emergency type (`?category=…`), that type's top
 * articles. An English reader with no English match gets Japanese articles, marked as such.
 */
import type { TicketType } from '../../domain/ticket.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { t, type Lang } from '../../web/i18n.ts';
import type { ArticleSearch } from '../search/types.ts';
import { articleList, articleQuery, japaneseFallbackNote, messageAsQuery, relatedArticles, searchForm } from './articles.ts';
import { relatedQueries } from './paths.ts';

const LIMIT = 3;

/** What to suggest for: `q` from the small search form, or `message` (the typed message, already length-capped). */
export interface SuggestionInput {
  q?: unknown;
  message?: string;
}

export function contactSuggestions(search: ArticleSearch | undefined, input: SuggestionInput, lang: Lang, category: TicketType | null): SafeHtml {
  if (!search) return html``;
  const fromMessage = input.message !== undefined;
  const q = articleQuery(search, fromMessage ? messageAsQuery(input.message ?? '') : input.q, lang, LIMIT);
  const hits = q.kind === 'query' ? q.hits : category ? relatedArticles(search, relatedQueries(category, {}, lang), lang, LIMIT) : [];
  return html`<section class="help-suggest" aria-labelledby="suggest-h">
<h2 id="suggest-h">${t(lang, 'help.suggest.title')}</h2>
${japaneseFallbackNote(lang, q)}${hits.length ? articleList(lang, hits) : q.kind === 'query' ? html`<p>${t(lang, 'help.search.none')}</p>` : ''}
${searchForm(lang, {
    action: '/contact',
    id: 'contact-q',
    label: t(lang, 'help.suggest.label'),
    // A message is no search phrase to edit: the box stays empty for the user's own words.
    value: q.kind === 'query' && !fromMessage ? q.text : '',
    invalid: q.kind === 'invalid',
    hidden: category ? { category } : {},
  })}
</section>`;
}
