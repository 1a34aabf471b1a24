/**
 * Help articles next to the guide and the contact form: related articles for a path, and a user's own search.
 * The search itself is the knowledge base's (ArticleSearch); this only cleans the query and renders hits.
 */
import { isKinkyuError } from '../../domain/errors.ts';
import { cleanText } from '../../domain/text.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { t, type Lang } from '../../web/i18n.ts';
import type { ArticleSearch, SearchHit } from '../search/types.ts';
import { langQuery } from '../../web/links.ts';

export const QUERY_MAX = 200;

/** A search for the page to show: the cleaned query, or a refusal the page explains. */
export type ArticleQuery = { kind: 'none' } | { kind: 'invalid' } | { kind: 'query'; text: string; hits: SearchHit[]; japaneseFallback: boolean };

/**
 * The reader's language first; an English reader with no English match gets the Japanese results instead
 * (most articles are written in Japanese first), and the page says so. Shared by every article search.
 */
export function withJapaneseFallback<T>(lang: Lang, find: (searchLang: Lang) => T[]): { results: T[]; japaneseFallback: boolean } {
  const results = find(lang);
  if (results.length || lang !== 'en') return { results, japaneseFallback: false };
  const japanese = find('ja');
  return { results: japanese, japaneseFallback: japanese.length > 0 };
}

function safeSearch(search: ArticleSearch, query: string, lang: Lang, limit: number): SearchHit[] {
  try {
    return search.search(query, { lang, limit });
  } catch {
    // A failing index must not take the emergency pages down with it: they work without articles.
    return [];
  }
}

/** Up to `limit` articles for several single-word searches, taking each search's best hits in turn. */
export function relatedArticles(search: ArticleSearch | undefined, queries: readonly string[], lang: Lang, limit = 3): SearchHit[] {
  if (!search) return [];
  const lists = queries.map((q) => safeSearch(search, q, lang, limit));
  const out: SearchHit[] = [];
  const seen = new Set<string>();
  for (let rank = 0; out.length < limit && lists.some((l) => l.length > rank); rank++) {
    for (const list of lists) {
      const hit = list[rank];
      if (!hit || seen.has(hit.slug)) continue;
      seen.add(hit.slug);
      out.push(hit);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** `?q=` as the user sent it: absent, refused (not one string, bad encoding, too long), or searched. */
export function articleQuery(search: ArticleSearch | undefined, raw: unknown, lang: Lang, limit = 3): ArticleQuery {
  if (raw === undefined || raw === '') return { kind: 'none' };
  let text: string | null;
  try {
    text = cleanText(raw, 'q', { max: QUERY_MAX });
  } catch (err) {
    if (isKinkyuError(err)) return { kind: 'invalid' };
    throw err;
  }
  if (text === null) return { kind: 'none' };
  if (!search) return { kind: 'query', text, hits: [], japaneseFallback: false };
  const { results, japaneseFallback } = withJapaneseFallback(lang, (searchLang) => safeSearch(search, text, searchLang, limit));
  return { kind: 'query', text, hits: results, japaneseFallback };
}

/** The start of a message typed into the contact form, as a search: whitespace folded, cut to the query limit. */
export function messageAsQuery(message: string): string {
  const text = (message.isWellFormed() ? message : message.toWellFormed()).replace(/\uFFFD/g, '').normalize('NFC').replace(/\s+/g, ' ').trim();
  return Array.from(text).slice(0, QUERY_MAX).join('');
}

export function articleHref(lang: Lang, slug: string): string {
  return `/help/articles/${encodeURIComponent(slug)}${langQuery(lang)}`;
}

const EXCERPT_MAX = 90;

/** A phone screen has room for a line or two under each title. */
function shorten(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length > EXCERPT_MAX ? `${chars.slice(0, EXCERPT_MAX).join('')}…` : chars.join('');
}

export function articleList(lang: Lang, hits: readonly SearchHit[]): SafeHtml {
  if (!hits.length) return html``;
  return html`<ul class="help-articles">${hits.map(
    (h) => {
      const other = h.lang !== lang;
      return html`<li><a href="${articleHref(lang, h.slug)}"${other ? html` lang="${h.lang}"` : ''}>${h.title}</a>${other ? html` <span class="meta">(${t(lang, 'kb.inJapanese')})</span>` : ''}${h.excerpt ? html`<p class="hint"${other ? html` lang="${h.lang}"` : ''}>${shorten(h.excerpt)}</p>` : ''}</li>`;
    },
  )}</ul>`;
}

/** Said above Japanese results shown to an English reader. */
export function japaneseFallbackNote(lang: Lang, q: ArticleQuery): SafeHtml {
  return q.kind === 'query' && q.japaneseFallback ? html`<p class="notice" role="note">${t(lang, 'kb.search.japaneseOnly')}</p>` : html``;
}

/** A small GET search form; `hidden` fields keep the page's other choices (e.g. the contact category). */
export function searchForm(
  lang: Lang,
  opts: { action: string; id: string; label: string; value?: string; hidden?: Record<string, string>; invalid?: boolean },
): SafeHtml {
  const hidden = Object.entries(opts.hidden ?? {});
  return html`<form method="get" action="${opts.action}" class="help-search" role="search">
<label for="${opts.id}">${opts.label}</label>
${opts.invalid ? html`<p class="error-box" role="alert" id="${opts.id}-error">${t(lang, 'help.search.invalid')}</p>` : ''}
<div class="help-search-row"><input type="search" id="${opts.id}" name="q" maxlength="${QUERY_MAX}" value="${opts.value ?? ''}"${opts.invalid ? html` aria-invalid="true" aria-describedby="${opts.id}-error"` : ''}>
${hidden.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
${lang === 'en' ? html`<input type="hidden" name="lang" value="en">` : ''}
<button type="submit">${t(lang, 'help.search.submit')}</button></div>
</form>`;
}

/** The results of a user's search: hits, "nothing found", or nothing when there was no query. */
export function searchResults(lang: Lang, q: ArticleQuery, headingId: string): SafeHtml {
  if (q.kind !== 'query') return html``;
  return html`<section class="help-results" aria-labelledby="${headingId}"><h3 id="${headingId}">${t(lang, 'help.search.results', { q: q.text })}</h3>
${japaneseFallbackNote(lang, q)}${q.hits.length ? articleList(lang, q.hits) : html`<p>${t(lang, 'help.search.none')}</p>`}</section>`;
}
