/**
 * Business hours: when the support desk is staffed, and time arithmetic that only counts those hours.
 *
 * Pure code (no I/O). Every day is evaluated in the calendar's own time zone with that day's UTC offset, so the
 * arithmetic stays right in zones with daylight saving time (Europe/London) as well as in Asia/Tokyo.
 * Japanese national holidays come from @holiday-jp/holiday_jp, looked up by the calendar date in the calendar's
 * zone (the package's data covers 1970–2050; outside that range no day is a national holiday).
 */
import holidayJp from '@holiday-jp/holiday_jp';
import { zoneOffsetMs } from './uptime.ts';

const DAY_MS = 86_400_000;

export interface YearEndClosure {
  /** First closed day, 'MM-DD'. */
  from: string;
  /** Last closed day, 'MM-DD'. When earlier in the year than `from`, the closure wraps the new year. */
  to: string;
}

export interface BusinessCalendarConfig {
  /** IANA time zone the hours and dates are read in. */
  timeZone: string;
  /** 'HH:MM', local time. */
  opensAt: string;
  /** 'HH:MM', local time, later than opensAt; '24:00' means midnight at the end of the day. */
  closesAt: string;
  /** Working days of the week, 0 = Sunday … 6 = Saturday. */
  workingWeekdays: readonly number[];
  /** Closed on Japanese national holidays (including substitute and citizens' holidays). */
  nationalHolidays: boolean;
  /** Closed every year from `from` to `to` inclusive, or null for no closure. */
  yearEndClosure: YearEndClosure | null;
  /** Further closed days, 'YYYY-MM-DD' in the calendar's zone. */
  extraClosedDays: readonly string[];
}

export const DEFAULT_BUSINESS_CALENDAR: Readonly<BusinessCalendarConfig> = Object.freeze({
  timeZone: 'Asia/Tokyo',
  opensAt: '09:00',
  closesAt: '18:00',
  workingWeekdays: Object.freeze([1, 2, 3, 4, 5]),
  nationalHolidays: true,
  yearEndClosure: Object.freeze({ from: '12-29', to: '01-03' }),
  extraClosedDays: Object.freeze([]),
});

/** Why a whole day is closed. When several apply, the first of year_end, national_holiday, extra, weekend wins. */
export type ClosedReason =
  | { kind: 'year_end' }
  | { kind: 'national_holiday'; name: string; nameEn: string }
  | { kind: 'extra' }
  /** Not one of the working weekdays. */
  | { kind: 'weekend' };

/** Why the desk is closed at an instant: a closed day, or a business day outside its hours. */
export type ClosedStatusReason = ClosedReason | { kind: 'outside_hours' };

export type BusinessStatus =
  | { open: true; closesAt: Date }
  | { open: false; opensAt: Date; reason: ClosedStatusReason };

// ---------------------------------------------------------------------------------------------------------------
// Parsing and validation

const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** 'HH:MM' → minutes after midnight, or null when malformed. '24:00' is accepted (end of day). */
function parseClock(value: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

/** 'YYYY-MM-DD' that names a real date → days since 1970-01-01, or null. */
function parseDate(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return ms / DAY_MS;
}

/** 'MM-DD' that names a day that exists in some year (02-29 allowed) → MMDD as a number, or null. */
function parseMonthDay(value: string): number | null {
  const m = /^(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const mo = Number(m[1]);
  const d = Number(m[2]);
  const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (daysIn === undefined || d < 1 || d > daysIn) return null;
  return mo * 100 + d;
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Throws an Error naming the first invalid field. */
export function validateBusinessCalendarConfig(config: BusinessCalendarConfig): void {
  if (!isTimeZone(config.timeZone)) throw new Error(`business calendar: unknown time zone "${config.timeZone}"`);
  const opens = parseClock(config.opensAt);
  const closes = parseClock(config.closesAt);
  if (opens === null || opens >= 24 * 60) {
    throw new Error(`business calendar: opening time must be HH:MM between 00:00 and 23:59 (got "${config.opensAt}")`);
  }
  if (closes === null) throw new Error(`business calendar: closing time must be HH:MM (got "${config.closesAt}")`);
  if (closes <= opens) {
    throw new Error(
      `business calendar: closing time ${config.closesAt} must be later than opening time ${config.opensAt} ` +
        `(hours past midnight are not supported)`,
    );
  }
  if (config.workingWeekdays.length === 0) throw new Error('business calendar: at least one working weekday is required');
  for (const d of config.workingWeekdays) {
    if (!Number.isInteger(d) || d < 0 || d > 6) {
      throw new Error(`business calendar: working weekdays are 0 (Sunday) to 6 (Saturday) (got ${d})`);
    }
  }
  if (config.yearEndClosure) {
    const { from, to } = config.yearEndClosure;
    if (parseMonthDay(from) === null || parseMonthDay(to) === null) {
      throw new Error(`business calendar: year-end closure days must be MM-DD (got "${from}".."${to}")`);
    }
  }
  for (const day of config.extraClosedDays) {
    if (parseDate(day) === null) throw new Error(`business calendar: closed day "${day}" is not a YYYY-MM-DD date`);
  }
}

/** The environment variables parseBusinessCalendarConfig reads; unset or empty means the default. */
export interface BusinessCalendarEnv {
  /** IANA zone, e.g. "Asia/Tokyo". */
  BUSINESS_TIME_ZONE?: string | undefined;
  /** "09:00-18:00". */
  BUSINESS_HOURS?: string | undefined;
  /** "mon-fri", "mon,tue,thu", "1-5" (0 = Sunday). */
  BUSINESS_DAYS?: string | undefined;
  /** "true" / "false": closed on Japanese national holidays. */
  BUSINESS_NATIONAL_HOLIDAYS?: string | undefined;
  /** "12-29..01-03", or "none". */
  BUSINESS_YEAR_END?: string | undefined;
  /** "2026-05-01,2026-08-14" (empty: none). */
  BUSINESS_CLOSED_DAYS?: string | undefined;
}

function parseWeekday(token: string, source: string): number {
  const t = token.trim().toLowerCase();
  if (/^[0-7]$/.test(t)) return Number(t) % 7;
  const i = WEEKDAY_NAMES.findIndex((name) => t === name || (t.length > 3 && t.startsWith(name)));
  if (i < 0) {
    throw new Error(`BUSINESS_DAYS must list days like "mon-fri" or "1,2,3,4,5" (0 = Sunday); "${token}" in "${source}" is not a day`);
  }
  return i;
}

function parseWeekdays(value: string): number[] {
  const days = new Set<number>();
  for (const part of value.split(',')) {
    if (part.trim() === '') throw new Error(`BUSINESS_DAYS has an empty entry: "${value}"`);
    const range = part.split('-');
    if (range.length === 1) {
      days.add(parseWeekday(part, value));
    } else if (range.length === 2) {
      const from = parseWeekday(range[0]!, value);
      const to = parseWeekday(range[1]!, value);
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
    } else {
      throw new Error(`BUSINESS_DAYS must list days like "mon-fri" or "1,2,3,4,5"; "${part}" in "${value}" is not a day or range`);
    }
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * Business calendar settings from environment-style strings, e.g. `parseBusinessCalendarConfig(process.env)`.
 * Unset or empty variables keep the value from `base` (DEFAULT_BUSINESS_CALENDAR unless given).
 * Throws an Error naming the variable and the expected format when a value is malformed.
 */
export function parseBusinessCalendarConfig(
  env: BusinessCalendarEnv,
  base: Readonly<BusinessCalendarConfig> = DEFAULT_BUSINESS_CALENDAR,
): BusinessCalendarConfig {
  const read = (name: keyof BusinessCalendarEnv): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const config: BusinessCalendarConfig = { ...base };

  const zone = read('BUSINESS_TIME_ZONE');
  if (zone !== undefined) {
    if (!isTimeZone(zone)) throw new Error(`BUSINESS_TIME_ZONE must be an IANA time zone like "Asia/Tokyo" (got "${zone}")`);
    config.timeZone = zone;
  }

  const hours = read('BUSINESS_HOURS');
  if (hours !== undefined) {
    const m = /^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(hours);
    const pad = (s: string) => s.padStart(5, '0');
    const opens = m ? parseClock(pad(m[1]!)) : null;
    const closes = m ? parseClock(pad(m[2]!)) : null;
    if (!m || opens === null || closes === null || opens >= 24 * 60) {
      throw new Error(`BUSINESS_HOURS must look like "09:00-18:00" (got "${hours}")`);
    }
    if (closes <= opens) {
      throw new Error(`BUSINESS_HOURS must close after it opens on the same day, like "09:00-18:00" (got "${hours}")`);
    }
    config.opensAt = pad(m[1]!);
    config.closesAt = pad(m[2]!);
  }

  const days = read('BUSINESS_DAYS');
  if (days !== undefined) config.workingWeekdays = parseWeekdays(days);

  const holidays = read('BUSINESS_NATIONAL_HOLIDAYS');
  if (holidays !== undefined) {
    const v = holidays.toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes') config.nationalHolidays = true;
    else if (v === 'false' || v === '0' || v === 'no') config.nationalHolidays = false;
    else throw new Error(`BUSINESS_NATIONAL_HOLIDAYS must be "true" or "false" (got "${holidays}")`);
  }

  const yearEnd = read('BUSINESS_YEAR_END');
  if (yearEnd !== undefined) {
    if (yearEnd.toLowerCase() === 'none') {
      config.yearEndClosure = null;
    } else {
      const m = /^(\d{2}-\d{2})\s*\.\.\s*(\d{2}-\d{2})$/.exec(yearEnd);
      if (!m || parseMonthDay(m[1]!) === null || parseMonthDay(m[2]!) === null) {
        throw new Error(`BUSINESS_YEAR_END must look like "12-29..01-03" (MM-DD..MM-DD) or be "none" (got "${yearEnd}")`);
      }
      config.yearEndClosure = { from: m[1]!, to: m[2]! };
    }
  }

  const closed = read('BUSINESS_CLOSED_DAYS');
  if (closed !== undefined) {
    const list = closed.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const day of list) {
      if (parseDate(day) === null) {
        throw new Error(`BUSINESS_CLOSED_DAYS must be a comma-separated list of YYYY-MM-DD dates; "${day}" is not a date`);
      }
    }
    config.extraClosedDays = list;
  }

  validateBusinessCalendarConfig(config);
  return config;
}

// ---------------------------------------------------------------------------------------------------------------
// The calendar

const MINUTE_MS = 60_000;
/** No business day within this many days means the configuration leaves the desk closed for good. */
const MAX_CLOSED_RUN_DAYS = 3_700;
/** Per-day results kept; a long-running server sees a few hundred distinct days, so this is never reached in practice. */
const MAX_CACHED_DAYS = 5_000;

const HOLIDAYS = holidayJp.holidays as Readonly<Record<string, { name: string; name_en: string } | undefined>>;

interface DayInfo {
  closed: ClosedReason | null;
  /** Opening and closing instants (epoch ms) of that day's hours; meaningful only when not closed. */
  open: number;
  close: number;
}

function dateOfDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export class BusinessCalendar {
  readonly config: Readonly<BusinessCalendarConfig>;
  readonly #opensMin: number;
  readonly #closesMin: number;
  readonly #weekdays: ReadonlySet<number>;
  readonly #extra: ReadonlySet<string>;
  readonly #yearEnd: { from: number; to: number } | null;
  readonly #days = new Map<number, DayInfo>();

  constructor(config: BusinessCalendarConfig = DEFAULT_BUSINESS_CALENDAR) {
    validateBusinessCalendarConfig(config);
    this.config = Object.freeze({
      ...config,
      workingWeekdays: Object.freeze([...config.workingWeekdays]),
      extraClosedDays: Object.freeze([...config.extraClosedDays]),
      yearEndClosure: config.yearEndClosure ? Object.freeze({ ...config.yearEndClosure }) : null,
    });
    this.#opensMin = parseClock(config.opensAt)!;
    this.#closesMin = parseClock(config.closesAt)!;
    this.#weekdays = new Set(config.workingWeekdays);
    this.#extra = new Set(config.extraClosedDays);
    this.#yearEnd = config.yearEndClosure
      ? { from: parseMonthDay(config.yearEndClosure.from)!, to: parseMonthDay(config.yearEndClosure.to)! }
      : null;
  }

  /** True when `date` ('YYYY-MM-DD', in the calendar's zone) is a working day. */
  isBusinessDay(date: string): boolean {
    return this.closedReason(date) === null;
  }

  /** Why `date` ('YYYY-MM-DD') is closed all day, or null for a business day. Throws RangeError on a malformed date. */
  closedReason(date: string): ClosedReason | null {
    const n = parseDate(date);
    if (n === null) throw new RangeError(`not a YYYY-MM-DD date: "${date}"`);
    return this.#day(n).closed;
  }

  /** True when the desk is open at `at`: hours include the opening minute and exclude the closing one. */
  isOpen(at: Date): boolean {
    const t = at.getTime();
    const day = this.#day(this.#dayNumber(t));
    return day.closed === null && t >= day.open && t < day.close;
  }

  /** Open now and until when, or closed and when it next opens (skipping weekends, holidays and closures). */
  status(at: Date): BusinessStatus {
    const t = at.getTime();
    const n = this.#dayNumber(t);
    const day = this.#day(n);
    if (day.closed === null && t >= day.open && t < day.close) return { open: true, closesAt: new Date(day.close) };
    return { open: false, opensAt: new Date(this.#nextOpen(t, n)), reason: day.closed ?? { kind: 'outside_hours' } };
  }

  /** `at` itself when the desk is open then, otherwise the start of the next opening hours. */
  nextOpening(at: Date): Date {
    const t = at.getTime();
    return new Date(this.#nextOpen(t, this.#dayNumber(t)));
  }

  /**
   * The instant at which `ms` of open time has elapsed counting from `start` (from the next opening when `start`
   * is outside hours). Landing exactly on a closing time returns that closing time, not the next opening;
   * `ms` = 0 returns nextOpening(start).
   */
  addBusinessTime(start: Date, ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`business time to add must be a finite number ≥ 0 (got ${ms})`);
    const t = start.getTime();
    let remaining = ms;
    let closedRun = 0;
    for (let n = this.#dayNumber(t); ; n++) {
      const day = this.#day(n);
      if (day.closed === null) {
        const from = Math.max(t, day.open);
        if (from < day.close) {
          if (remaining <= day.close - from) return new Date(from + remaining);
          remaining -= day.close - from;
          closedRun = 0;
          continue;
        }
      }
      if (++closedRun > MAX_CLOSED_RUN_DAYS) throw new Error('business calendar: no business day found within ten years');
    }
  }

  /** Open time, in ms, within [a, b); 0 when b ≤ a. */
  businessTimeBetween(a: Date, b: Date): number {
    const from = a.getTime();
    const to = b.getTime();
    if (to <= from) return 0;
    let total = 0;
    const last = this.#dayNumber(to);
    for (let n = this.#dayNumber(from); n <= last; n++) {
      const day = this.#day(n);
      if (day.closed !== null) continue;
      const s = Math.max(from, day.open);
      const e = Math.min(to, day.close);
      if (e > s) total += e - s;
    }
    return total;
  }

  // -------------------------------------------------------------------------------------------------------------

  /** Days since 1970-01-01 of the calendar date containing instant `t`, in the calendar's zone. */
  #dayNumber(t: number): number {
    return Math.floor((t + zoneOffsetMs(new Date(t), this.config.timeZone)) / DAY_MS);
  }

  /** Epoch ms of a local wall-clock time (given as ms since 1970-01-01T00:00 local), using that moment's offset. */
  #instantOf(localMs: number): number {
    const zone = this.config.timeZone;
    const first = zoneOffsetMs(new Date(localMs), zone);
    const guess = localMs - first;
    const second = zoneOffsetMs(new Date(guess), zone);
    return second === first ? guess : localMs - second;
  }

  #nextOpen(t: number, startDay: number): number {
    for (let n = startDay, run = 0; run <= MAX_CLOSED_RUN_DAYS; n++, run++) {
      const day = this.#day(n);
      if (day.closed === null && t < day.close) return Math.max(t, day.open);
    }
    throw new Error('business calendar: no business day found within ten years');
  }

  #day(n: number): DayInfo {
    const cached = this.#days.get(n);
    if (cached) return cached;
    if (this.#days.size >= MAX_CACHED_DAYS) this.#days.clear();
    const date = dateOfDayNumber(n);
    const closed = this.#closedReasonOf(n, date);
    const info: DayInfo = {
      closed,
      open: closed ? 0 : this.#instantOf(n * DAY_MS + this.#opensMin * MINUTE_MS),
      close: closed ? 0 : this.#instantOf(n * DAY_MS + this.#closesMin * MINUTE_MS),
    };
    this.#days.set(n, info);
    return info;
  }

  #closedReasonOf(n: number, date: string): ClosedReason | null {
    if (this.#yearEnd) {
      const md = Number(date.slice(5, 7)) * 100 + Number(date.slice(8, 10));
      const { from, to } = this.#yearEnd;
      if (from <= to ? md >= from && md <= to : md >= from || md <= to) return { kind: 'year_end' };
    }
    if (this.config.nationalHolidays) {
      const holiday = HOLIDAYS[date];
      if (holiday) return { kind: 'national_holiday', name: holiday.name, nameEn: holiday.name_en };
    }
    if (this.#extra.has(date)) return { kind: 'extra' };
    const weekday = (((n + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    if (!this.#weekdays.has(weekday)) return { kind: 'weekend' };
    return null;
  }
}
