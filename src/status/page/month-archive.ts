/**
 * The history's month archive (/history/2026-11): which months exist, and the incidents and maintenances that
 * began in one. Served per request by the live server and written out whole by the static export.
 */
import type { Incident } from '../../domain/incident.ts';
import { zoneOffsetMs } from '../../domain/uptime.ts';
import type { Queryable } from '../../store/db.ts';
import { listIncidentsBetween, oldestIncidentStart } from '../repository.ts';
import { isoInZone } from '../../domain/iso-time.ts';

/** How many months the history page links to (this one and the eleven before it). */
export const LINKED_MONTHS = 12;
/** The static export goes back at most this far, however old the first incident. */
export const MAX_EXPORTED_MONTHS = 120;

/** "2026-11" for the month containing `date` in the page's time zone. */
export function monthOf(date: Date, timeZone: string): string {
  return isoInZone(date, timeZone).slice(0, 7);
}

/** The month `by` months after (or before, when negative) `month`. */
export function shiftMonth(month: string, by: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + by, 1)).toISOString().slice(0, 7);
}

/** "2026-11" when it names a real month the archive can hold, else null. */
export function parseMonth(value: string): string | null {
  const match = /^(\d{4})-(\d{2})$/.exec(value);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  return month >= 1 && month <= 12 && year >= 2000 && year <= 9998 ? value : null;
}

/** The instants a month begins and ends in the page's time zone. */
export function monthBounds(month: string, timeZone: string): { from: Date; to: Date } {
  const startLocal = new Date(`${month}-01T00:00:00Z`);
  const endLocal = new Date(`${shiftMonth(month, 1)}-01T00:00:00Z`);
  return {
    from: new Date(startLocal.getTime() - zoneOffsetMs(startLocal, timeZone)),
    to: new Date(endLocal.getTime() - zoneOffsetMs(endLocal, timeZone)),
  };
}

export function readMonth(q: Queryable, month: string, timeZone: string): Promise<Incident[]> {
  const { from, to } = monthBounds(month, timeZone);
  return listIncidentsBetween(q, from, to);
}

/**
 * The months a complete copy of the archive holds, newest first: every month the history page links to, and
 * every older month back to the first incident's (at most MAX_EXPORTED_MONTHS in all).
 */
export async function archiveMonths(q: Queryable, current: string, timeZone: string): Promise<string[]> {
  const first = await oldestIncidentStart(q);
  const firstMonth = first ? monthOf(first, timeZone) : current;
  const months: string[] = [];
  for (let m = current; months.length < MAX_EXPORTED_MONTHS && (months.length < LINKED_MONTHS || m >= firstMonth); m = shiftMonth(m, -1)) {
    months.push(m);
  }
  return months;
}
