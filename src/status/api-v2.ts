import { worstComponentStatus, type Component } from '../domain/component.ts';
import type { Incident, IncidentUpdate } from '../domain/incident.ts';
import type { Lang } from '../web/i18n.ts';
import { t, localized } from '../web/i18n.ts';
import { activeMaintenances, openIncidents, upcomingMaintenances, type PageSnapshot } from './page/snapshot.ts';
import { isoInZone, isoOrNull } from '../domain/iso-time.ts';

/**
 * Atlassian Statuspage public API v2, field for field, so existing widgets, aggregators and client
 * libraries read kinkyu unchanged. Names and texts follow `lang` (?lang=en); the default is Japanese.
 */
export type ApiEndpoint =
  | 'summary'
  | 'status'
  | 'components'
  | 'incidents'
  | 'incidents_unresolved'
  | 'scheduled_maintenances'
  | 'scheduled_maintenances_active'
  | 'scheduled_maintenances_upcoming';

export const API_PATHS: Record<string, ApiEndpoint> = {
  '/api/v2/summary.json': 'summary',
  '/api/v2/status.json': 'status',
  '/api/v2/components.json': 'components',
  '/api/v2/incidents.json': 'incidents',
  '/api/v2/incidents/unresolved.json': 'incidents_unresolved',
  '/api/v2/scheduled-maintenances.json': 'scheduled_maintenances',
  '/api/v2/scheduled-maintenances/active.json': 'scheduled_maintenances_active',
  '/api/v2/scheduled-maintenances/upcoming.json': 'scheduled_maintenances_upcoming',
};

/** The incident's published postmortem: its newest update with status `postmortem` (src/incident-review). */
export function postmortemUpdate(i: Incident): IncidentUpdate | undefined {
  return [...i.updates].filter((u) => u.status === 'postmortem' && u.visibility === 'public').sort((a, b) => b.displayAt.getTime() - a.displayAt.getTime())[0];
}

/**
 * Statuspage's postmortem fields, as its manage API and webhooks carry them: the body as published (edits show in
 * `postmortem_body_last_updated_at`), when it was published, and whether subscribers and X were told.
 */
export function postmortemFields(i: Incident, lang: Lang, timeZone: string) {
  const pm = postmortemUpdate(i);
  return {
    postmortem_body: pm ? localized(lang, pm.bodyJa, pm.bodyEn) : null,
    postmortem_body_last_updated_at: pm ? isoInZone(pm.editedAt ?? pm.createdAt, timeZone) : null,
    postmortem_ignored: !pm && (i.postmortemIgnored ?? false),
    postmortem_notified_subscribers: pm?.deliverNotifications ?? false,
    postmortem_notified_twitter: pm ? (i.postmortemNotifiedTwitter ?? false) : false,
    postmortem_published_at: pm ? isoInZone(pm.displayAt, timeZone) : null,
  };
}

class ApiView {
  constructor(
    private readonly s: PageSnapshot,
    private readonly lang: Lang,
  ) {}

  private time(d: Date): string {
    return isoInZone(d, this.s.page.timeZone);
  }

  page() {
    const p = this.s.page;
    return {
      id: p.id,
      name: localized(this.lang, p.nameJa, p.nameEn),
      url: p.url,
      time_zone: p.timeZone,
      updated_at: this.time(this.s.changedAt),
    };
  }

  status() {
    return { indicator: this.s.indicator, description: t(this.lang, `indicator.${this.s.indicator}`) };
  }

  component(c: Component) {
    const children = c.isGroup ? this.s.components.filter((x) => x.groupId === c.id).map((x) => x.id) : undefined;
    return {
      id: c.id,
      name: localized(this.lang, c.nameJa, c.nameEn),
      status: c.isGroup ? groupStatus(this.s.components, c.id) : c.status,
      created_at: this.time(c.createdAt),
      updated_at: this.time(c.updatedAt),
      position: c.position,
      description: localized(this.lang, c.descriptionJa, c.descriptionEn) ?? null,
      showcase: c.showcase,
      start_date: c.startDate,
      group_id: c.groupId,
      page_id: this.s.page.id,
      group: c.isGroup,
      only_show_if_degraded: c.onlyShowIfDegraded,
      ...(children ? { components: children } : {}),
    };
  }

  components() {
    return this.s.components.map((c) => this.component(c));
  }

  private update(u: IncidentUpdate) {
    return {
      id: u.id,
      status: u.status,
      body: localized(this.lang, u.bodyJa, u.bodyEn),
      incident_id: u.incidentId,
      created_at: this.time(u.createdAt),
      updated_at: this.time(u.editedAt ?? u.createdAt),
      display_at: this.time(u.displayAt),
      affected_components: u.affectedComponents.length
        ? u.affectedComponents.map((a) => ({ ...a, name: this.componentName(a.code) ?? a.name }))
        : null,
      deliver_notifications: u.deliverNotifications,
      custom_tweet: null,
      tweet_id: null,
    };
  }

  private componentName(id: string): string | undefined {
    const c = this.s.components.find((x) => x.id === id);
    return c && (localized(this.lang, c.nameJa, c.nameEn));
  }

  incident(i: Incident) {
    const tz = this.s.page.timeZone;
    const base = {
      id: i.id,
      name: localized(this.lang, i.nameJa, i.nameEn),
      status: i.status,
      created_at: this.time(i.createdAt),
      updated_at: this.time(i.updatedAt),
      monitoring_at: isoOrNull(i.monitoringAt, tz),
      resolved_at: isoOrNull(i.resolvedAt, tz),
      impact: i.impact,
      shortlink: `${this.s.page.url}/incidents/${i.id}`,
      started_at: this.time(i.startedAt),
      page_id: this.s.page.id,
      incident_updates: i.updates.map((u) => this.update(u)),
      components: this.s.components.filter((c) => i.componentIds.includes(c.id)).map((c) => this.component(c)),
    };
    // Statuspage's public v2 JSON often leaves the postmortem fields out; clients ignore unknown fields, so they are served.
    if (i.kind !== 'maintenance') return { ...base, ...postmortemFields(i, this.lang, tz) };
    return {
      ...base,
      scheduled_for: isoOrNull(i.scheduledFor, tz),
      scheduled_until: isoOrNull(i.scheduledUntil, tz),
    };
  }
}

/** A group shows the worst status of its members. */
function groupStatus(all: readonly Component[], groupId: string): Component['status'] {
  return worstComponentStatus(all.filter((c) => c.groupId === groupId).map((c) => c.status));
}

const newestFirst = (a: Incident, b: Incident) => b.createdAt.getTime() - a.createdAt.getTime();

export function renderApi(endpoint: ApiEndpoint, s: PageSnapshot, lang: Lang): unknown {
  const v = new ApiView(s, lang);
  const page = v.page();
  const incidents = (list: Incident[]) => list.map((i) => v.incident(i));
  switch (endpoint) {
    case 'summary':
      return {
        page,
        components: v.components(),
        incidents: incidents(openIncidents(s).sort(newestFirst)),
        scheduled_maintenances: incidents([...activeMaintenances(s), ...upcomingMaintenances(s)]),
        status: v.status(),
      };
    case 'status':
      return { page, status: v.status() };
    case 'components':
      return { page, components: v.components() };
    case 'incidents':
      return { page, incidents: incidents([...s.incidents].sort(newestFirst).slice(0, 50)) };
    case 'incidents_unresolved':
      return { page, incidents: incidents(openIncidents(s).sort(newestFirst)) };
    case 'scheduled_maintenances':
      return { page, scheduled_maintenances: incidents([...s.maintenances].sort(newestFirst).slice(0, 50)) };
    case 'scheduled_maintenances_active':
      return { page, scheduled_maintenances: incidents(activeMaintenances(s)) };
    case 'scheduled_maintenances_upcoming':
      return { page, scheduled_maintenances: incidents(upcomingMaintenances(s)) };
  }
}
