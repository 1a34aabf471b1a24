/**
 * Deadline arithmetic for regulatory reports (pure). Days are calendar days in the regulators' time zone; closed
 * days (weekends, Japanese national holidays, the year-end closure) come from the business calendar.
 */
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { startOfZonedDay, zoneOffsetMs } from '../domain/uptime.ts';
import type { Due, Span } from './rules.ts';

const DAY_MS = 86_400_000;
/** No business day for this long means the calendar is misconfigured. */
const MAX_SCAN_DAYS = 3_700;

/** The calendar day ('YYYY-MM-DD') of an instant in `timeZone`. */
export function dayOf(at: Date, timeZone: string): string {
  return new Date(at.getTime() + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** The instant `day` ends in `timeZone` (the next local midnight): a report is on time strictly before it. */
export function endOfDay(day: string, timeZone: string): Date {
  const nextDayUtc = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
  // Noon of the next local day, then back to its midnight: right whatever the offset.
  return startOfZonedDay(new Date(nextDayUtc + 12 * 3_600_000 - zoneOffsetMs(new Date(nextDayUtc), timeZone)), timeZone);
}

function step(day: string, by: 1 | -1, cal: BusinessCalendar): string {
  let d = day;
  for (let i = 0; i < MAX_SCAN_DAYS; i++) {
    if (cal.isBusinessDay(d)) return d;
    d = addDays(d, by);
  }
  throw new Error('regulator calendar: no business day within ten years');
}

/**
 * When a stage falls due (exclusive), counted from the moment of awareness. The day of awareness itself is not
 * counted (a report due "within 30 days" of awareness on 1 March is due by the end of 31 March).
 */
export function deadline(due: Due, awareAt: Date, cal: BusinessCalendar): Date {
  const tz = cal.config.timeZone;
  if (due.hours !== undefined) return new Date(awareAt.getTime() + due.hours * 3_600_000);
  const start = dayOf(awareAt, tz);
  let day: string;
  if (due.calendarDays !== undefined) {
    day = addDays(start, due.calendarDays);
    if (due.ifClosed === 'next') day = step(day, 1, cal);
    else if (due.ifClosed === 'previous') day = step(day, -1, cal);
  } else {
    const n = due.businessDays ?? 1;
    day = start;
    for (let counted = 0, scanned = 0; counted < n; scanned++) {
      if (scanned > MAX_SCAN_DAYS) throw new Error('regulator calendar: no business day within ten years');
      day = addDays(day, 1);
      if (cal.isBusinessDay(day)) counted++;
    }
  }
  if (due.atMostCalendarDays !== undefined) {
    const cap = addDays(start, due.atMostCalendarDays);
    if (cap < day) day = cap;
  }
  return endOfDay(day, tz);
}

export function spanMs(s: Span): number {
  return ((s.days ?? 0) * 24 * 60 + (s.hours ?? 0) * 60 + (s.minutes ?? 0)) * 60_000;
}

/** When the reminder for a stage goes out: `remindBefore` ahead of the deadline, never before awareness. */
export function reminderTime(dueAt: Date, remindBefore: Span, awareAt: Date): Date {
  return new Date(Math.max(awareAt.getTime(), dueAt.getTime() - spanMs(remindBefore)));
}

/** A day-based deadline is shown as the last minute of its day ("… 23:59"); an hour-based one as it is. */
export function shownDeadline(due: Due, dueAt: Date): Date {
  return due.hours !== undefined ? dueAt : new Date(dueAt.getTime() - 60_000);
}
