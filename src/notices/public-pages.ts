import type { Notice } from './notices.ts';
import { html } from '../web/html.ts';
import { formatDateTime, t, localized } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';
import { footer, header, liveHref, staleNotice, type PageContext } from '../status/page/pages.ts';
import { noticeBlock, noticeDates, noticeInline, noticeText } from './status-section.ts';
import { langQuery } from '../web/links.ts';

/** /notices and /notices/<id>: served from the in-memory snapshot like the status page, and exported with it. */

const q = (c: PageContext) => langQuery(c.lang);
const exchangeName = (c: PageContext) => localized(c.lang, c.snapshot.page.nameJa, c.snapshot.page.nameEn);

export function renderNoticesPage(c: PageContext): string {
  const notices = c.snapshot.notices;
  const body = html`${staleNotice(c)}
<h1>${t(c.lang, 'notices.listTitle')}</h1>
<p>${t(c.lang, 'notices.listLead')}</p>
${notices.length
    ? html`<ul class="notice-list">${notices.map((n) => html`<li class="notice-item">
<h2 class="notice-title"><a href="/notices/${n.id}${q(c)}">${noticeInline(c.lang, n, 'title')}</a></h2>
${noticeDates(c.lang, n)}
</li>`)}</ul>`
    : html`<p>${t(c.lang, 'notices.none')}</p>`}
<p><a href="${liveHref(c, '/terms')}">${t(c.lang, 'notices.termsLink')}</a></p>
<p><a href="/${q(c)}">${t(c.lang, 'site.backToStatus')}</a></p>
${footer(c)}`;
  return layout({ lang: c.lang, title: `${t(c.lang, 'notices.listTitle')} · ${exchangeName(c)}`, body, path: '/notices', header: header(c) }).value;
}

/** One notice. A withdrawn one (read from the database, not the snapshot) says so first. */
export function renderNoticePage(c: PageContext, n: Notice): string {
  const when = (d: Date) => formatDateTime(c.lang, d, c.snapshot.page.timeZone);
  const fellBack = (['title', 'changes', 'action'] as const).some((f) => noticeText(c.lang, n, f).fallback);
  const body = html`${staleNotice(c)}
<article class="notice">
${n.status === 'withdrawn' && n.withdrawnAt ? html`<div class="notice-withdrawn" role="note"><p><strong>${t(c.lang, 'notices.withdrawnBanner', { time: when(n.withdrawnAt) })}</strong></p>
${n.withdrawnReason ? html`<p>${t(c.lang, 'notices.withdrawnReason', { reason: n.withdrawnReason })}</p>` : ''}</div>` : ''}
<h1>${noticeInline(c.lang, n, 'title')}</h1>
${fellBack ? html`<p class="hint">${t(c.lang, 'notices.jaOnly')}</p>` : ''}
${noticeDates(c.lang, n)}
<h2>${t(c.lang, 'notices.changes')}</h2>
${noticeBlock(c.lang, n, 'changes')}
<h2>${t(c.lang, 'notices.action')}</h2>
<div class="notice-action">${noticeBlock(c.lang, n, 'action')}</div>
<p class="meta">${n.publishedAt ? t(c.lang, 'notices.publishedAt', { time: when(n.publishedAt) }) : ''}${n.revision > 1 ? html` · ${t(c.lang, 'notices.revisedAt', { time: when(n.updatedAt) })}` : ''}</p>
</article>
<ul class="console-nav">
<li><a href="${liveHref(c, '/terms')}">${t(c.lang, 'notices.termsLink')}</a></li>
<li><a href="/notices${q(c)}">${t(c.lang, 'notices.backToList')}</a></li>
<li><a href="/${q(c)}">${t(c.lang, 'site.backToStatus')}</a></li>
</ul>
${footer(c)}`;
  return layout({
    lang: c.lang,
    title: `${noticeText(c.lang, n, 'title').text} · ${exchangeName(c)}`,
    body,
    path: `/notices/${n.id}`,
    header: header(c),
    ...(n.status === 'withdrawn' ? { robots: 'noindex' as const } : {}),
  }).value;
}
