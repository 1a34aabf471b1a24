import type { Notice } from './notices.ts';
import { formatDay } from './days.ts';
import { html, multiline, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import type { PageContext } from '../status/page/pages.ts';
import { langQuery } from '../web/links.ts';

/** Notices on the status page, /notices and the feeds: English where staff wrote it, Japanese otherwise. */

type TextField = 'title' | 'changes' | 'action';

/** The text in the page's language, and whether it fell back to Japanese (marked lang="ja" for readers). */
export function noticeText(lang: Lang, n: Notice, field: TextField): { text: string; fallback: boolean } {
  const ja = n[`${field}Ja`];
  const en = n[`${field}En`];
  if (lang === 'en' && en) return { text: en, fallback: false };
  return { text: ja, fallback: lang === 'en' };
}

export function noticeInline(lang: Lang, n: Notice, field: TextField): SafeHtml {
  const { text, fallback } = noticeText(lang, n, field);
  return fallback ? html`<span lang="ja">${text}</span>` : html`${text}`;
}

export function noticeBlock(lang: Lang, n: Notice, field: TextField): SafeHtml {
  const { text, fallback } = noticeText(lang, n, field);
  return fallback ? html`<p lang="ja">${multiline(text)}</p>` : html`<p>${multiline(text)}</p>`;
}

export function noticeDates(lang: Lang, n: Notice): SafeHtml {
  return html`<p class="meta"><span class="notice-date">${t(lang, 'notices.effective', { date: formatDay(lang, n.effectiveFrom) })}</span>${n.deadline
    ? html` <strong class="notice-deadline">${t(lang, 'notices.deadline', { date: formatDay(lang, n.deadline) })}</strong>`
    : ''}</p>`;
}

/** How many notices the status page lists before "all notices". */
const ON_STATUS_PAGE = 3;

/** The "お知らせ / Notices" section of the status page: nothing at all when there are none. */
export function noticesSection(c: PageContext): SafeHtml | string {
  const notices = c.snapshot.notices.slice(0, ON_STATUS_PAGE);
  if (notices.length === 0) return '';
  const q = langQuery(c.lang);
  return html`<section aria-labelledby="notices-h" class="notices"><h2 id="notices-h">${t(c.lang, 'notices.section')}</h2>
<ul class="notice-list">${notices.map((n) => html`<li class="notice-item">
<p class="notice-title"><a href="/notices/${n.id}${q}">${noticeInline(c.lang, n, 'title')}</a></p>
${noticeDates(c.lang, n)}
</li>`)}</ul>
<p><a href="/notices${q}">${t(c.lang, 'notices.all')}</a></p>
</section>`;
}
