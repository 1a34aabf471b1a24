import type { Db } from '../../store/db.ts';
import type { Component } from '../../domain/component.ts';
import type { Incident } from '../../domain/incident.ts';
import { isIncidentOpen } from '../../domain/incident.ts';
import { pageIndicator, type Indicator } from '../../domain/rollup.ts';
import { dayWindow, startOfZonedDay, uptimeHistory, type StatusChange, type UptimeHistory } from '../../domain/uptime.ts';
import { listComponents, listIncidentsForPage, pageVersion, statusHistorySince } from '../repository.ts';
import { listPublishedNotices, type Notice } from '../../notices/notices.ts';
import { monitorHoursByComponent, withMonitorChecks, type MonitorHour } from '../../monitors/uptime-bars.ts';

export const UPTIME_DAYS = 90;
/** How many closed incidents (and, separately, maintenances) the page and API keep at hand. */
export const RECENT_LIMIT = 50;
/** How many published notices the page, /notices and the feeds keep at hand. */
export const NOTICES_LIMIT = 50;

export interface PageInfo {
  id: string;
  nameJa: string;
  nameEn: string;
  url: string;
  timeZone: string;
}

/** Everything the public page, API and feeds show, read in one go; rendering never touches the database. */
export interface PageSnapshot {
  version: number;
  changedAt: Date;
  loadedAt: Date;
  page: PageInfo;
  components: Component[];
  incidents: Incident[];
  maintenances: Incident[];
  uptime: Map<string, UptimeHistory>;
  indicator: Indicator;
  /** Every incident and maintenance id, so pages for unknown ids are answered without the database. */
  knownIds: Set<string>;
  /** Published regulatory notices, newest first (src/notices). */
  notices: Notice[];
  /** Every published or withdrawn notice id: pages for other ids are answered without the database. */
  knownNoticeIds: Set<string>;
}

/** Reads everything in one repeatable-read transaction, so the version and the data belong together. */
export async function loadSnapshot(db: Db, page: PageInfo, now: Date): Promise<PageSnapshot> {
  const windowStart = startOfZonedDay(new Date(now.getTime() - (UPTIME_DAYS - 1) * 86_400_000), page.timeZone);
  const input = await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { version, changedAt } = await pageVersion(tx);
    const components = await listComponents(tx);
    const incidents = await listIncidentsForPage(tx, { recentLimit: RECENT_LIMIT });
    const history = await statusHistorySince(tx, windowStart);
    const monitorChecks = await monitorHoursByComponent(tx, windowStart);
    const ids = await tx.query<{ id: string }>('SELECT id FROM incidents WHERE drill_id IS NULL');
    const notices = await listPublishedNotices(tx, NOTICES_LIMIT);
    const noticeIds = await tx.query<{ id: string }>(`SELECT id FROM notices WHERE status <> 'draft'`);
    return {
      version, changedAt, components, incidents, history, monitorChecks, knownIds: new Set(ids.map((r) => r.id)),
      notices, knownNoticeIds: new Set(noticeIds.map((r) => r.id)),
    };
  });
  return buildSnapshot({ ...input, loadedAt: now, page });
}

export type SnapshotInput = Pick<PageSnapshot, 'version' | 'changedAt' | 'loadedAt' | 'page' | 'components' | 'incidents'> & {
  knownIds?: Set<string>;
  notices?: Notice[];
  knownNoticeIds?: Set<string>;
  /** Status changes per component since the window start, with the last one before it. */
  history: Map<string, StatusChange[]>;
  /** Hourly monitor checks per bound component (src/monitors/uptime-bars.ts): they can lower a day's uptime. */
  monitorChecks?: Map<string, MonitorHour[]>;
};

export function buildSnapshot(input: SnapshotInput): PageSnapshot {
  const incidents = input.incidents.filter((i) => i.kind === 'incident');
  const maintenances = input.incidents
    .filter((i) => i.kind === 'maintenance')
    .sort((a, b) => (a.scheduledFor?.getTime() ?? 0) - (b.scheduledFor?.getTime() ?? 0));
  const uptime = new Map<string, UptimeHistory>();
  const window = dayWindow(input.loadedAt, UPTIME_DAYS, input.page.timeZone);
  for (const c of input.components) {
    if (c.isGroup) continue;
    uptime.set(
      c.id,
      withMonitorChecks(uptimeHistory({
        changes: input.history.get(c.id) ?? [],
        createdAt: c.createdAt,
        now: input.loadedAt,
        days: UPTIME_DAYS,
        timeZone: input.page.timeZone,
        window,
      }), input.monitorChecks?.get(c.id), window, c.createdAt, input.loadedAt),
    );
  }
  const indicator = pageIndicator({
    openIncidentImpacts: incidents.filter((i) => isIncidentOpen(i.status)).map((i) => i.impact),
    componentStatuses: input.components.filter((c) => !c.isGroup).map((c) => c.status),
    maintenanceInProgress: maintenances.some((m) => m.status === 'in_progress' || m.status === 'verifying'),
  });
  const { history: _history, monitorChecks: _monitorChecks, ...rest } = input;
  const notices = input.notices ?? [];
  return {
    ...rest, incidents, maintenances, uptime, indicator, knownIds: input.knownIds ?? new Set(input.incidents.map((i) => i.id)),
    notices, knownNoticeIds: input.knownNoticeIds ?? new Set(notices.map((n) => n.id)),
  };
}

export const openIncidents = (s: PageSnapshot) => s.incidents.filter((i) => isIncidentOpen(i.status));
export const activeMaintenances = (s: PageSnapshot) =>
  s.maintenances.filter((m) => m.status === 'in_progress' || m.status === 'verifying');
export const upcomingMaintenances = (s: PageSnapshot) => s.maintenances.filter((m) => m.status === 'scheduled');
