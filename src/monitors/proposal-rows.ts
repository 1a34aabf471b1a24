/** Incident proposals and damped changes as the monitors' tables hold them, and as the service hands them out. */
import type { ComponentStatus } from '../domain/component.ts';
import type { IncidentType, Severity } from '../domain/incident.ts';
import type { Health } from './types.ts';

export interface Proposal {
  id: string;
  monitorId: string | null;
  monitorName: string;
  kind: 'declare' | 'resolve';
  componentStatuses: Record<string, ComponentStatus>;
  incidentType: IncidentType;
  severity: Severity;
  titleJa: string;
  titleEn: string;
  bodyJa: string;
  bodyEn: string;
  detail: string;
  incidentId: string | null;
  status: 'open' | 'accepted' | 'dismissed';
  closedReason: string | null;
  createdAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
}

export interface ProposalRow {
  id: string;
  monitor_id: string | null;
  monitor_name: string;
  kind: 'declare' | 'resolve';
  component_statuses: Record<string, ComponentStatus>;
  incident_type: IncidentType;
  severity: Severity;
  title_ja: string;
  title_en: string;
  body_ja: string;
  body_en: string;
  detail: string;
  incident_id: string | null;
  auto_publish: boolean;
  status: Proposal['status'];
  closed_reason: string | null;
  publishing_since: Date | null;
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
}

export const proposalFromRow = (r: ProposalRow): Proposal => ({
  id: r.id, monitorId: r.monitor_id, monitorName: r.monitor_name, kind: r.kind, componentStatuses: r.component_statuses,
  incidentType: r.incident_type, severity: r.severity, titleJa: r.title_ja, titleEn: r.title_en, bodyJa: r.body_ja,
  bodyEn: r.body_en, detail: r.detail, incidentId: r.incident_id, status: r.status, closedReason: r.closed_reason,
  createdAt: r.created_at, decidedAt: r.decided_at, decidedBy: r.decided_by,
});

export interface ChangeRow {
  id: string;
  monitor_id: string;
  at: Date;
  from_health: Health;
  to_health: Health;
  component_statuses: Record<string, ComponentStatus>;
  held: Record<string, ComponentStatus>;
  detail: string;
}
