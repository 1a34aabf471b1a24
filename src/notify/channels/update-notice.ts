import type { IncidentStatus, MaintenanceStatus } from '../../domain/incident.ts';
import { renderApi } from '../../status/api-v2.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { t, type Lang } from '../../web/i18n.ts';

/** One published incident update, as the short channels (Slack, X) tell it. */
export interface UpdateNotice {
  lang: Lang;
  updateId: string;
  incidentName: string;
  /** Localized status, e.g. 調査中 / Investigating. */
  statusLabel: string;
  body: string;
  /** The incident's page (the /api/v2 shortlink). */
  url: string;
  at: Date;
  timeZone: string;
}

interface ShapedUpdate {
  id: string;
  status: IncidentStatus | MaintenanceStatus;
  body: string;
  display_at: string;
}
interface ShapedIncident {
  name: string;
  shortlink: string;
  incident_updates: ShapedUpdate[];
}

/**
 * Reads name, body, status and link through the /api/v2 renderer, so every channel shows what the status page
 * API shows (English falls back to Japanese where no translation was written). Null when the snapshot does
 * not hold the incident or the (public) update.
 */
export function updateNotice(s: PageSnapshot, incidentId: string, updateId: string, lang: Lang): UpdateNotice | null {
  const incident = s.incidents.find((i) => i.id === incidentId);
  const maintenance = s.maintenances.find((i) => i.id === incidentId);
  const source = incident ?? maintenance;
  if (!source) return null;
  const shaped = incident
    ? (renderApi('incidents', { ...s, incidents: [incident] }, lang) as { incidents: ShapedIncident[] }).incidents[0]
    : (renderApi('scheduled_maintenances', { ...s, maintenances: [source] }, lang) as { scheduled_maintenances: ShapedIncident[] })
        .scheduled_maintenances[0];
  const update = shaped?.incident_updates.find((u) => u.id === updateId);
  const domainUpdate = source.updates.find((u) => u.id === updateId);
  if (!shaped || !update || !domainUpdate) return null;
  const statusLabel = t(lang, source.kind === 'maintenance' ? `maintenance.${update.status as MaintenanceStatus}` : `incident.${update.status as IncidentStatus}`);
  return {
    lang,
    updateId,
    incidentName: shaped.name,
    statusLabel,
    // A postmortem is long: the short channels say it is out and link to it (email and webhooks carry it whole).
    body: update.status === 'postmortem' ? t(lang, 'review.pm.shortNotice') : update.body,
    url: shaped.shortlink,
    at: domainUpdate.displayAt,
    timeZone: s.page.timeZone,
  };
}
