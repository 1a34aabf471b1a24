/**
 * SLA clocks for support tickets: targets per priority, due dates, pausing while waiting on the user, and the
 * state shown to staff. Pure functions over values meant to live in ticket columns
 * (first_response_due_at, resolution_due_at, paused_at, first_responded_at, resolved_at).
 *
 * Storage contract: keep the due dates after the target is met; 'met' versus 'breached' is judged from
 * firstRespondedAt / resolvedAt against them, so a late answer stays visible as a breach. A null due date means the
 * target does not apply.
 */
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import type { Priority } from '../domain/ticket.ts';

const HOUR_MS = 3_600_000;
/** A business day of the default calendar (09:00–18:00). Targets are stored in ms of open time, not in days. */
const BUSINESS_DAY_MS = 9 * HOUR_MS;

/** 'business': only the calendar's open hours count; 'always': wall-clock time, around the clock. */
export type SlaClock = 'business' | 'always';

export interface SlaTarget {
  firstResponseMs: number;
  resolutionMs: number;
  clock: SlaClock;
}

export type SlaPolicy = { readonly [P in Priority]: Readonly<SlaTarget> };

export const DEFAULT_SLA_POLICY: SlaPolicy = Object.freeze({
  urgent: Object.freeze({ firstResponseMs: 1 * HOUR_MS, resolutionMs: 8 * HOUR_MS, clock: 'always' as const }),
  high: Object.freeze({ firstResponseMs: 4 * HOUR_MS, resolutionMs: 2 * BUSINESS_DAY_MS, clock: 'business' as const }),
  normal: Object.freeze({ firstResponseMs: 1 * BUSINESS_DAY_MS, resolutionMs: 5 * BUSINESS_DAY_MS, clock: 'business' as const }),
  low: Object.freeze({ firstResponseMs: 2 * BUSINESS_DAY_MS, resolutionMs: 10 * BUSINESS_DAY_MS, clock: 'business' as const }),
});

/** The SLA columns of a ticket. */
export interface SlaClockState {
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  /** Set while the ticket waits on the user (pending_user); the clock does not run. */
  pausedAt: Date | null;
}

/** What slaState and repriorize need to know about a ticket. */
export interface SlaTicket extends SlaClockState {
  priority: Priority;
  createdAt: Date;
  /** First staff reply, or null. */
  firstRespondedAt: Date | null;
  /** When the ticket was solved, or null (clear it if the ticket is reopened). */
  resolvedAt: Date | null;
}

export type SlaTargetState = 'met' | 'ok' | 'due_soon' | 'breached' | 'paused' | 'n/a';

export interface SlaState {
  firstResponse: SlaTargetState;
  resolution: SlaTargetState;
  /** Earliest due date still to be met and not paused (in the past when breached); null when none. */
  nextDueAt: Date | null;
}

/** A target is due soon when less than this share of it remains… */
export const DUE_SOON_FRACTION = 0.25;
/** …or less than this much (so urgent's 1 h first response is due soon as soon as it starts running down). */
export const DUE_SOON_MIN_MS = HOUR_MS;

function add(calendar: BusinessCalendar, clock: SlaClock, from: Date, ms: number): Date {
  return clock === 'business' ? calendar.addBusinessTime(from, ms) : new Date(from.getTime() + ms);
}

function between(calendar: BusinessCalendar, clock: SlaClock, a: Date, b: Date): number {
  return clock === 'business' ? calendar.businessTimeBetween(a, b) : Math.max(0, b.getTime() - a.getTime());
}

/** Due dates for a new ticket. A business-clock ticket filed outside hours starts counting at the next opening. */
export function initialDueDates(
  policy: SlaPolicy,
  calendar: BusinessCalendar,
  priority: Priority,
  createdAt: Date,
): { firstResponseDueAt: Date; resolutionDueAt: Date } {
  const target = policy[priority];
  return {
    firstResponseDueAt: add(calendar, target.clock, createdAt, target.firstResponseMs),
    resolutionDueAt: add(calendar, target.clock, createdAt, target.resolutionMs),
  };
}

/** Stop the clock (the ticket now waits on the user). Already paused: returned unchanged, keeping the first pause time. */
export function pauseClock<T extends SlaClockState>(state: T, at: Date): T {
  return state.pausedAt ? state : { ...state, pausedAt: at };
}

/**
 * Restart the clock (the user replied, or the ticket left pending_user). Each due date not yet met is moved later
 * by the paused time, counted in `clock`: the time that remained between pausedAt and the due date is counted
 * again from `at`. Targets already met (firstRespondedAt / resolvedAt set, when the state carries them) and due
 * dates that had already passed when the clock was paused stay where they are: a breach is not undone by a pause.
 * Not paused: returned unchanged.
 */
export function resumeClock<T extends SlaClockState & { firstRespondedAt?: Date | null; resolvedAt?: Date | null }>(
  state: T,
  clock: SlaClock,
  calendar: BusinessCalendar,
  at: Date,
): T {
  const pausedAt = state.pausedAt;
  if (!pausedAt) return state;
  const resumeAt = at.getTime() < pausedAt.getTime() ? pausedAt : at;
  const push = (due: Date | null, met: Date | null | undefined): Date | null => {
    if (due === null || met || due.getTime() <= pausedAt.getTime()) return due;
    return add(calendar, clock, resumeAt, between(calendar, clock, pausedAt, due));
  };
  return {
    ...state,
    firstResponseDueAt: push(state.firstResponseDueAt, state.firstRespondedAt ?? state.resolvedAt),
    resolutionDueAt: push(state.resolutionDueAt, state.resolvedAt),
    pausedAt: null,
  };
}

/**
 * New due dates after staff change a ticket's priority: the new priority's targets counted from createdAt, plus
 * the credit the ticket had earned from earlier pauses. The credit is the stretch by which pauses moved each stored
 * due date past where the old priority alone would have put it, measured in the new priority's clock (exact when
 * both priorities use the same clock; an approximation across clocks, e.g. normal → urgent, since the pause
 * intervals themselves are not stored). Met and not-applicable (null) targets keep their due date; a ticket
 * paused right now stays paused and is credited for this pause on resume. The new due dates may already be past:
 * raising the priority of an old ticket can breach it at once.
 */
export function repriorize<T extends SlaTicket>(
  policy: SlaPolicy,
  calendar: BusinessCalendar,
  ticket: T,
  newPriority: Priority,
): T {
  const next = policy[newPriority];
  const oldInitial = initialDueDates(policy, calendar, ticket.priority, ticket.createdAt);
  const fresh = initialDueDates(policy, calendar, newPriority, ticket.createdAt);
  const recompute = (stored: Date | null, oldBase: Date, freshBase: Date, met: Date | null): Date | null => {
    if (met || stored === null) return stored;
    const credit = between(calendar, next.clock, oldBase, stored);
    return credit > 0 ? add(calendar, next.clock, freshBase, credit) : freshBase;
  };
  return {
    ...ticket,
    priority: newPriority,
    firstResponseDueAt: recompute(
      ticket.firstResponseDueAt,
      oldInitial.firstResponseDueAt,
      fresh.firstResponseDueAt,
      ticket.firstRespondedAt ?? ticket.resolvedAt,
    ),
    resolutionDueAt: recompute(ticket.resolutionDueAt, oldInitial.resolutionDueAt, fresh.resolutionDueAt, ticket.resolvedAt),
  };
}

/**
 * Where each target stands at `now`. Met: done no later than the due date. Breached: done late, or not done and
 * `now` is past the due date (or it was already past when the clock was paused). Paused: not done, clock stopped.
 * Due soon: less than 25 % of the target or less than 1 h remains, counted in the priority's clock. A resolved
 * ticket that never got a separate first response counts the resolution as the response.
 */
export function slaState(ticket: SlaTicket, now: Date, policy: SlaPolicy, calendar: BusinessCalendar): SlaState {
  const target = policy[ticket.priority];
  const judge = (due: Date | null, doneAt: Date | null, targetMs: number): SlaTargetState => {
    if (due === null) return doneAt ? 'met' : 'n/a';
    if (doneAt) return doneAt.getTime() <= due.getTime() ? 'met' : 'breached';
    if (ticket.pausedAt) return ticket.pausedAt.getTime() > due.getTime() ? 'breached' : 'paused';
    if (now.getTime() > due.getTime()) return 'breached';
    const remaining = between(calendar, target.clock, now, due);
    return remaining < DUE_SOON_FRACTION * targetMs || remaining < DUE_SOON_MIN_MS ? 'due_soon' : 'ok';
  };
  const firstDone = ticket.firstRespondedAt ?? ticket.resolvedAt;
  const firstResponse = judge(ticket.firstResponseDueAt, firstDone, target.firstResponseMs);
  const resolution = judge(ticket.resolutionDueAt, ticket.resolvedAt, target.resolutionMs);
  const pending = [
    [firstResponse, ticket.firstResponseDueAt, firstDone],
    [resolution, ticket.resolutionDueAt, ticket.resolvedAt],
  ] as const;
  let nextDueAt: Date | null = null;
  for (const [state, due, done] of pending) {
    if (due === null || done || state === 'paused') continue;
    if (nextDueAt === null || due.getTime() < nextDueAt.getTime()) nextDueAt = due;
  }
  return { firstResponse, resolution, nextDueAt };
}
