import { componentStatusRank, type ComponentStatus } from './component.ts';

export interface StatusChange {
  status: ComponentStatus;
  at: Date;
}

export interface UptimeDay {
  /** Calendar date in the page's time zone, YYYY-MM-DD. */
  date: string;
  /** null when the component did not exist yet on that day. */
  uptime: number | null;
  worst: ComponentStatus | null;
  /** Seconds spent in each non-operational status that day. */
  seconds: Partial<Record<ComponentStatus, number>>;
}

export interface UptimeHistory {
  days: UptimeDay[];
  /** Uptime over the whole window, 0..1, or null with no data. */
  overall: number | null;
}

/**
 * How much of a non-operational second counts as downtime. Statuspage counts a major outage in full and a
 * partial outage at 30 %; degraded performance and maintenance are not downtime.
 */
const DOWNTIME_WEIGHT: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 0,
  degraded_performance: 0,
  partial_outage: 0.3,
  major_outage: 1,
};

/** Offset of a time zone from UTC at an instant, in milliseconds. */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

// Zone offsets change only at transitions on quarter-hour boundaries, so one answer serves a whole quarter hour.
const QUARTER_HOUR_MS = 15 * 60_000;
const offsetCache = new Map<string, number>();

export function zoneOffsetMs(at: Date, timeZone: string): number {
  const bucket = Math.floor(at.getTime() / QUARTER_HOUR_MS);
  const key = `${timeZone}|${bucket}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  if (offsetCache.size > 50_000) offsetCache.clear();
  const offset = computeZoneOffsetMs(new Date(bucket * QUARTER_HOUR_MS), timeZone);
  offsetCache.set(key, offset);
  return offset;
}

function computeZoneOffsetMs(at: Date, timeZone: string): number {
  // Building a formatter costs far more than using one; a snapshot asks thousands of times.
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** Start of the calendar day containing `at`, in `timeZone`. */
export function startOfZonedDay(at: Date, timeZone: string): Date {
  const offset = zoneOffsetMs(at, timeZone);
  const local = new Date(at.getTime() + offset);
  const midnightLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  return new Date(midnightLocal - zoneOffsetMs(new Date(midnightLocal - offset), timeZone));
}

function zonedDate(at: Date, timeZone: string): string {
  const local = new Date(at.getTime() + zoneOffsetMs(at, timeZone));
  return local.toISOString().slice(0, 10);
}

/** The calendar days a history covers: each day's start instant and its date, oldest first. */
export interface DayWindow {
  starts: Date[];
  dates: string[];
}

/** The `days` calendar days ending with today, in `timeZone`. Compute once and share across components. */
export function dayWindow(now: Date, days: number, timeZone: string): DayWindow {
  const starts: Date[] = [];
  let cursor = startOfZonedDay(now, timeZone);
  for (let i = 0; i < days; i++) {
    starts.unshift(cursor);
    cursor = startOfZonedDay(new Date(cursor.getTime() - 1), timeZone);
  }
  return { starts, dates: starts.map((d) => zonedDate(d, timeZone)) };
}

/**
 * Per-day uptime for the `days` calendar days ending today, from a component's status changes.
 * `changes` must be sorted by time and include the last change before the window, if any.
 */
export function uptimeHistory(input: {
  changes: readonly StatusChange[];
  createdAt: Date;
  now: Date;
  days: number;
  timeZone: string;
  /** The same window for every component of a page: pass it to avoid recomputing time-zone math. */
  window?: DayWindow;
}): UptimeHistory {
  const { changes, now } = input;
  const window = input.window ?? dayWindow(now, input.days, input.timeZone);
  const dayStarts = window.starts;
  const result: UptimeDay[] = [];
  let totalSeconds = 0;
  let downSeconds = 0;
  let changeIndex = 0;
  let current: ComponentStatus = 'operational';
  for (const [i, dayStart] of dayStarts.entries()) {
    const dayEnd = i + 1 < dayStarts.length ? dayStarts[i + 1]! : now;
    const from = new Date(Math.max(dayStart.getTime(), input.createdAt.getTime()));
    const date = window.dates[i]!;
    // Advance through changes that happened before this day's counted span.
    while (changeIndex < changes.length && changes[changeIndex]!.at.getTime() <= from.getTime()) {
      current = changes[changeIndex]!.status;
      changeIndex++;
    }
    if (from.getTime() >= dayEnd.getTime()) {
      result.push({ date, uptime: null, worst: null, seconds: {} });
      continue;
    }
    const seconds: Partial<Record<ComponentStatus, number>> = {};
    let worst: ComponentStatus = current;
    let spanStart = from.getTime();
    let dayDown = 0;
    const addSpan = (status: ComponentStatus, endMs: number) => {
      const s = Math.max(0, (endMs - spanStart) / 1000);
      if (status !== 'operational' && s > 0) seconds[status] = (seconds[status] ?? 0) + s;
      dayDown += s * DOWNTIME_WEIGHT[status];
    };
    while (changeIndex < changes.length && changes[changeIndex]!.at.getTime() < dayEnd.getTime()) {
      const change = changes[changeIndex]!;
      addSpan(current, change.at.getTime());
      spanStart = change.at.getTime();
      current = change.status;
      if (componentStatusRank(current) > componentStatusRank(worst)) worst = current;
      changeIndex++;
    }
    addSpan(current, dayEnd.getTime());
    const span = (dayEnd.getTime() - from.getTime()) / 1000;
    totalSeconds += span;
    downSeconds += dayDown;
    result.push({ date, uptime: span > 0 ? 1 - dayDown / span : 1, worst, seconds });
  }
  return { days: result, overall: totalSeconds > 0 ? 1 - downSeconds / totalSeconds : null };
}
