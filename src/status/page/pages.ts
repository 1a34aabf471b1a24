import { worstComponentStatus, type Component } from '../../domain/component.ts';
import { isIncidentOpen, type Incident } from '../../domain/incident.ts';
import type { UptimeHistory } from '../../domain/uptime.ts';
import { html, multiline, type SafeHtml } from '../../web/html.ts';
import { formatDateTime, t, type Lang, type MessageKey, localized } from '../../web/i18n.ts';
import { layout } from '../../web/layout.ts';
import { LINKED_MONTHS, monthOf, shiftMonth } from './month-archive.ts';
import { activeMaintenances, openIncidents, upcomingMaintenances, type PageSnapshot } from './snapshot.ts';
import { noticesSection } from '../../notices/status-section.ts';
import { postmortemUpdate } from '../api-v2.ts';
import { langQuery } from '../../web/links.ts';

export interface PageContext {
  snapshot: PageSnapshot;
  lang: Lang;
  /** Set when the database has not answered for a while: the page says how old it is. */
  staleSince: Date | null;
  lastCheckedAt: Date;
  officialXUrl: string;
}

const exchangeName = (c: PageContext) => localized(c.lang, c.snapshot.page.nameJa, c.snapshot.page.nameEn);
const when = (c: PageContext, d: Date) => formatDateTime(c.lang, d, c.snapshot.page.timeZone);
const componentName = (c: PageContext, comp: Component) => localized(c.lang, comp.nameJa, comp.nameEn);
const incidentName = (c: PageContext, i: Incident) => localized(c.lang, i.nameJa, i.nameEn);

function statusLabel(c: PageContext, i: Incident): string {
  return t(c.lang, i.kind === 'maintenance' ? `maintenance.${i.status}` as never : `incident.${i.status}` as never);
}

/**
 * A page only the live server can answer (the help center, the lock, the contact form, subscriptions, terms):
 * linked at PUBLIC_URL, so the same link works from the static mirror on another host.
 */
export const liveHref = (c: PageContext, path: string) => `${c.snapshot.page.url}${path}${langQuery(c.lang)}`;

export function header(c: PageContext): SafeHtml {
  return html`<p class="site-name"><a href="/${langQuery(c.lang)}">${t(c.lang, 'site.statusTitle', { exchange: exchangeName(c) })}</a></p>
<nav class="site-links" aria-label="${t(c.lang, 'site.linksLabel')}"><ul>
<li><a href="${liveHref(c, '/help')}">${t(c.lang, 'site.helpCenter')}</a></li>
<li><a class="site-lock" href="${liveHref(c, '/help/lock')}">${t(c.lang, 'site.lockAccount')}</a></li>
</ul></nav>`;
}

export function staleNotice(c: PageContext): SafeHtml | string {
  if (!c.staleSince) return '';
  return html`<p class="stale" role="alert">${t(c.lang, 'site.stale', { time: when(c, c.snapshot.loadedAt) })}
<a href="${c.officialXUrl}" rel="noopener">X</a></p>`;
}

export function footer(c: PageContext): SafeHtml {
  const q = langQuery(c.lang);
  return html`<footer class="site-footer">
<p>${t(c.lang, 'site.lastChecked', { time: when(c, c.lastCheckedAt) })}</p>
<p>${t(c.lang, 'site.timesIn')}</p>
<ul>
<li><a href="/history${q}">${t(c.lang, 'site.history')}</a></li>
<li><a href="/history.atom${q}">Atom</a></li>
<li><a href="/history.rss${q}">RSS</a></li>
<li><a href="/api/v2/summary.json${q}">${t(c.lang, 'site.api')}</a></li>
<li><a href="${c.officialXUrl}" rel="noopener">X</a></li>
<li><a href="${liveHref(c, '/contact')}">${t(c.lang, 'site.contact')}</a></li>
<li><a href="${liveHref(c, '/subscribe')}">${t(c.lang, 'notify.subscribeLink')}</a></li>
</ul>
<p>${t(c.lang, 'site.poweredBy')}</p>
</footer>`;
}

function updatesList(c: PageContext, i: Incident, limit?: number): SafeHtml {
  const updates = limit ? i.updates.slice(0, limit) : i.updates;
  return html`<ol class="updates" reversed>
${updates.map(
  (u) => html`<li>
<p><span class="state">${t(c.lang, (i.kind === 'maintenance' ? `maintenance.${u.status}` : `incident.${u.status}`) as never)}</span>
<time class="meta" datetime="${u.displayAt.toISOString()}">${when(c, u.displayAt)}</time></p>
<p>${multiline(localized(c.lang, u.bodyJa, u.bodyEn))}</p>
${u.editedAt ? html`<p class="meta">${t(c.lang, 'page.edited', { time: when(c, u.editedAt) })}</p>` : ''}
</li>`,
)}
</ol>`;
}

function affectedList(c: PageContext, i: Incident): SafeHtml | string {
  const names = c.snapshot.components.filter((x) => i.componentIds.includes(x.id)).map((x) => componentName(c, x));
  if (names.length === 0) return '';
  return html`<p class="meta">${t(c.lang, 'page.affected')}: ${names.join(t(c.lang, 'list.separator'))}</p>`;
}

function maintenanceWindow(c: PageContext, i: Incident): SafeHtml | string {
  if (i.kind !== 'maintenance' || !i.scheduledFor || !i.scheduledUntil) return '';
  return html`<p class="meta">${t(c.lang, 'page.window', { from: when(c, i.scheduledFor), until: when(c, i.scheduledUntil) })}</p>`;
}

/** One incident as the status page shows it (also the composer's preview of the status page card). */
export function incidentCard(c: PageContext, i: Incident, opts: { updates?: number } = {}): SafeHtml {
  const title = html`<a href="/incidents/${i.id}${langQuery(c.lang)}">${incidentName(c, i)}</a>`;
  return html`<article class="incident impact-${i.impact}">
<h3>${title}</h3>
<p class="meta">${statusLabel(c, i)} · ${t(c.lang, `impact.${i.impact}`)}</p>
${maintenanceWindow(c, i)}
${affectedList(c, i)}
${updatesList(c, i, opts.updates)}
</article>`;
}

function uptimeBars(c: PageContext, history: UptimeHistory | undefined): SafeHtml {
  if (!history || history.overall === null) return html`<p class="meta">${t(c.lang, 'page.uptimeNoData')}</p>`;
  const pct = (v: number) => `${(Math.floor(v * 10000) / 100).toFixed(2)}%`;
  const badDays = history.days.filter((d) => d.worst && d.worst !== 'operational');
  return html`<p class="meta">${t(c.lang, 'page.uptime90', { percent: pct(history.overall) })}</p>
<ol class="bars" aria-hidden="true">${history.days.map((d) => {
    const title = d.uptime === null ? t(c.lang, 'page.dayNoData', { date: d.date }) : t(c.lang, 'page.dayDetail', { date: d.date, percent: pct(d.uptime) });
    return html`<li class="d-${d.worst ?? 'none'}" title="${title}"></li>`;
  })}</ol>
<div class="bars-legend" aria-hidden="true"><span>${t(c.lang, 'page.daysAgo90')}</span><span>${t(c.lang, 'page.today')}</span></div>
${badDays.length
    ? html`<details class="bad-days"><summary>${t(c.lang, 'page.badDays')} (${badDays.length})</summary><ul>${badDays.map(
        (d) => html`<li>${d.date}: ${t(c.lang, `component.${d.worst as Component['status']}`)} · ${pct(d.uptime ?? 1)}</li>`,
      )}</ul></details>`
    : ''}`;
}

function componentStatus(c: PageContext, status: Component['status']): SafeHtml {
  return html`<span class="status s-${status}">${t(c.lang, `component.${status}`)}</span>`;
}

function componentsSection(c: PageContext): SafeHtml {
  const all = c.snapshot.components;
  const visible = (x: Component) => !x.onlyShowIfDegraded || x.status !== 'operational';
  const topLevel = all.filter((x) => x.groupId === null && visible(x));
  const item = (comp: Component) => html`<li class="component">
<div class="component-row"><span>${componentName(c, comp)}</span>${componentStatus(c, comp.status)}</div>
${uptimeBars(c, c.snapshot.uptime.get(comp.id))}
</li>`;
  return html`<section aria-labelledby="components-h"><h2 id="components-h">${t(c.lang, 'page.components')}</h2>
<ul class="groups">
${topLevel.map((top) => {
    if (!top.isGroup) return html`<li class="group"><ul class="components">${item(top)}</ul></li>`;
    const children = all.filter((x) => x.groupId === top.id && visible(x));
    const worst = worstComponentStatus(children.map((x) => x.status));
    return html`<li class="group"><h3><span>${componentName(c, top)}</span>${componentStatus(c, worst)}</h3>
<ul class="components">${children.map(item)}</ul></li>`;
  })}
</ul></section>`;
}

export function renderStatusPage(c: PageContext): string {
  const s = c.snapshot;
  const open = openIncidents(s);
  const active = activeMaintenances(s);
  const upcoming = upcomingMaintenances(s);
  const recent = s.incidents.filter((i) => !isIncidentOpen(i.status)).slice(0, 5);
  const advice = s.indicator === 'minor' || s.indicator === 'major' || s.indicator === 'critical'
    ? html`<p>${t(c.lang, `indicator.advice.${s.indicator}`)}</p>` : '';
  const body = html`${staleNotice(c)}
<section class="banner ind-${s.indicator}" aria-live="polite">
<h1 class="banner-title">${t(c.lang, `indicator.${s.indicator}`)}</h1>
${advice}
</section>
<p class="subscribe-link"><a href="${liveHref(c, '/subscribe')}">${t(c.lang, 'notify.subscribeLink')}</a></p>
${open.length ? html`<section aria-labelledby="active-h"><h2 id="active-h">${t(c.lang, 'page.activeIncidents')}</h2>
${open.map((i) => incidentCard(c, i))}</section>` : ''}
${active.length ? html`<section aria-labelledby="maint-active-h"><h2 id="maint-active-h">${t(c.lang, 'page.activeMaintenance')}</h2>
${active.map((i) => incidentCard(c, i))}</section>` : ''}
${upcoming.length ? html`<section aria-labelledby="maint-h"><h2 id="maint-h">${t(c.lang, 'page.upcomingMaintenance')}</h2>
${upcoming.map((i) => incidentCard(c, i, { updates: 1 }))}</section>` : ''}
${noticesSection(c)}
${componentsSection(c)}
<section aria-labelledby="recent-h"><h2 id="recent-h">${t(c.lang, 'page.recentIncidents')}</h2>
${recent.length
    ? html`<ul class="history">${recent.map((i) => html`<li><a href="/incidents/${i.id}${langQuery(c.lang)}">${incidentName(c, i)}</a>
<p class="meta">${statusLabel(c, i)} · ${when(c, i.startedAt)}</p></li>`)}</ul>`
    : html`<p>${t(c.lang, 'page.noRecentIncidents')}</p>`}
<p><a href="/history${langQuery(c.lang)}">${t(c.lang, 'site.history')}</a></p>
</section>
${footer(c)}`;
  return layout({ lang: c.lang, title: t(c.lang, 'site.statusTitle', { exchange: exchangeName(c) }), body, path: '/', header: header(c) }).value;
}

/** The published postmortem (src/incident-review) at the top of the incident's page, as Statuspage shows one. */
function postmortemSection(c: PageContext, i: Incident): SafeHtml | '' {
  const pm = postmortemUpdate(i);
  if (!pm) return '';
  return html`<section class="postmortem" aria-labelledby="postmortem-h">
<h2 id="postmortem-h">${t(c.lang, 'incident.postmortem')}</h2>
<p class="meta"><time datetime="${pm.displayAt.toISOString()}">${when(c, pm.displayAt)}</time>${pm.editedAt ? html` · ${t(c.lang, 'page.edited', { time: when(c, pm.editedAt) })}` : ''}</p>
<p>${multiline(localized(c.lang, pm.bodyJa, pm.bodyEn))}</p>
</section>`;
}

export function renderIncidentPage(c: PageContext, i: Incident): string {
  const resolved = i.resolvedAt ? html`<p class="meta">${t(c.lang, 'page.resolvedAt', { time: when(c, i.resolvedAt) })}</p>` : '';
  const pm = postmortemUpdate(i);
  const body = html`${staleNotice(c)}
<article class="incident impact-${i.impact}">
<h1>${incidentName(c, i)}</h1>
<p class="meta">${statusLabel(c, i)} · ${t(c.lang, `impact.${i.impact}`)}${i.kind === 'incident' ? html` · ${t(c.lang, `type.${i.type}`)}` : ''}</p>
${maintenanceWindow(c, i)}${resolved}
${affectedList(c, i)}
${postmortemSection(c, i)}
<h2>${t(c.lang, 'page.updates')}</h2>
${updatesList(c, pm ? { ...i, updates: i.updates.filter((u) => u.id !== pm.id) } : i)}
</article>
<p><a href="/${langQuery(c.lang)}">${t(c.lang, 'site.backToStatus')}</a></p>
${footer(c)}`;
  return layout({ lang: c.lang, title: `${incidentName(c, i)} · ${t(c.lang, 'site.statusTitle', { exchange: exchangeName(c) })}`, body, path: `/incidents/${i.id}`, header: header(c) }).value;
}

function historyRow(c: PageContext, i: Incident): SafeHtml {
  return html`<li><a href="/incidents/${i.id}${langQuery(c.lang)}">${incidentName(c, i)}</a>
<p class="meta">${statusLabel(c, i)} · ${t(c.lang, `impact.${i.impact}`)} · ${when(c, i.kind === 'maintenance' && i.scheduledFor ? i.scheduledFor : i.startedAt)}</p></li>`;
}

function historyLists(c: PageContext, incidents: Incident[], maintenances: Incident[], headings: { incidents: MessageKey; maintenances: MessageKey }): SafeHtml {
  return html`<section aria-labelledby="hist-inc"><h2 id="hist-inc">${t(c.lang, headings.incidents)}</h2>
${incidents.length ? html`<ul class="history">${incidents.map((i) => historyRow(c, i))}</ul>` : html`<p>${t(c.lang, 'page.noIncidentsInHistory')}</p>`}</section>
<section aria-labelledby="hist-maint"><h2 id="hist-maint">${t(c.lang, headings.maintenances)}</h2>
${maintenances.length ? html`<ul class="history">${maintenances.map((i) => historyRow(c, i))}</ul>` : html`<p>${t(c.lang, 'page.noIncidentsInHistory')}</p>`}</section>`;
}

function monthLinks(c: PageContext, from: string, count: number): SafeHtml {
  const months = Array.from({ length: count }, (_, i) => shiftMonth(from, -i));
  return html`<nav aria-labelledby="months-h"><h2 id="months-h">${t(c.lang, 'page.byMonth')}</h2>
<ul class="console-nav">${months.map((m) => html`<li><a href="/history/${m}${langQuery(c.lang)}">${m}</a></li>`)}</ul></nav>`;
}

export function renderHistoryPage(c: PageContext): string {
  const s = c.snapshot;
  const past = [...s.maintenances.filter((m) => m.status === 'completed')].reverse();
  const body = html`${staleNotice(c)}
<h1>${t(c.lang, 'page.historyTitle')}</h1>
${historyLists(c, s.incidents, past, { incidents: 'site.history', maintenances: 'page.maintenanceHistory' })}
${monthLinks(c, monthOf(s.loadedAt, s.page.timeZone), LINKED_MONTHS)}
<p><a href="/${langQuery(c.lang)}">${t(c.lang, 'site.backToStatus')}</a></p>
${footer(c)}`;
  return layout({ lang: c.lang, title: `${t(c.lang, 'page.historyTitle')} · ${exchangeName(c)}`, body, path: '/history', header: header(c) }).value;
}

/**
 * One calendar month of incidents and maintenances, read from the database (older than the snapshot keeps).
 * `oldest`: the oldest month there is a page for (the static export's first); without it, an older month is
 * always linked (the live server answers any month).
 */
export function renderMonthPage(c: PageContext, month: string, items: Incident[], oldest?: string): string {
  const older = shiftMonth(month, -1);
  const incidents = items.filter((i) => i.kind === 'incident');
  const maintenances = items.filter((i) => i.kind === 'maintenance');
  const newer = shiftMonth(month, 1);
  const current = monthOf(c.snapshot.loadedAt, c.snapshot.page.timeZone);
  const body = html`<h1>${t(c.lang, 'page.monthTitle', { month })}</h1>
${historyLists(c, incidents, maintenances, { incidents: 'page.monthIncidents', maintenances: 'page.monthMaintenance' })}
<nav><ul class="console-nav">
${oldest === undefined || older >= oldest ? html`<li><a href="/history/${older}${langQuery(c.lang)}" rel="prev">${t(c.lang, 'page.olderMonth')}</a></li>` : ''}
${newer <= current ? html`<li><a href="/history/${newer}${langQuery(c.lang)}" rel="next">${t(c.lang, 'page.newerMonth')}</a></li>` : ''}
<li><a href="/history${langQuery(c.lang)}">${t(c.lang, 'site.history')}</a></li>
</ul></nav>
${footer(c)}`;
  return layout({ lang: c.lang, title: `${t(c.lang, 'page.monthTitle', { month })} · ${exchangeName(c)}`, body, path: `/history/${month}`, header: header(c) }).value;
}

export function renderNotFoundPage(c: PageContext): string {
  const body = html`<h1>404</h1><p>${t(c.lang, 'page.notFound')}</p><p><a href="/${langQuery(c.lang)}">${t(c.lang, 'site.backToStatus')}</a></p>`;
  return layout({ lang: c.lang, title: `404 · ${exchangeName(c)}`, body, path: '/', header: header(c), robots: 'noindex' }).value;
}
