import type { ComponentStatus } from './component.ts';
import type { Impact } from './incident.ts';

export type Indicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance';

const LEVEL: Record<'none' | 'minor' | 'major' | 'critical', number> = { none: 0, minor: 1, major: 2, critical: 3 };
const BY_LEVEL = ['none', 'minor', 'major', 'critical'] as const;

function componentLevel(status: ComponentStatus): number {
  switch (status) {
    case 'major_outage':
      return 2;
    case 'partial_outage':
    case 'degraded_performance':
      return 1;
    default:
      return 0;
  }
}

/**
 * The page indicator: the worst of every open incident's impact and every component's status.
 * Maintenance only shows when nothing is actually broken, so a real outage during a maintenance window
 * is never hidden behind a calm "under maintenance".
 */
export function pageIndicator(input: {
  openIncidentImpacts: Iterable<Impact>;
  componentStatuses: Iterable<ComponentStatus>;
  maintenanceInProgress: boolean;
}): Indicator {
  let level = 0;
  let maintenance = input.maintenanceInProgress;
  for (const impact of input.openIncidentImpacts) {
    if (impact === 'maintenance') maintenance = true;
    else level = Math.max(level, LEVEL[impact]);
  }
  for (const status of input.componentStatuses) {
    if (status === 'under_maintenance') maintenance = true;
    level = Math.max(level, componentLevel(status));
  }
  if (level === 0 && maintenance) return 'maintenance';
  return BY_LEVEL[level] ?? 'none';
}
