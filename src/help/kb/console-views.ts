/** Staff pages for the knowledge base: the list, the editor (new article / new version), history, one version. */
import { ARTICLE_CATEGORIES, type ArticleCategory } from '../articles/categories.ts';
import type { ArticleHistory } from './knowledge-base.ts';
import type { StaffArticleSummary, VersionRow } from './repository.ts';
import { LIMITS } from './validation.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { t, type Lang } from '../../web/i18n.ts';
import { can } from '../../staff/permissions.ts';
import { csrf, shell, when, type ConsoleContext } from '../../console/views.ts';
import { langQuery } from '../../web/links.ts';

type FormValues = Record<string, unknown>;
const val = (v: FormValues | undefined, key: string): string => {
  const x = v?.[key];
  if (Array.isArray(x)) return x.filter((k) => typeof k === 'string').join(', ');
  return typeof x === 'string' ? x : '';
};
const LANGS: readonly Lang[] = ['ja', 'en'];
const langName = (c: ConsoleContext, lang: Lang) => t(c.lang, `kb.staff.lang.${lang}`);
const categoryName = (c: ConsoleContext, category: ArticleCategory) => t(c.lang, `kb.category.${category}`);

function helpfulText(c: ConsoleContext, helpful: number, total: number): string {
  return total ? t(c.lang, 'kb.staff.helpfulRate', { percent: Math.round((helpful / total) * 100), count: total }) : t(c.lang, 'kb.staff.noFeedback');
}

export function kbListPage(c: ConsoleContext, articles: StaffArticleSummary[]): string {
  const canEdit = can(c.staff.role, 'kb.edit');
  const order = (x: StaffArticleSummary) => ARTICLE_CATEGORIES.indexOf(x.category);
  const sorted = [...articles].sort((a, b) => order(a) - order(b) || a.slug.localeCompare(b.slug));
  const langs = (a: StaffArticleSummary) =>
    LANGS.filter((l) => a.latest[l]).map((l) => {
      const cur = a.current[l];
      const latest = a.latest[l]!;
      return html`<span class="kb-lang">${l}: ${cur ? t(c.lang, 'kb.staff.versionN', { n: cur }) : t(c.lang, 'kb.staff.unpublished')}${latest !== cur ? html` <span class="meta">(${t(c.lang, 'kb.staff.draftN', { n: latest })})</span>` : ''}</span><br>`;
    });
  const state = (a: StaffArticleSummary) =>
    a.withdrawnAt ? t(c.lang, 'kb.staff.state.withdrawn') : Object.keys(a.current).length ? t(c.lang, 'kb.staff.state.published') : t(c.lang, 'kb.staff.state.draft');
  const body = html`<p class="hint">${t(c.lang, 'kb.staff.listHint')}</p>
${canEdit ? html`<p><a href="/staff/kb/new">${t(c.lang, 'kb.staff.new')}</a></p>` : ''}
<p class="meta">${t(c.lang, 'kb.staff.count', { count: articles.length })} · <a href="/help/articles">${t(c.lang, 'kb.staff.viewPublic')}</a></p>
<div class="table-scroll"><table><thead><tr>
<th scope="col">${t(c.lang, 'kb.staff.article')}</th><th scope="col">${t(c.lang, 'kb.field.category')}</th>
<th scope="col">${t(c.lang, 'kb.staff.languages')}</th><th scope="col">${t(c.lang, 'kb.staff.state')}</th>
<th scope="col">${t(c.lang, 'kb.staff.helpful')}</th><th scope="col">${t(c.lang, 'kb.staff.updated')}</th></tr></thead>
<tbody>${sorted.map((a) => html`<tr>
<th scope="row"><a href="/staff/kb/${a.slug}">${a.title}</a><br><span class="meta">${a.slug}</span></th>
<td>${categoryName(c, a.category)}</td>
<td>${langs(a)}</td>
<td>${state(a)}</td>
<td>${helpfulText(c, a.feedbackHelpful, a.feedbackTotal)}</td>
<td>${when(c, a.updatedAt)}</td></tr>`)}</tbody></table></div>`;
  return shell(c, t(c.lang, 'kb.staff.title'), '/staff/kb', body);
}

function categorySelect(c: ConsoleContext, selected: string): SafeHtml {
  return html`<select id="kb-category" name="category">${ARTICLE_CATEGORIES.map(
    (x) => html`<option value="${x}"${x === selected ? html` selected` : ''}>${categoryName(c, x)}</option>`,
  )}</select>`;
}

/** The fields of one language version; the same for a new article and a new version. */
function versionFields(c: ConsoleContext, values: FormValues | undefined, opts: { category: string; langChoice: boolean; lang: Lang }): SafeHtml {
  return html`<div class="grid-2">
<div><label for="kb-category">${t(c.lang, 'kb.field.category')}</label>${categorySelect(c, val(values, 'category') || opts.category)}</div>
${opts.langChoice
    ? html`<div><label for="kb-lang">${t(c.lang, 'kb.field.lang')}</label><select id="kb-lang" name="lang">${LANGS.map(
        (l) => html`<option value="${l}"${l === (val(values, 'lang') || opts.lang) ? html` selected` : ''}>${langName(c, l)}</option>`,
      )}</select></div>`
    : html`<input type="hidden" name="lang" value="${opts.lang}">`}
</div>
<div><label for="kb-title">${t(c.lang, 'kb.field.title')}</label><input id="kb-title" name="title" type="text" required maxlength="${LIMITS.title}" value="${val(values, 'title')}" lang="${opts.lang}"></div>
<div><label for="kb-keywords">${t(c.lang, 'kb.field.keywords')}</label>
<p class="hint" id="kb-keywords-hint">${t(c.lang, 'kb.staff.keywordsHint', { count: LIMITS.keywords, max: LIMITS.keyword })}</p>
<input id="kb-keywords" name="keywords" type="text" aria-describedby="kb-keywords-hint" value="${val(values, 'keywords')}" lang="${opts.lang}"></div>
<div><label for="kb-body">${t(c.lang, 'kb.field.body')}</label>
<p class="hint" id="kb-body-hint">${t(c.lang, 'kb.staff.bodyHint', { max: LIMITS.body.toLocaleString('en-US') })}</p>
<textarea id="kb-body" name="body" required maxlength="${LIMITS.body}" rows="18" aria-describedby="kb-body-hint" lang="${opts.lang}">${val(values, 'body')}</textarea></div>
<div class="kb-actions">
<button type="submit" name="action" value="publish">${t(c.lang, 'kb.staff.publish')}</button>
<button type="submit" name="action" value="draft" class="secondary">${t(c.lang, 'kb.staff.saveDraft')}</button>
<button type="submit" name="action" value="preview" class="secondary">${t(c.lang, 'kb.staff.preview')}</button>
</div>`;
}

function previewBlock(c: ConsoleContext, preview: SafeHtml | null, title: string, lang: Lang): SafeHtml {
  if (!preview) return html``;
  return html`<section class="kb-preview" aria-labelledby="kb-preview-h"><h2 id="kb-preview-h">${t(c.lang, 'kb.staff.previewTitle')}</h2>
<div class="kb-article" lang="${lang}"><p class="kb-preview-title">${title}</p><div class="kb-body">${preview}</div></div></section>`;
}

export function kbNewPage(c: ConsoleContext, values?: FormValues, preview: SafeHtml | null = null): string {
  const lang: Lang = val(values, 'lang') === 'en' ? 'en' : 'ja';
  const body = html`<form method="post" action="/staff/kb" class="stack kb-editor" accept-charset="utf-8">${csrf(c)}
<div><label for="kb-slug">${t(c.lang, 'kb.field.slug')}</label>
<p class="hint" id="kb-slug-hint">${t(c.lang, 'kb.staff.slugHint')}</p>
<input id="kb-slug" name="slug" type="text" required maxlength="${LIMITS.slug}" pattern="[a-z0-9]+(-[a-z0-9]+)*" aria-describedby="kb-slug-hint" autocomplete="off" value="${val(values, 'slug')}"></div>
${versionFields(c, values, { category: 'emergency', langChoice: true, lang })}
</form>
${previewBlock(c, preview, val(values, 'title'), lang)}
<p><a href="/staff/kb">${t(c.lang, 'kb.staff.backToList')}</a></p>`;
  return shell(c, t(c.lang, 'kb.staff.new'), '/staff/kb/new', body);
}

export interface EditorData {
  slug: string;
  category: ArticleCategory;
  withdrawnAt: Date | null;
  latest: Partial<Record<Lang, VersionRow>>;
  current: Partial<Record<Lang, number>>;
}

/** One article: pick a language, edit its newest version into a new one, see it rendered, withdraw it. */
export function kbEditPage(c: ConsoleContext, data: EditorData, editLang: Lang, opts: { values?: FormValues; preview?: SafeHtml | null; currentHtml?: SafeHtml | null } = {}): string {
  const canEdit = can(c.staff.role, 'kb.edit');
  const latest = data.latest[editLang];
  // The category is the article's (shared by its languages), whatever an older version of this language said.
  const values: FormValues = opts.values ?? (latest ? { title: latest.title, keywords: latest.keywords.join(', '), body: latest.body, category: data.category } : {});
  const published = Object.keys(data.current).length > 0;
  const status = LANGS.map((l) => {
    const cur = data.current[l];
    const newest = data.latest[l];
    return html`<li>${langName(c, l)}: ${cur ? t(c.lang, 'kb.staff.publishedVersion', { n: cur }) : t(c.lang, 'kb.staff.unpublished')}${newest && newest.version !== cur ? html` · ${t(c.lang, 'kb.staff.newerDraft', { n: newest.version })}` : ''}${!newest ? html` · ${t(c.lang, 'kb.staff.noVersionYet')}` : ''}</li>`;
  });
  const tabs = html`<nav aria-label="${t(c.lang, 'kb.staff.editLanguage')}"><ul class="console-nav">${LANGS.map((l) =>
    l === editLang ? html`<li><strong aria-current="page">${langName(c, l)}</strong></li>` : html`<li><a href="/staff/kb/${data.slug}?edit=${l}">${langName(c, l)}</a></li>`,
  )}</ul></nav>`;
  const form = canEdit
    ? html`<h2>${t(c.lang, 'kb.staff.editHeading', { lang: langName(c, editLang) })}</h2>
${latest ? html`<p class="hint">${t(c.lang, 'kb.staff.editHint', { n: latest.version })}</p>` : html`<p class="hint">${t(c.lang, 'kb.staff.firstVersionHint')}</p>`}
<form method="post" action="/staff/kb/${data.slug}" class="stack kb-editor" accept-charset="utf-8">${csrf(c)}
<input type="hidden" name="baseVersion" value="${val(opts.values, 'baseVersion') || String(latest?.version ?? 0)}">
${versionFields(c, values, { category: data.category, langChoice: false, lang: editLang })}
</form>`
    : '';
  const shown = opts.preview ?? opts.currentHtml ?? null;
  const withdraw = canEdit && published
    ? html`<h2>${t(c.lang, 'kb.staff.withdrawTitle')}</h2>
<form method="post" action="/staff/kb/${data.slug}/withdraw" class="stack">${csrf(c)}
<p class="hint">${t(c.lang, 'kb.staff.withdrawHint')}</p>
<label class="radio"><input type="checkbox" name="confirm" value="yes" required> ${t(c.lang, 'kb.staff.withdrawConfirm')}</label>
<div><button type="submit" class="danger">${t(c.lang, 'kb.staff.withdraw')}</button></div>
</form>`
    : '';
  const body = html`<p class="meta">${data.slug} · ${categoryName(c, data.category)}${data.withdrawnAt ? html` · <strong>${t(c.lang, 'kb.staff.withdrawnAt', { time: when(c, data.withdrawnAt) })}</strong>` : ''}</p>
<ul>${status}</ul>
<p>${published ? html`<a href="/help/articles/${data.slug}${langQuery(editLang)}">${t(c.lang, 'kb.staff.viewPublic')}</a> · ` : ''}<a href="/staff/kb/${data.slug}/versions">${t(c.lang, 'kb.staff.history')}</a> · <a href="/staff/kb">${t(c.lang, 'kb.staff.backToList')}</a></p>
${tabs}
${form}
${shown ? previewBlock(c, shown, opts.preview ? val(values, 'title') : latest?.title ?? '', editLang) : ''}
${withdraw}`;
  return shell(c, latest?.title ?? data.latest.ja?.title ?? data.slug, `/staff/kb/${data.slug}`, body);
}

function republishForm(c: ConsoleContext, slug: string, v: VersionRow): SafeHtml {
  return html`<form method="post" action="/staff/kb/${slug}/versions/${v.lang}/${v.version}/republish" class="inline">${csrf(c)}
<button type="submit" class="secondary">${t(c.lang, 'kb.staff.republishN', { n: v.version })}</button></form>`;
}

function versionMeta(c: ConsoleContext, v: VersionRow): SafeHtml {
  return html`${v.isCurrent ? html`<strong>${t(c.lang, 'kb.staff.state.published')}</strong> · ` : ''}${v.state === 'draft' ? html`${t(c.lang, 'kb.staff.state.draft')} · ` : ''}${when(c, v.createdAt)} · ${v.authorName ?? t(c.lang, 'kb.staff.starterAuthor')}${v.restoredFrom ? html` · ${t(c.lang, 'kb.staff.restoredFrom', { n: v.restoredFrom })}` : ''}`;
}

export function kbHistoryPage(c: ConsoleContext, data: ArticleHistory): string {
  const canEdit = can(c.staff.role, 'kb.edit');
  const fb = (v: VersionRow) => {
    const f = data.feedback.find((x) => x.lang === v.lang && x.version === v.version);
    return f ? helpfulText(c, f.helpful, f.total) : t(c.lang, 'kb.staff.noFeedback');
  };
  const section = (lang: Lang) => {
    const versions = data.versions.filter((v) => v.lang === lang);
    if (!versions.length) return html``;
    return html`<h2>${langName(c, lang)}</h2>
<div class="table-scroll"><table><thead><tr><th scope="col">${t(c.lang, 'kb.staff.version')}</th><th scope="col">${t(c.lang, 'kb.field.title')}</th>
<th scope="col">${t(c.lang, 'kb.staff.details')}</th><th scope="col">${t(c.lang, 'kb.staff.helpful')}</th><th scope="col">${t(c.lang, 'staff.team.actions')}</th></tr></thead>
<tbody>${versions.map((v) => html`<tr${v.isCurrent ? html` class="kb-current"` : ''}>
<th scope="row"><a href="/staff/kb/${data.slug}/versions/${v.lang}/${v.version}">${t(c.lang, 'kb.staff.versionN', { n: v.version })}</a></th>
<td lang="${v.lang}">${v.title}</td>
<td>${versionMeta(c, v)}</td>
<td>${fb(v)}</td>
<td>${canEdit && !v.isCurrent ? republishForm(c, data.slug, v) : ''}</td></tr>`)}</tbody></table></div>`;
  };
  const comments = data.comments.length
    ? html`<h2>${t(c.lang, 'kb.staff.comments')}</h2><ul class="history">${data.comments.map(
        (x) => html`<li><p class="meta">${x.helpful ? t(c.lang, 'kb.feedback.yes') : t(c.lang, 'kb.feedback.no')} · ${x.lang} ${t(c.lang, 'kb.staff.versionN', { n: x.version })} · ${when(c, x.createdAt)}</p><p class="kb-comment">${x.comment}</p></li>`,
      )}</ul>`
    : '';
  const body = html`<p class="meta">${data.slug} · ${categoryName(c, data.category)}${data.withdrawnAt ? html` · <strong>${t(c.lang, 'kb.staff.withdrawnAt', { time: when(c, data.withdrawnAt) })}</strong>` : ''}</p>
<p class="hint">${t(c.lang, 'kb.staff.historyHint')}</p>
<p><a href="/staff/kb/${data.slug}">${t(c.lang, 'kb.staff.backToArticle')}</a></p>
${section('ja')}${section('en')}
${comments}`;
  return shell(c, t(c.lang, 'kb.staff.historyTitle', { slug: data.slug }), `/staff/kb/${data.slug}/versions`, body);
}

export function kbVersionPage(c: ConsoleContext, slug: string, v: VersionRow, rendered: SafeHtml): string {
  const canEdit = can(c.staff.role, 'kb.edit');
  const body = html`<p class="meta">${slug} · ${langName(c, v.lang)} · ${categoryName(c, v.category)}</p>
<p class="meta">${versionMeta(c, v)}</p>
${v.keywords.length ? html`<p class="meta">${t(c.lang, 'kb.field.keywords')}: <span lang="${v.lang}">${v.keywords.join(', ')}</span></p>` : ''}
<p><a href="/staff/kb/${slug}/versions">${t(c.lang, 'kb.staff.history')}</a> · <a href="/staff/kb/${slug}">${t(c.lang, 'kb.staff.backToArticle')}</a></p>
${canEdit && !v.isCurrent ? republishForm(c, slug, v) : ''}
<section class="kb-preview" aria-labelledby="kb-version-h"><h2 id="kb-version-h">${t(c.lang, 'kb.staff.versionContent')}</h2>
<div class="kb-article" lang="${v.lang}"><p class="kb-preview-title">${v.title}</p><div class="kb-body">${rendered}</div></div></section>
<details><summary>${t(c.lang, 'kb.staff.markdownSource')}</summary><pre class="kb-source" lang="${v.lang}">${v.body}</pre></details>`;
  return shell(c, `${v.title} · ${t(c.lang, 'kb.staff.versionN', { n: v.version })}`, `/staff/kb/${slug}/versions/${v.lang}/${v.version}`, body);
}
