/** Public knowledge-base pages: the article index, one article with "did this help?", and search. No scripts. */
import type { ArticleCategory } from '../articles/categories.ts';
import { langHref } from '../../web/links.ts';
import type { ArticleSummary, ArticleView } from './knowledge-base.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { formatDateTime, t, type Lang } from '../../web/i18n.ts';
import { layout } from '../../web/layout.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { liveBanner } from '../guide/live.ts';

export interface KbPageContext {
  lang: Lang;
  exchangeName: string;
  timeZone: string;
  /** The status page's snapshot, for the live incident banner (null before it is first loaded). */
  snapshot: PageSnapshot | null;
}

export const articleHref = (lang: Lang, slug: string) => langHref(lang, `/help/articles/${slug}`);
const categoryName = (lang: Lang, category: ArticleCategory) => t(lang, `kb.category.${category}`);

function page(c: KbPageContext, title: string, path: string, body: SafeHtml, robots?: 'noindex'): string {
  const header = html`<p class="site-name"><a href="${langHref(c.lang, '/')}">${c.exchangeName}</a></p>`;
  // The live banner comes first, as on every help page: during an incident it matters more than any article.
  const content = html`${liveBanner(c.lang, c.timeZone, c.snapshot)}${body}`;
  return layout({ lang: c.lang, title: `${title} · ${t(c.lang, 'kb.helpCenter')}`, path, header, body: content, ...(robots ? { robots } : {}) }).value;
}

function breadcrumb(c: KbPageContext, trail: { href?: string; label: string }[]): SafeHtml {
  return html`<nav aria-label="${t(c.lang, 'kb.breadcrumb')}" class="kb-breadcrumb"><ol>
<li><a href="${langHref(c.lang, '/help')}">${t(c.lang, 'kb.helpCenter')}</a></li>
${trail.map((step) => (step.href ? html`<li><a href="${step.href}">${step.label}</a></li>` : html`<li aria-current="page">${step.label}</li>`))}
</ol></nav>`;
}

/** The search box every knowledge-base page carries: a plain GET form. */
export function searchForm(c: KbPageContext, query = '', id = 'kb-q'): SafeHtml {
  return html`<form method="get" action="/help/search" class="kb-search" role="search">
<label for="${id}">${t(c.lang, 'kb.search.label')}</label>
<div class="kb-search-row"><input type="search" id="${id}" name="q" value="${query}" maxlength="200" autocomplete="off" enterkeyhint="search">
${c.lang === 'en' ? html`<input type="hidden" name="lang" value="en">` : ''}
<button type="submit">${t(c.lang, 'kb.search.submit')}</button></div>
</form>`;
}

function summaryItem(c: KbPageContext, a: ArticleSummary): SafeHtml {
  return html`<li><a href="${articleHref(c.lang, a.slug)}"${a.fallback ? html` lang="${a.lang}"` : ''}>${a.title}</a>${a.fallback ? html` <span class="meta">(${t(c.lang, a.lang === 'ja' ? 'kb.inJapanese' : 'kb.inEnglish')})</span>` : ''}
${a.excerpt ? html`<p class="meta"${a.fallback ? html` lang="${a.lang}"` : ''}>${a.excerpt}</p>` : ''}</li>`;
}

function stillNeedHelp(c: KbPageContext): SafeHtml {
  return html`<section class="kb-more" aria-labelledby="kb-more-h"><h2 id="kb-more-h">${t(c.lang, 'kb.moreHelp.title')}</h2>
<ul>
<li><a href="${langHref(c.lang, '/help')}">${t(c.lang, 'kb.moreHelp.guide')}</a></li>
<li><a href="${langHref(c.lang, '/contact')}">${t(c.lang, 'kb.moreHelp.contact')}</a></li>
<li><a href="${langHref(c.lang, '/')}">${t(c.lang, 'kb.moreHelp.status')}</a></li>
</ul></section>`;
}

export function articleIndexPage(c: KbPageContext, categories: { category: ArticleCategory; articles: ArticleSummary[] }[]): string {
  const body = html`${breadcrumb(c, [{ label: t(c.lang, 'kb.articles.title') }])}
<h1>${t(c.lang, 'kb.articles.title')}</h1>
<p>${t(c.lang, 'kb.articles.intro')}</p>
${searchForm(c)}
${categories.length
    ? html`<nav aria-label="${t(c.lang, 'kb.articles.categories')}"><ul class="kb-categories">${categories.map(
        (g) => html`<li><a href="#cat-${g.category}">${categoryName(c.lang, g.category)}</a> <span class="meta">(${g.articles.length})</span></li>`,
      )}</ul></nav>
${categories.map((g) => html`<section aria-labelledby="cat-${g.category}"><h2 id="cat-${g.category}">${categoryName(c.lang, g.category)}</h2>
<ul class="kb-list">${g.articles.map((a) => summaryItem(c, a))}</ul></section>`)}`
    : html`<p>${t(c.lang, 'kb.articles.none')}</p>`}
${stillNeedHelp(c)}`;
  return page(c, t(c.lang, 'kb.articles.title'), '/help/articles', body);
}

export interface ArticlePageState {
  /** After "did this help?": the answer given, to thank the reader in place of the form. */
  thanked?: 'yes' | 'no' | null;
  error?: string | null;
  comment?: string;
  /** The signed token of this page view that the "did this help?" form sends back. */
  feedbackToken?: string;
}

export function articlePage(c: KbPageContext, view: ArticleView, state: ArticlePageState = {}): string {
  const a = view.article;
  const contentLang = a.lang;
  const feedback = state.thanked
    ? html`<div class="flash" role="status" id="kb-feedback"><p>${t(c.lang, 'kb.feedback.thanks')}</p>
${state.thanked === 'no' ? html`<p>${t(c.lang, 'kb.feedback.sorry')} <a href="${langHref(c.lang, '/contact')}">${t(c.lang, 'kb.moreHelp.contact')}</a></p>` : ''}</div>`
    : html`<form method="post" action="/help/articles/${a.slug}/feedback" class="stack kb-feedback" id="kb-feedback" accept-charset="utf-8">
<fieldset><legend>${t(c.lang, 'kb.feedback.question')}</legend>
${state.error ? html`<p class="error-box" role="alert" id="kb-feedback-error">${state.error}</p>` : ''}
<input type="hidden" name="token" value="${state.feedbackToken ?? ''}">
<input type="hidden" name="ui" value="${c.lang}">
<div><label for="kb-comment">${t(c.lang, 'kb.feedback.comment')}</label>
<p class="hint" id="kb-comment-hint">${t(c.lang, 'kb.feedback.commentHint')}</p>
<textarea id="kb-comment" name="comment" maxlength="1000" rows="3" aria-describedby="kb-comment-hint${state.error ? ' kb-feedback-error' : ''}"${state.error ? html` aria-invalid="true"` : ''}>${state.comment ?? ''}</textarea></div>
<div class="kb-feedback-buttons"><button type="submit" name="helpful" value="yes">${t(c.lang, 'kb.feedback.yes')}</button>
<button type="submit" name="helpful" value="no" class="secondary">${t(c.lang, 'kb.feedback.no')}</button></div>
</fieldset></form>`;
  const body = html`${breadcrumb(c, [
    { href: langHref(c.lang, '/help/articles'), label: t(c.lang, 'kb.articles.title') },
    { href: `${langHref(c.lang, '/help/articles')}#cat-${a.category}`, label: categoryName(c.lang, a.category) },
    { label: a.title },
  ])}
${view.fallback ? html`<p class="notice" role="note">${t(c.lang, contentLang === 'ja' ? 'kb.article.fallback' : 'kb.article.fallbackEn')}</p>` : ''}
<article${view.fallback ? html` lang="${contentLang}"` : ''} class="kb-article">
<h1>${a.title}</h1>
<p class="meta">${t(c.lang, 'kb.article.updated', { time: formatDateTime(c.lang, a.publishedAt, c.timeZone) })}</p>
<div class="kb-body">${view.html}</div>
</article>
<section aria-labelledby="kb-feedback-h" class="kb-feedback-section"><h2 id="kb-feedback-h">${t(c.lang, 'kb.feedback.title')}</h2>
${feedback}</section>
${view.related.length
    ? html`<section aria-labelledby="kb-related-h"><h2 id="kb-related-h">${t(c.lang, 'kb.article.related', { category: categoryName(c.lang, a.category) })}</h2>
<ul class="kb-list">${view.related.slice(0, 8).map((r) => summaryItem(c, r))}</ul></section>`
    : ''}
${searchForm(c, '', 'kb-q-article')}
${stillNeedHelp(c)}`;
  return page(c, a.title, `/help/articles/${a.slug}`, body);
}

export function articleNotFoundPage(c: KbPageContext): string {
  const body = html`${breadcrumb(c, [{ href: langHref(c.lang, '/help/articles'), label: t(c.lang, 'kb.articles.title') }, { label: t(c.lang, 'kb.article.notFoundTitle') }])}
<h1>${t(c.lang, 'kb.article.notFoundTitle')}</h1>
<p>${t(c.lang, 'kb.article.notFound')}</p>
${searchForm(c)}
<p><a href="${langHref(c.lang, '/help/articles')}">${t(c.lang, 'kb.articles.all')}</a></p>
${stillNeedHelp(c)}`;
  return page(c, t(c.lang, 'kb.article.notFoundTitle'), '/help/articles', body, 'noindex');
}

export interface SearchResult extends ArticleSummary {
  /** The index's excerpt around the match (plain text). */
  matchExcerpt: string;
}

export interface SearchPageData {
  query: string;
  results: SearchResult[];
  /** The results are Japanese articles found for an English reader who had no English match. */
  japaneseFallback: boolean;
  error?: string | null;
}

export function searchPage(c: KbPageContext, data: SearchPageData): string {
  const q = data.query;
  let results: SafeHtml;
  if (data.error) {
    results = html`<p class="error-box" role="alert">${data.error}</p>`;
  } else if (!q) {
    results = html`<p>${t(c.lang, 'kb.search.empty')} <a href="${langHref(c.lang, '/help/articles')}">${t(c.lang, 'kb.articles.all')}</a></p>`;
  } else if (!data.results.length) {
    results = html`<div role="status"><p><strong>${t(c.lang, 'kb.search.noResults', { query: q })}</strong></p>
<p>${t(c.lang, 'kb.search.noResultsHelp')}</p>
<ul><li><a href="${langHref(c.lang, '/help')}">${t(c.lang, 'kb.moreHelp.guide')}</a></li>
<li><a href="${langHref(c.lang, '/contact')}">${t(c.lang, 'kb.moreHelp.contact')}</a></li>
<li><a href="${langHref(c.lang, '/help/articles')}">${t(c.lang, 'kb.articles.all')}</a></li></ul></div>`;
  } else {
    results = html`<p role="status">${t(c.lang, 'kb.search.count', { count: data.results.length, query: q })}</p>
${data.japaneseFallback ? html`<p class="notice" role="note">${t(c.lang, 'kb.search.japaneseOnly')}</p>` : ''}
<ol class="kb-results">${data.results.map(
      (r) => html`<li><a href="${articleHref(c.lang, r.slug)}"${r.lang !== c.lang ? html` lang="${r.lang}"` : ''}>${r.title}</a>
<p class="meta"${r.lang !== c.lang ? html` lang="${r.lang}"` : ''}>${r.matchExcerpt || r.excerpt}</p>
<p class="meta">${categoryName(c.lang, r.category)}</p></li>`,
    )}</ol>`;
  }
  const body = html`${breadcrumb(c, [{ label: t(c.lang, 'kb.search.title') }])}
<h1>${t(c.lang, 'kb.search.title')}</h1>
${searchForm(c, q)}
${results}
${stillNeedHelp(c)}`;
  return page(c, q ? t(c.lang, 'kb.search.titleFor', { query: q }) : t(c.lang, 'kb.search.title'), q ? `/help/search?${new URLSearchParams({ q })}` : '/help/search', body, 'noindex');
}
