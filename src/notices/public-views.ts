import { html, multiline, type SafeHtml } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { formatDay } from './days.ts';
import type { DiffBlock, InlinePart, TermsDiff } from './diff.ts';
import { renderMarkdown } from './markdown.ts';
import type { TermsVersion } from './terms.ts';
import { langQuery } from '../web/links.ts';

/** The public terms pages, the diff between versions, and the pages that ask for an acknowledgement. */

export interface PublicChrome {
  exchangeName: { ja: string; en: string };
  timeZone: string;
}

const lq = (lang: Lang) => langQuery(lang);
const versionPath = (v: TermsVersion) => `/terms/versions/${encodeURIComponent(v.label)}`;

export function publicPage(chrome: PublicChrome, lang: Lang, input: { title: string; path: string; body: SafeHtml; noindex?: boolean }): string {
  const exchange = chrome.exchangeName[lang];
  return layout({
    lang,
    title: `${input.title} · ${exchange}`,
    path: input.path,
    body: input.body,
    header: html`<p class="site-name"><a href="/${lq(lang)}">${exchange}</a></p>`,
    ...(input.noindex ? { robots: 'noindex' as const } : {}),
  }).value;
}

/** The text in the page's language; Japanese (marked as such) where there is no English. */
function localized(lang: Lang, ja: string, en: string | null): { text: string; fallback: boolean } {
  return lang === 'en' && en ? { text: en, fallback: false } : { text: ja, fallback: lang === 'en' };
}

function versionMeta(lang: Lang, v: TermsVersion): SafeHtml {
  return html`<p class="meta">${t(lang, 'terms.version', { label: v.label })} · ${t(lang, 'terms.effective', { date: formatDay(lang, v.effectiveFrom) })}</p>
${v.ackRequired ? html`<p class="meta">${t(lang, 'terms.ackRequired')}${v.ackDeadline ? html` <strong>${t(lang, 'terms.ackDeadline', { date: formatDay(lang, v.ackDeadline) })}</strong>` : ''}</p>` : ''}`;
}

export function summaryBlock(lang: Lang, v: TermsVersion): SafeHtml {
  const s = localized(lang, v.summaryJa, v.summaryEn);
  return html`<section class="terms-summary" aria-labelledby="terms-summary-h"><h2 id="terms-summary-h">${t(lang, 'terms.summary')}</h2>
<p${s.fallback ? html` lang="ja"` : ''}>${multiline(s.text)}</p></section>`;
}

function termsBody(lang: Lang, v: TermsVersion): SafeHtml {
  const b = localized(lang, v.bodyJa, v.bodyEn);
  return html`${b.fallback ? html`<p class="hint">${t(lang, 'terms.enMissing')}</p>` : ''}
<div class="terms-body"${b.fallback ? html` lang="ja"` : ''}>${renderMarkdown(b.text)}</div>`;
}

/** /terms and /terms/versions/<label>. */
export function termsPage(chrome: PublicChrome, lang: Lang, input: { version: TermsVersion | null; upcoming: TermsVersion | null; hasPrevious: boolean; isCurrent: boolean }): string {
  const v = input.version;
  if (!v) {
    return publicPage(chrome, lang, { title: t(lang, 'terms.title'), path: '/terms', body: html`<h1>${t(lang, 'terms.title')}</h1><p>${t(lang, 'terms.none')}</p>` });
  }
  const upcoming = input.upcoming;
  const body = html`${upcoming ? html`<div class="notice" role="note"><p>${t(lang, 'terms.upcoming', { label: upcoming.label, date: formatDay(lang, upcoming.effectiveFrom) })}</p>
<p><a href="${versionPath(upcoming)}${lq(lang)}">${t(lang, 'terms.readUpcoming')}</a> · <a href="${versionPath(upcoming)}/diff${lq(lang)}">${t(lang, 'terms.diffLink')}</a></p></div>` : ''}
<h1>${t(lang, 'terms.title')}</h1>
${versionMeta(lang, v)}
${input.hasPrevious ? html`<p><a href="${versionPath(v)}/diff${lq(lang)}">${t(lang, 'terms.diffLink')}</a></p>` : ''}
${input.hasPrevious ? summaryBlock(lang, v) : ''}
${termsBody(lang, v)}
<ul class="console-nav">
<li><a href="/terms/versions${lq(lang)}">${t(lang, 'terms.allVersions')}</a></li>
${input.isCurrent ? '' : html`<li><a href="/terms${lq(lang)}">${t(lang, 'terms.backToCurrent')}</a></li>`}
<li><a href="/notices${lq(lang)}">${t(lang, 'notices.listTitle')}</a></li>
</ul>`;
  return publicPage(chrome, lang, { title: `${t(lang, 'terms.title')} (${v.label})`, path: input.isCurrent ? '/terms' : versionPath(v), body });
}

export function versionsPage(chrome: PublicChrome, lang: Lang, versions: TermsVersion[], currentId: string | null): string {
  const body = html`<h1>${t(lang, 'terms.versionsTitle')}</h1>
${versions.length ? html`<ul class="history">${versions.map((v) => html`<li><a href="${versionPath(v)}${lq(lang)}">${t(lang, 'terms.version', { label: v.label })}</a>${v.id === currentId ? html` <strong>(${t(lang, 'terms.current')})</strong>` : ''}
<p class="meta">${t(lang, 'terms.effective', { date: formatDay(lang, v.effectiveFrom) })}</p></li>`)}</ul>` : html`<p>${t(lang, 'terms.none')}</p>`}
<p><a href="/terms${lq(lang)}">${t(lang, 'terms.backToCurrent')}</a></p>`;
  return publicPage(chrome, lang, { title: t(lang, 'terms.versionsTitle'), path: '/terms/versions', body });
}

// ---------------------------------------------------------------------------------------------- the diff

function inlineParts(lang: Lang, parts: InlinePart[]): SafeHtml {
  return html`${parts.map((p) =>
    p.kind === 'same'
      ? p.text
      : p.kind === 'del'
        ? html`<del><span class="visually-hidden">${t(lang, 'terms.diff.delStart')}</span>${p.text}<span class="visually-hidden">${t(lang, 'terms.diff.end')}</span></del>`
        : html`<ins><span class="visually-hidden">${t(lang, 'terms.diff.insStart')}</span>${p.text}<span class="visually-hidden">${t(lang, 'terms.diff.end')}</span></ins>`,
  )}`;
}

const label = (lang: Lang, kind: 'changed' | 'added' | 'removed') => html`<p class="diff-label"><strong>${t(lang, `terms.diff.${kind}`)}</strong></p>`;

/** Unchanged runs keep one line of context next to each change; the rest folds away. */
function sameBlock(lang: Lang, lines: string[], first: boolean, last: boolean): SafeHtml {
  const head = first ? 0 : 1;
  const tail = last ? 0 : 1;
  const p = (l: string) => html`<p>${l}</p>`;
  if (lines.length <= head + tail + 1) return html`<li class="diff-block diff-same">${lines.map(p)}</li>`;
  const middle = lines.slice(head, lines.length - tail);
  return html`<li class="diff-block diff-same">${lines.slice(0, head).map(p)}
<details><summary>${t(lang, 'terms.diff.unchanged', { n: middle.length })}</summary>${middle.map(p)}</details>
${lines.slice(lines.length - tail).map(p)}</li>`;
}

export function renderDiff(lang: Lang, diff: TermsDiff): SafeHtml {
  const block = (b: DiffBlock, i: number): SafeHtml => {
    switch (b.kind) {
      case 'same':
        return sameBlock(lang, b.lines, i === 0, i === diff.blocks.length - 1);
      case 'changed':
        return html`<li class="diff-block diff-changed">${label(lang, 'changed')}<p>${inlineParts(lang, b.parts)}</p></li>`;
      case 'added':
        return html`<li class="diff-block diff-added">${label(lang, 'added')}${b.lines.map((l) => html`<p>${inlineParts(lang, [{ kind: 'ins', text: l }])}</p>`)}</li>`;
      case 'removed':
        return html`<li class="diff-block diff-removed">${label(lang, 'removed')}${b.lines.map((l) => html`<p>${inlineParts(lang, [{ kind: 'del', text: l }])}</p>`)}</li>`;
    }
  };
  if (diff.changed + diff.added + diff.removed === 0) return html`<p>${t(lang, 'terms.diff.noChange')}</p>`;
  return html`<p class="diff-stats"><strong>${t(lang, 'terms.diffStats', { changed: diff.changed, added: diff.added, removed: diff.removed })}</strong></p>
<p class="hint">${t(lang, 'terms.diffLegend')}</p>
<ol class="terms-diff">${diff.blocks.map(block)}</ol>`;
}

export function diffPage(chrome: PublicChrome, lang: Lang, input: { version: TermsVersion; previous: TermsVersion | null; diff: TermsDiff | null; comparedLang: Lang }): string {
  const v = input.version;
  const prev = input.previous;
  const title = prev ? t(lang, 'terms.diffTitle', { from: prev.label, to: v.label }) : t(lang, 'terms.title');
  const body = html`<h1>${title}</h1>
${versionMeta(lang, v)}
${prev && input.diff ? html`${lang !== input.comparedLang ? html`<p class="hint">${t(lang, 'terms.diff.langFallback')}</p>` : ''}
${summaryBlock(lang, v)}
<div class="terms-diff-body"${input.comparedLang !== lang ? html` lang="${input.comparedLang}"` : ''}>${renderDiff(lang, input.diff)}</div>` : html`<p>${t(lang, 'terms.diff.first')}</p>`}
<ul class="console-nav">
<li><a href="${versionPath(v)}${lq(lang)}">${t(lang, 'terms.version', { label: v.label })}</a></li>
${prev ? html`<li><a href="${versionPath(prev)}${lq(lang)}">${t(lang, 'terms.version', { label: prev.label })}</a></li>` : ''}
<li><a href="/terms${lq(lang)}">${t(lang, 'terms.backToCurrent')}</a></li>
</ul>`;
  return publicPage(chrome, lang, { title, path: `${versionPath(v)}/diff`, body });
}

// ---------------------------------------------------------------------------------------------- acknowledgement

/** The part of both acknowledgement pages that says what is being accepted. */
function whatChanges(lang: Lang, v: TermsVersion): SafeHtml {
  return html`${versionMeta(lang, v)}
${summaryBlock(lang, v)}
<ul class="console-nav">
<li><a href="${versionPath(v)}/diff${lq(lang)}">${t(lang, 'terms.diffLink')}</a></li>
<li><a href="${versionPath(v)}${lq(lang)}">${t(lang, 'terms.readFull')}</a></li>
</ul>`;
}

/** /account/terms: after sign-in, before anything else (the emergency lock stays one click away). */
export function accountTermsPage(lang: Lang, v: TermsVersion, form: { csrf: SafeHtml }): { title: string; body: SafeHtml } {
  const title = t(lang, 'terms.ackTitle');
  const body = html`<h1>${title}</h1>
<p>${t(lang, 'terms.ackLead')}</p>
${whatChanges(lang, v)}
<form method="post" action="/account/terms" class="stack">${form.csrf}<input type="hidden" name="version" value="${v.id}">
<button type="submit">${t(lang, 'terms.agree')}</button></form>
<p class="hint">${t(lang, 'terms.lockStill')} <a href="/account/lock">${t(lang, 'terms.lockLink')}</a></p>
<form method="post" action="/account/logout" class="inline">${form.csrf}<button type="submit" class="secondary">${t(lang, 'terms.signOut')}</button></form>`;
  return { title, body };
}

/** "de****@example.jp": enough for the owner to recognise, little for someone who sees the screen. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '****';
  const local = email.slice(0, at);
  return `${local.slice(0, Math.min(2, local.length))}****${email.slice(at)}`;
}

export function ackLinkPage(chrome: PublicChrome, lang: Lang, input: { token: string; version: TermsVersion; email: string | null; expiresAt: Date }): string {
  const title = t(lang, 'terms.ackTitle');
  const body = html`<h1>${title}</h1>
<p>${t(lang, 'terms.ackLinkLead', { email: input.email ? maskEmail(input.email) : '—', label: input.version.label })}</p>
${whatChanges(lang, input.version)}
<form method="post" action="/terms/ack/${input.token}${lq(lang)}" class="stack">
<button type="submit">${t(lang, 'terms.agree')}</button></form>
<p class="hint">${t(lang, 'terms.ackLinkExpires', { time: formatDateTime(lang, input.expiresAt, chrome.timeZone) })}</p>
<p class="hint">${t(lang, 'terms.lockStill')} <a href="/help/lock${lq(lang)}">${t(lang, 'terms.lockLink')}</a></p>`;
  return publicPage(chrome, lang, { title, path: `/terms/ack/${input.token}`, body, noindex: true });
}

export function ackResultPage(chrome: PublicChrome, lang: Lang, outcome: 'acknowledged' | 'already' | 'invalid'): string {
  const message = t(lang, outcome === 'acknowledged' ? 'terms.ackDone' : outcome === 'already' ? 'terms.ackAlready' : 'terms.ackInvalid');
  const body = html`<h1>${t(lang, 'terms.ackTitle')}</h1>
<p class="${outcome === 'invalid' ? 'error-box' : 'flash'}" role="${outcome === 'invalid' ? 'alert' : 'status'}">${message}</p>
<ul class="console-nav"><li><a href="/terms${lq(lang)}">${t(lang, 'terms.title')}</a></li><li><a href="/account/login${lq(lang)}">${t(lang, 'terms.signIn')}</a></li></ul>`;
  return publicPage(chrome, lang, { title: t(lang, 'terms.ackTitle'), path: '/terms', body, noindex: true });
}
