import { Feed, type Item } from 'feed';
import type { Incident } from '../../domain/incident.ts';
import type { Notice } from '../../notices/notices.ts';
import { escapeHtml, html, type SafeHtml } from '../../web/html.ts';
import { formatDateTime, hasMessage, t, type Lang, localized } from '../../web/i18n.ts';
import type { PageSnapshot } from './snapshot.ts';
import { formatDay } from '../../notices/days.ts';
import { noticeText } from '../../notices/status-section.ts';
import { langQuery } from '../../web/links.ts';

/**
 * The history feeds, one entry per incident, maintenance or notice, like Statuspage's `/history.atom` and
 * `/history.rss`. Each entry has a short description (readers list it; the status, when it last changed and the
 * latest update) and the full timeline as content.
 *
 * Dates: an Atom entry has `<published>` (first shown) and `<updated>` (its latest public change: a new update,
 * a correction, the resolution). RSS has one date per item; its `<pubDate>` is the latest public change too, so
 * that a resolved incident shows when it was resolved and sorts by it. The `<guid>` never changes, so a reader
 * that already has the item updates it instead of listing it twice.
 */
type Format = 'atom' | 'rss';

const ATOM_ROOT = '<feed xmlns="http://www.w3.org/2005/Atom">';
/** Characters of the latest update shown in a description. */
const DESCRIPTION_CHARS = 280;

function statusLabel(lang: Lang, i: Incident, status: string): string {
  const key = `${i.kind === 'maintenance' ? 'maintenance' : 'incident'}.${status}`;
  return hasMessage(key) ? t(lang, key) : status;
}

function excerpt(text: string, max = DESCRIPTION_CHARS): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

function newestUpdate(i: Incident): Incident['updates'][number] | undefined {
  return [...i.updates].sort((a, b) => b.displayAt.getTime() - a.displayAt.getTime())[0];
}

/** "Resolved · Updated Dec 7, 2026, 02:39 JST" and the latest update, shortened. */
function incidentDescription(s: PageSnapshot, lang: Lang, i: Incident): SafeHtml {
  const latest = newestUpdate(i);
  const body = latest ? localized(lang, latest.bodyJa, latest.bodyEn) : null;
  const when = t(lang, 'feed.updated', { time: formatDateTime(lang, i.updatedAt, s.page.timeZone) });
  return html`<p><strong>${statusLabel(lang, i, i.status)}</strong> · ${when}</p>${body ? html`<p>${excerpt(body)}</p>` : ''}`;
}

function incidentContent(s: PageSnapshot, lang: Lang, i: Incident): SafeHtml {
  return html`${i.updates.map(
    (u) => html`<p><small>${formatDateTime(lang, u.displayAt, s.page.timeZone)}</small><br><strong>${statusLabel(lang, i, u.status)}</strong> - ${localized(lang, u.bodyJa, u.bodyEn)}</p>`,
  )}`;
}

function noticeItem(s: PageSnapshot, lang: Lang, n: Notice, q: string, format: Format): Item {
  const text = (field: 'title' | 'changes' | 'action') => noticeText(lang, n, field).text;
  const dates = html`<strong>${t(lang, 'notices.effective', { date: formatDay(lang, n.effectiveFrom) })}</strong>${n.deadline ? html`<br><strong>${t(lang, 'notices.deadline', { date: formatDay(lang, n.deadline) })}</strong>` : ''}`;
  const content = html`<p>${dates}</p>
<p><strong>${t(lang, 'notices.changes')}</strong><br>${text('changes')}</p>
<p><strong>${t(lang, 'notices.action')}</strong><br>${text('action')}</p>`;
  const published = n.publishedAt ?? n.createdAt;
  return {
    title: escapeHtml(`${t(lang, 'notices.feedPrefix')}: ${text('title')}`),
    id: `${s.page.url}/notices/${n.id}`,
    link: `${s.page.url}/notices/${n.id}${q}`,
    date: n.updatedAt,
    ...(format === 'atom' ? { published } : {}),
    description: html`<p>${dates}</p><p>${excerpt(text('changes'))}</p>`.value,
    content: content.value,
  };
}

function buildFeed(s: PageSnapshot, lang: Lang, format: Format): Feed {
  const exchange = localized(lang, s.page.nameJa, s.page.nameEn);
  const q = langQuery(lang);
  const feed = new Feed({
    title: t(lang, 'feed.title', { exchange }),
    description: t(lang, 'feed.description', { exchange }),
    id: `${s.page.url}/history${q}`,
    link: `${s.page.url}/${q}`,
    language: lang,
    updated: s.changedAt,
    generator: 'kinkyu',
    copyright: exchange,
    // Atom requires an author for every entry; the exchange publishes them all.
    author: { name: exchange, link: `${s.page.url}/${q}` },
    feedLinks: { atom: `${s.page.url}/history.atom${q}`, rss: `${s.page.url}/history.rss${q}` },
  });
  const entries: Incident[] = [...s.incidents, ...s.maintenances];
  for (const i of entries) {
    feed.addItem({
      // The library puts titles in CDATA as HTML: escaping keeps a hostile name from closing it early.
      title: escapeHtml(localized(lang, i.nameJa, i.nameEn)),
      id: `${s.page.url}/incidents/${i.id}`,
      link: `${s.page.url}/incidents/${i.id}${q}`,
      // Atom <updated>; RSS <pubDate> (the library prefers `published` for it, so RSS items get none).
      date: i.updatedAt,
      ...(format === 'atom' ? { published: i.createdAt } : {}),
      description: incidentDescription(s, lang, i).value,
      content: incidentContent(s, lang, i).value,
    });
  }
  // Regulatory notices are entries of their own, next to incidents, dated by their last correction.
  for (const n of s.notices) feed.addItem(noticeItem(s, lang, n, q, format));
  feed.items.sort((a, b) => b.date.getTime() - a.date.getTime());
  return feed;
}

export function renderAtom(s: PageSnapshot, lang: Lang): string {
  const xml = buildFeed(s, lang, 'atom').atom1();
  // The library has no option for the feed's language in Atom: xml:lang on the root (RFC 4287 §2).
  if (!xml.includes(ATOM_ROOT)) throw new Error('unexpected Atom root element from the feed library');
  return xml.replace(ATOM_ROOT, `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${lang}">`);
}

/** RSS 2.0 with `<language>` and a `<description>` on every item. */
export const renderRss = (s: PageSnapshot, lang: Lang): string => buildFeed(s, lang, 'rss').rss2();
