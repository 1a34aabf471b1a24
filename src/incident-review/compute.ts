/**
 * The numbers of a post-incident review, computed from the record (pure: no I/O, no clock but the one given).
 * Everything here is recomputed whenever the review is read, so it never drifts from what happened.
 */
import type { ComponentStatus } from '../domain/component.ts';
import { t } from '../web/i18n.ts';

export type Channel = 'email' | 'webhook' | 'slack' | 'x';

/** A component's status changes, oldest first; the first entry is the state at (or before) the window's start. */
export interface StatusChange {
  status: ComponentStatus;
  at: Date;
}

export interface ReviewRecord {
  declaredAt: Date;
  /** The first public update users could read (the declaration itself, normally). */
  firstPublicUpdateAt: Date | null;
  resolvedAt: Date | null;
  /** The first failing monitor check in the failure run that led here (null: no monitor saw it). */
  firstFailureAt: Date | null;
  /** Where the first failure came from (a monitor's name), for people reading the review. */
  firstFailureSource: string | null;
  /** Per component of the incident: its status history around the incident. */
  componentHistory: ReadonlyMap<string, readonly StatusChange[]>;
  /** Tickets linked to the incident: when filed and when first answered (automatic answer or a person). */
  tickets: readonly { createdAt: Date; answeredAt: Date | null; security: boolean }[];
  /** Deliveries per channel and outcome. */
  notifications: Partial<Record<Channel, { sent: number; pending: number; failed: number; skipped: number }>>;
  /** For a drill: what the X and Slack stand-ins received. */
  standIns?: Partial<Record<'x' | 'slack', number>>;
  /** Emergency account locks taken during the incident's window, per way in. Null: not applicable (a drill). */
  locks: Readonly<Record<string, number>> | null;
}

export interface ImpactWindow {
  componentId: string;
  from: Date;
  /** Null while the component has not recovered. */
  to: Date | null;
  worst: ComponentStatus;
  /** Time spent degraded or down within [from, to or now]. */
  impactedMs: number;
}

export interface ReviewTimes {
  /** Negative when staff declared before any monitor failed. */
  failureToDeclaration: number | null;
  failureToFirstUpdate: number | null;
  declarationToFirstUpdate: number | null;
  declarationToResolution: number | null;
  failureToResolution: number | null;
}

export interface TicketFigures {
  linked: number;
  answered: number;
  unanswered: number;
  /** Time from filing to the first answer, over answered tickets. */
  medianFirstAnswerMs: number | null;
  maxFirstAnswerMs: number | null;
  security: number;
}

export interface ReviewFigures {
  /** The incident's window: from the first failure (or the declaration) to the resolution (or now). */
  windowStart: Date;
  windowEnd: Date;
  ongoing: boolean;
  times: ReviewTimes;
  impact: ImpactWindow[];
  tickets: TicketFigures;
  notifications: ReviewRecord['notifications'];
  standIns: NonNullable<ReviewRecord['standIns']>;
  locks: ReviewRecord['locks'];
  locksTotal: number | null;
}

const IMPACTED: ReadonlySet<ComponentStatus> = new Set(['degraded_performance', 'partial_outage', 'major_outage']);
const SEVERITY: Record<ComponentStatus, number> = {
  operational: 0, under_maintenance: 0, degraded_performance: 1, partial_outage: 2, major_outage: 3,
};

const diff = (a: Date | null, b: Date | null): number | null => (a && b ? b.getTime() - a.getTime() : null);

export function reviewTimes(r: Pick<ReviewRecord, 'declaredAt' | 'firstPublicUpdateAt' | 'resolvedAt' | 'firstFailureAt'>): ReviewTimes {
  return {
    failureToDeclaration: diff(r.firstFailureAt, r.declaredAt),
    failureToFirstUpdate: diff(r.firstFailureAt, r.firstPublicUpdateAt),
    declarationToFirstUpdate: diff(r.declaredAt, r.firstPublicUpdateAt),
    declarationToResolution: diff(r.declaredAt, r.resolvedAt),
    failureToResolution: diff(r.firstFailureAt, r.resolvedAt),
  };
}

/**
 * The impact window of one component: from the start of the first degraded run that overlaps the incident's window
 * (a monitor may have marked it down before anyone declared) to the end of the last one (null: still degraded at
 * `now`). Null when the component was never degraded in the window.
 */
export function impactWindow(componentId: string, changes: readonly StatusChange[], windowStart: Date, windowEnd: Date, now: Date): ImpactWindow | null {
  const sorted = [...changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  let from: Date | null = null;
  let to: Date | null = null;
  let worst: ComponentStatus = 'operational';
  let impactedMs = 0;
  for (let i = 0; i < sorted.length; i++) {
    const change = sorted[i]!;
    if (!IMPACTED.has(change.status)) continue;
    const next = sorted[i + 1];
    const runEnd = next ? next.at : null;
    // A run counts when it overlaps the window: it started before the window ends and ended after it started.
    if (change.at.getTime() > windowEnd.getTime()) break;
    if (runEnd && runEnd.getTime() <= windowStart.getTime()) continue;
    from ??= change.at;
    to = runEnd;
    if (SEVERITY[change.status] > SEVERITY[worst]) worst = change.status;
    impactedMs += (runEnd ?? now).getTime() - change.at.getTime();
  }
  if (!from) return null;
  // A run that ended with another degraded status continues: `to` is the end of the last impacted run.
  return { componentId, from, to, worst, impactedMs };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

export function ticketFigures(tickets: ReviewRecord['tickets']): TicketFigures {
  const waits = tickets.filter((t) => t.answeredAt).map((t) => Math.max(0, t.answeredAt!.getTime() - t.createdAt.getTime()));
  return {
    linked: tickets.length,
    answered: waits.length,
    unanswered: tickets.length - waits.length,
    medianFirstAnswerMs: median(waits),
    maxFirstAnswerMs: waits.length ? Math.max(...waits) : null,
    security: tickets.filter((t) => t.security).length,
  };
}

export function reviewFigures(r: ReviewRecord, now: Date): ReviewFigures {
  const windowStart = r.firstFailureAt && r.firstFailureAt < r.declaredAt ? r.firstFailureAt : r.declaredAt;
  const windowEnd = r.resolvedAt ?? now;
  const impact: ImpactWindow[] = [];
  for (const [componentId, changes] of r.componentHistory) {
    const w = impactWindow(componentId, changes, windowStart, windowEnd, now);
    if (w) impact.push(w);
  }
  impact.sort((a, b) => a.from.getTime() - b.from.getTime() || a.componentId.localeCompare(b.componentId));
  return {
    windowStart,
    windowEnd,
    ongoing: r.resolvedAt === null,
    times: reviewTimes(r),
    impact,
    tickets: ticketFigures(r.tickets),
    notifications: r.notifications,
    standIns: r.standIns ?? {},
    locks: r.locks,
    locksTotal: r.locks ? Object.values(r.locks).reduce((a, b) => a + b, 0) : null,
  };
}

/** "1 h 05 min", "3 min", "45 s"; negative durations read "-3 min". */
export function formatDuration(ms: number, lang: 'ja' | 'en'): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const totalMin = Math.floor(abs / 60_000);
  if (totalMin === 0) {
    const s = Math.round(abs / 1000);
    return t(lang, 'duration.seconds', { sign, s });
  }
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const min = totalMin % 60;
  return sign + (days ? t(lang, 'duration.days', { days }) : '') + (days || hours ? t(lang, 'duration.hours', { hours }) : '') + t(lang, 'duration.minutes', { min });
}
