import { startOfZonedDay, zoneOffsetMs } from '../domain/uptime.ts';
import type { Lang } from '../web/i18n.ts';
import { intlLocale } from '../web/i18n.ts';

/** Effective dates and deadlines are calendar days in the exchange's time zone ("2026-12-10"). */

export function todayIn(now: Date, timeZone: string): string {
  return new Date(now.getTime() + zoneOffsetMs(now, timeZone)).toISOString().slice(0, 10);
}

/** The instant a day ends in `timeZone`: a deadline "2026-12-10" is met until 2026-12-11 00:00 local. */
export function endOfDay(day: string, timeZone: string): Date {
  const nextDayUtc = new Date(`${day}T00:00:00Z`).getTime() + 86_400_000;
  // Noon of the next local day, then back to its midnight: safe whatever the offset.
  const noon = new Date(nextDayUtc + 12 * 3_600_000 - zoneOffsetMs(new Date(nextDayUtc), timeZone));
  return startOfZonedDay(noon, timeZone);
}

const formats = new Map<Lang, Intl.DateTimeFormat>();

/** "2026年12月10日(木)" / "Thu, Dec 10, 2026". */
export function formatDay(lang: Lang, day: string): string {
  let fmt = formats.get(lang);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(intlLocale(lang), { timeZone: 'UTC', year: 'numeric', month: lang === 'ja' ? 'long' : 'short', day: 'numeric', weekday: 'short' });
    formats.set(lang, fmt);
  }
  return fmt.format(new Date(`${day}T00:00:00Z`));
}
