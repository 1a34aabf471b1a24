import type { BusinessCalendarConfig } from '../domain/business-calendar.ts';
import { t, type Lang } from './i18n.ts';

/**
 * The phone line's hours in words, from the desk's calendar: the same sentence on every page and in every email
 * ("平日 09:00〜18:00、祝日・年末年始を除く").
 */
export function phoneHoursText(lang: Lang, c: Pick<BusinessCalendarConfig, 'opensAt' | 'closesAt' | 'nationalHolidays'>): string {
  return t(lang, 'phone.hours', { opens: c.opensAt, closes: c.closesAt, holidays: c.nationalHolidays ? t(lang, 'phone.hours.holidays') : '' });
}
