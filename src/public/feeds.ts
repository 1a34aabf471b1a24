import { Feed } from 'feed';
import type { Incident } from '../domain/incident.ts';
import { escapeHtml, html } from '../web/html.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import type { PageSnapshot } from './snapshot.ts';

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
  return feed;
}

export const renderAtom = (s: PageSnapshot, lang: Lang): string => buildFeed(s, lang).atom1();
export const renderRss = (s: PageSnapshot, lang: Lang): string => buildFeed(s, lang).rss2();
