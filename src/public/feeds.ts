import { Feed } from 'feed';
import type { Incident } from '../domain/incident.ts';
import { escapeHtml, html } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import type { PageSnapshot } from './snapshot.ts';
import { formatDay } from '../notices/days.ts';
import { noticeText } from './notice-section.ts';

/** One entry per incident or maintenance, its updates newest first, like Statuspage's history feeds. */
function buildFeed(s: PageSnapshot, lang: Lang): Feed {
  const exchange = lang === 'en' ? s.page.nameEn : s.page.nameJa;
  const q = lang === 'en' ? '?lang=en' : '';
  const feed = new Feed({
    title: t(lang, 'feed.title', { exchange }),
    description: t(lang, 'feed.description', { exchange }),
    id: `${s.page.url}/history${q}`,
    link: `${s.page.url}/${q}`,
    language: lang,
    updated: s.changedAt,
    generator: 'kinkyu',
    copyright: exchange,
    feedLinks: { atom: `${s.page.url}/history.atom${q}`, rss: `${s.page.url}/history.rss${q}` },
  });
  const entries: Incident[] = [...s.incidents, ...s.maintenances].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
  for (const i of entries) {
    const statusKey = (status: string) => (i.kind === 'maintenance' ? `maintenance.${status}` : `incident.${status}`) as never;
    const content = html`${i.updates.map(
      (u) => html`<p><small>${formatDateTime(lang, u.displayAt, s.page.timeZone)}</small><br><strong>${t(lang, statusKey(u.status))}</strong> - ${(lang === 'en' ? u.bodyEn : null) ?? u.bodyJa}</p>`,
    )}`;
    feed.addItem({
      // The library puts titles in CDATA as HTML: escaping keeps a hostile name from closing it early.
      title: escapeHtml((lang === 'en' ? i.nameEn : null) ?? i.nameJa),
      id: `${s.page.url}/incidents/${i.id}`,
      link: `${s.page.url}/incidents/${i.id}${q}`,
      date: i.updatedAt,
      published: i.createdAt,
      content: content.value,
    });
  }
  // Regulatory notices are entries of their own, next to incidents, dated by publication (or last correction).
  for (const n of s.notices) {
    const text = (field: 'title' | 'changes' | 'action') => noticeText(lang, n, field).text;
    const content = html`<p><strong>${t(lang, 'notices.effective', { date: formatDay(lang, n.effectiveFrom) })}</strong>${n.deadline ? html`<br><strong>${t(lang, 'notices.deadline', { date: formatDay(lang, n.deadline) })}</strong>` : ''}</p>
<p><strong>${t(lang, 'notices.changes')}</strong><br>${text('changes')}</p>
<p><strong>${t(lang, 'notices.action')}</strong><br>${text('action')}</p>`;
    feed.addItem({
      title: escapeHtml(`${t(lang, 'notices.feedPrefix')}: ${text('title')}`),
      id: `${s.page.url}/notices/${n.id}`,
      link: `${s.page.url}/notices/${n.id}${q}`,
      date: n.updatedAt,
      published: n.publishedAt ?? n.createdAt,
      content: content.value,
    });
  }
  feed.items.sort((a, b) => b.date.getTime() - a.date.getTime());
  return feed;
}

export const renderAtom = (s: PageSnapshot, lang: Lang): string => buildFeed(s, lang).atom1();
export const renderRss = (s: PageSnapshot, lang: Lang): string => buildFeed(s, lang).rss2();
