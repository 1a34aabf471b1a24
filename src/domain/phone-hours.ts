import type { BusinessCalendarConfig } from './business-calendar.ts';

/**
 * The phone line's hours in words, from the desk's calendar: the same sentence on every page and in every email
 * ("平日 09:00〜18:00、祝日・年末年始を除く").
 */
export function phoneHoursText(lang: 'ja' | 'en', c: Pick<BusinessCalendarConfig, 'opensAt' | 'closesAt' | 'nationalHolidays'>): string {
  return lang === 'ja'
    ? `平日 ${c.opensAt}〜${c.closesAt}${c.nationalHolidays ? '、祝日・年末年始を除く' : ''}`
    : `weekdays ${c.opensAt}–${c.closesAt} Japan time${c.nationalHolidays ? ', except Japanese holidays and the year-end break' : ''}`;
}
