/** Component statuses exactly as Atlassian Statuspage names them, from best to worst. */
export const COMPONENT_STATUSES = [
  'operational',
  'under_maintenance',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export function isComponentStatus(value: unknown): value is ComponentStatus {
  return typeof value === 'string' && (COMPONENT_STATUSES as readonly string[]).includes(value);
}

/** Higher is worse. Maintenance ranks above operational but below any failure. */
export function componentStatusRank(status: ComponentStatus): number {
  return COMPONENT_STATUSES.indexOf(status);
}

export function worstComponentStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let worst: ComponentStatus = 'operational';
  for (const s of statuses) if (componentStatusRank(s) > componentStatusRank(worst)) worst = s;
  return worst;
}

export interface Component {
  id: string;
  groupId: string | null;
  isGroup: boolean;
  nameJa: string;
  nameEn: string;
  descriptionJa: string | null;
  descriptionEn: string | null;
  position: number;
  status: ComponentStatus;
  showcase: boolean;
  onlyShowIfDegraded: boolean;
  startDate: string | null;
  createdAt: Date;
  updatedAt: Date;
}
