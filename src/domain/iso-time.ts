import { zoneOffsetMs } from './uptime.ts';

/** ISO 8601 in the page's time zone with its offset, as Statuspage writes timestamps: 2026-11-25T19:46:55.123+09:00 */
export function isoInZone(date: Date, timeZone: string): string {
  const offset = zoneOffsetMs(date, timeZone);
  const local = new Date(date.getTime() + offset).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60000;
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

export const isoOrNull = (date: Date | null, timeZone: string): string | null =>
  date === null ? null : isoInZone(date, timeZone);
