import { KinkyuError } from './errors.ts';
import type { ComponentStatus } from './component.ts';

/** The seed's five kinds of emergency. */
export const INCIDENT_TYPES = ['outage', 'security', 'trading', 'regulatory', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

export type Impact = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';
export type IncidentKind = 'incident' | 'maintenance';

export const isIncidentType = (v: unknown): v is IncidentType =>
  typeof v === 'string' && (INCIDENT_TYPES as readonly string[]).includes(v);
export const isSeverity = (v: unknown): v is Severity =>
  typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
export const isIncidentStatus = (v: unknown): v is IncidentStatus =>
  typeof v === 'string' && (INCIDENT_STATUSES as readonly string[]).includes(v);
export const isMaintenanceStatus = (v: unknown): v is MaintenanceStatus =>
  typeof v === 'string' && (MAINTENANCE_STATUSES as readonly string[]).includes(v);

/** Statuspage's `impact`, derived from our severity so that one decision drives both. */
export function impactOfSeverity(severity: Severity): Impact {
  switch (severity) {
    case 'SEV1':
      return 'critical';
    case 'SEV2':
      return 'major';
    case 'SEV3':
      return 'minor';
    case 'SEV4':
      return 'none';
  }
}

const ACTIVE_INCIDENT: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring'];

export function isIncidentOpen(status: IncidentStatus | MaintenanceStatus): boolean {
  return status !== 'resolved' && status !== 'postmortem' && status !== 'completed';
}

/**
 * While an incident is open the commander may move freely between investigating, identified and monitoring
 * (a fix that did not hold sends "monitoring" back to "identified"), and may resolve it from any of them.
 * A resolved incident only moves on to its postmortem; reopening it would rewrite what users were told,
 * so a recurrence is declared as a new incident.
 */
export function assertIncidentTransition(from: IncidentStatus, to: IncidentStatus): void {
  if (from === to && ACTIVE_INCIDENT.includes(from)) return;
  const allowed =
    (ACTIVE_INCIDENT.includes(from) && (ACTIVE_INCIDENT.includes(to) || to === 'resolved')) ||
    (from === 'resolved' && to === 'postmortem');
  if (!allowed) throw new KinkyuError('ILLEGAL_INCIDENT_TRANSITION', { from, to });
}

const MAINTENANCE_NEXT: Record<MaintenanceStatus, readonly MaintenanceStatus[]> = {
  scheduled: ['scheduled', 'in_progress'],
  in_progress: ['in_progress', 'verifying', 'completed'],
  verifying: ['verifying', 'in_progress', 'completed'],
  completed: [],
};

export function assertMaintenanceTransition(from: MaintenanceStatus, to: MaintenanceStatus): void {
  if (!MAINTENANCE_NEXT[from].includes(to)) throw new KinkyuError('ILLEGAL_MAINTENANCE_TRANSITION', { from, to });
}

export interface AffectedComponent {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export type Visibility = 'public' | 'internal';

export interface IncidentUpdate {
  id: string;
  incidentId: string;
  status: IncidentStatus | MaintenanceStatus;
  visibility: Visibility;
  bodyJa: string;
  bodyEn: string | null;
  affectedComponents: AffectedComponent[];
  deliverNotifications: boolean;
  authorId: string | null;
  createdAt: Date;
  displayAt: Date;
  /** Set when staff corrected the text after publishing. */
  editedAt: Date | null;
}

export interface Incident {
  id: string;
  kind: IncidentKind;
  type: IncidentType;
  severity: Severity;
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | MaintenanceStatus;
  impact: Impact;
  componentIds: string[];
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date;
  monitoringAt: Date | null;
  resolvedAt: Date | null;
  scheduledFor: Date | null;
  scheduledUntil: Date | null;
  autoTransition: boolean;
  updates: IncidentUpdate[];
  /** Set for a drill's incident (src/drills): never shown publicly, never changes a real component. */
  drillId?: string | null;
  /** Statuspage's postmortem_ignored: staff decided this incident needs no postmortem. */
  postmortemIgnored?: boolean;
  /** Statuspage's postmortem_notified_twitter: the postmortem went to the exchange's X account too. */
  postmortemNotifiedTwitter?: boolean;
}
