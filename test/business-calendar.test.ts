import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BusinessCalendar,
  DEFAULT_BUSINESS_CALENDAR,
  parseBusinessCalendarConfig,
} from '../src/domain/business-calendar.ts';

const HOUR = 3_600_000;
/** A Tokyo wall-clock time, e.g. jst('2026-11-25T10:00'). */
const jst = (local: string) => new Date(`${local}+09:00`);

const tokyo = new BusinessCalendar(DEFAULT_BUSINESS_CALENDAR);

describe('business calendar: Tokyo defaults', () => {
  test('a Wednesday morning is open, until 18:00', () => {
    assert.equal(tokyo.isOpen(jst('2026-11-25T10:00')), true);
    assert.deepEqual(tokyo.status(jst('2026-11-25T10:00')), { open: true, closesAt: jst('2026-11-25T18:00') });
    assert.equal(tokyo.isOpen(jst('2026-11-25T09:00')), true, 'the opening minute is open');
    assert.equal(tokyo.isOpen(jst('2026-11-25T08:59:59.999')), false);
  });

  test('18:00 exactly is closed and the desk reopens the next morning', () => {
    assert.equal(tokyo.isOpen(jst('2026-11-25T17:59:59.999')), true);
    assert.equal(tokyo.isOpen(jst('2026-11-25T18:00')), false);
    assert.deepEqual(tokyo.status(jst('2026-11-25T18:00')), {
      open: false,
      opensAt: jst('2026-11-26T09:00'),
      reason: { kind: 'outside_hours' },
    });
    assert.deepEqual(tokyo.status(jst('2026-11-26T07:30')), {
      open: false,
      opensAt: jst('2026-11-26T09:00'),
      reason: { kind: 'outside_hours' },
    });
  });

  test('Saturday is closed and opens Monday 09:00', () => {
    assert.equal(tokyo.isBusinessDay('2026-11-28'), false);
    assert.deepEqual(tokyo.closedReason('2026-11-28'), { kind: 'weekend' });
    assert.deepEqual(tokyo.status(jst('2026-11-28T12:00')), {
      open: false,
      opensAt: jst('2026-11-30T09:00'),
      reason: { kind: 'weekend' },
    });
    assert.deepEqual(tokyo.nextOpening(jst('2026-11-29T23:59')), jst('2026-11-30T09:00'));
  });

  test('nextOpening of an open instant is that instant', () => {
    assert.deepEqual(tokyo.nextOpening(jst('2026-11-25T10:15')), jst('2026-11-25T10:15'));
  });

  test('Labour Thanksgiving Day (Monday 2026-11-23) is closed, with its name in both languages', () => {
    assert.equal(tokyo.isBusinessDay('2026-11-23'), false);
    assert.deepEqual(tokyo.closedReason('2026-11-23'), {
      kind: 'national_holiday',
      name: '勤労感謝の日',
      nameEn: 'Labor Thanksgiving Day',
    });
    // Friday evening → the long weekend → Tuesday morning.
    assert.deepEqual(tokyo.nextOpening(jst('2026-11-20T18:00')), jst('2026-11-24T09:00'));
    const onHoliday = tokyo.status(jst('2026-11-23T11:00'));
    assert.equal(onHoliday.open, false);
    assert.equal(!onHoliday.open && onHoliday.reason.kind, 'national_holiday');
  });

  test('the year-end closure covers 12-29 to 01-03 and a closed evening skips all of it', () => {
    for (const day of ['2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03']) {
      assert.equal(tokyo.isBusinessDay(day), false, day);
      assert.deepEqual(tokyo.closedReason(day), { kind: 'year_end' }, day);
    }
    assert.equal(tokyo.isBusinessDay('2026-12-28'), true);
    assert.equal(tokyo.isBusinessDay('2027-01-04'), true);
    assert.deepEqual(tokyo.status(jst('2026-12-28T18:00')), {
      open: false,
      opensAt: jst('2027-01-04T09:00'),
      reason: { kind: 'outside_hours' },
    });
    assert.deepEqual(tokyo.status(jst('2026-12-31T12:00')), {
      open: false,
      opensAt: jst('2027-01-04T09:00'),
      reason: { kind: 'year_end' },
    });
  });

  test('2 business hours from 2026-12-28 17:00 end at 2027-01-04 10:00', () => {
    assert.deepEqual(tokyo.addBusinessTime(jst('2026-12-28T17:00'), 2 * HOUR), jst('2027-01-04T10:00'));
  });

  test('adding business time from outside hours starts counting at the next opening', () => {
    assert.deepEqual(tokyo.addBusinessTime(jst('2026-11-28T03:00'), HOUR), jst('2026-11-30T10:00'));
    assert.deepEqual(tokyo.addBusinessTime(jst('2026-11-25T20:00'), 0), jst('2026-11-26T09:00'));
    // Landing on closing time stays on that day rather than jumping to the next opening.
    assert.deepEqual(tokyo.addBusinessTime(jst('2026-11-25T09:00'), 9 * HOUR), jst('2026-11-25T18:00'));
    assert.throws(() => tokyo.addBusinessTime(jst('2026-11-25T09:00'), -1), RangeError);
  });

  test('30 business days are counted day by day', (t) => {
    const start = jst('2026-06-01T09:00'); // Monday; June 2026 has no holidays
    const end = tokyo.addBusinessTime(start, 30 * 9 * HOUR);
    assert.deepEqual(end, jst('2026-07-10T18:00')); // 22 days in June + 8 in July
    assert.equal(tokyo.businessTimeBetween(start, end), 30 * 9 * HOUR);
    const calendar = new BusinessCalendar(DEFAULT_BUSINESS_CALENDAR); // nothing cached yet
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) calendar.addBusinessTime(new Date(start.getTime() + i * 7 * HOUR), 30 * 9 * HOUR);
    // Reported, not asserted: timings depend on the machine's load.
    t.diagnostic(`500 × 30 business days: ${(performance.now() - t0).toFixed(0)} ms`);
  });

  test('businessTimeBetween counts only open hours, across a weekend and a holiday', () => {
    assert.equal(tokyo.businessTimeBetween(jst('2026-11-27T17:00'), jst('2026-11-30T10:00')), 2 * HOUR);
    assert.equal(tokyo.businessTimeBetween(jst('2026-11-20T17:00'), jst('2026-11-24T10:00')), 2 * HOUR);
    assert.equal(tokyo.businessTimeBetween(jst('2026-11-30T00:00'), jst('2026-12-07T00:00')), 45 * HOUR);
    assert.equal(tokyo.businessTimeBetween(jst('2026-11-25T12:00'), jst('2026-11-25T12:00')), 0);
    assert.equal(tokyo.businessTimeBetween(jst('2026-11-26T12:00'), jst('2026-11-25T12:00')), 0);
    // 2026: 261 weekdays − 17 weekday holidays − 4 weekday year-end days (01-02, 12-29..31) = 240 days.
    assert.equal(tokyo.businessTimeBetween(jst('2026-01-01T00:00'), jst('2027-01-01T00:00')), 240 * 9 * HOUR);
  });

  test('a malformed date is refused', () => {
    assert.throws(() => tokyo.closedReason('2026-02-30'), RangeError);
    assert.throws(() => tokyo.isBusinessDay('26-11-25'), RangeError);
  });
});

describe('business calendar: configuration', () => {
  test('an extra closed day is honoured (and Golden Week follows it)', () => {
    const calendar = new BusinessCalendar(parseBusinessCalendarConfig({ BUSINESS_CLOSED_DAYS: '2026-05-01, 2026-08-14' }));
    assert.deepEqual(calendar.closedReason('2026-05-01'), { kind: 'extra' });
    assert.deepEqual(calendar.closedReason('2026-08-14'), { kind: 'extra' });
    // Thu 04-30 evening → Fri 05-01 (extra) → weekend → 05-04, 05-05 holidays → 05-06 substitute holiday.
    assert.deepEqual(calendar.nextOpening(jst('2026-04-30T18:00')), jst('2026-05-07T09:00'));
    assert.deepEqual(tokyo.nextOpening(jst('2026-04-30T18:00')), jst('2026-05-01T09:00'));
  });

  test('BUSINESS_YEAR_END=none disables the year-end closure, not the holidays', () => {
    const calendar = new BusinessCalendar(parseBusinessCalendarConfig({ BUSINESS_YEAR_END: 'none' }));
    assert.equal(calendar.config.yearEndClosure, null);
    assert.equal(calendar.isBusinessDay('2026-12-29'), true);
    assert.equal(calendar.isBusinessDay('2026-12-31'), true);
    assert.equal(calendar.closedReason('2027-01-01')?.kind, 'national_holiday');
    assert.deepEqual(calendar.closedReason('2027-01-02'), { kind: 'weekend' });
  });

  test('environment values are parsed, and empty ones keep the defaults', () => {
    assert.deepEqual(parseBusinessCalendarConfig({}), { ...DEFAULT_BUSINESS_CALENDAR });
    assert.deepEqual(parseBusinessCalendarConfig({ BUSINESS_HOURS: '', BUSINESS_YEAR_END: '' }), {
      ...DEFAULT_BUSINESS_CALENDAR,
    });
    assert.deepEqual(
      parseBusinessCalendarConfig({
        BUSINESS_TIME_ZONE: 'Europe/London',
        BUSINESS_HOURS: '8:30-17:15',
        BUSINESS_DAYS: 'mon-sat',
        BUSINESS_NATIONAL_HOLIDAYS: 'false',
        BUSINESS_YEAR_END: '12-24..12-26',
        BUSINESS_CLOSED_DAYS: '2026-05-01,2026-08-14',
      }),
      {
        timeZone: 'Europe/London',
        opensAt: '08:30',
        closesAt: '17:15',
        workingWeekdays: [1, 2, 3, 4, 5, 6],
        nationalHolidays: false,
        yearEndClosure: { from: '12-24', to: '12-26' },
        extraClosedDays: ['2026-05-01', '2026-08-14'],
      },
    );
    assert.deepEqual(parseBusinessCalendarConfig({ BUSINESS_DAYS: 'fri-mon' }).workingWeekdays, [0, 1, 5, 6]);
    assert.deepEqual(parseBusinessCalendarConfig({ BUSINESS_DAYS: '1,2,3' }).workingWeekdays, [1, 2, 3]);
  });

  test('malformed values are refused with a message naming the variable and the expected form', () => {
    const refused = (env: Record<string, string>, message: RegExp) =>
      assert.throws(() => parseBusinessCalendarConfig(env), (err: unknown) => err instanceof Error && message.test(err.message));
    refused({ BUSINESS_HOURS: '9-18' }, /^BUSINESS_HOURS must look like "09:00-18:00" \(got "9-18"\)$/);
    refused({ BUSINESS_HOURS: '25:00-26:00' }, /BUSINESS_HOURS must look like/);
    refused({ BUSINESS_HOURS: '18:00-09:00' }, /BUSINESS_HOURS must close after it opens/);
    refused({ BUSINESS_YEAR_END: '12/29-01/03' }, /BUSINESS_YEAR_END must look like "12-29\.\.01-03".*"none"/);
    refused({ BUSINESS_YEAR_END: '13-01..01-03' }, /BUSINESS_YEAR_END/);
    refused({ BUSINESS_CLOSED_DAYS: '2026-05-01,2026-02-30' }, /BUSINESS_CLOSED_DAYS .*"2026-02-30" is not a date/);
    refused({ BUSINESS_TIME_ZONE: 'Mars/Olympus' }, /BUSINESS_TIME_ZONE must be an IANA time zone/);
    refused({ BUSINESS_DAYS: 'mon-fry' }, /BUSINESS_DAYS .*"fry"/);
    refused({ BUSINESS_NATIONAL_HOLIDAYS: 'maybe' }, /BUSINESS_NATIONAL_HOLIDAYS must be "true" or "false"/);
  });

  test('a calendar built in code is validated too', () => {
    assert.throws(() => new BusinessCalendar({ ...DEFAULT_BUSINESS_CALENDAR, opensAt: '9:00' }), /opening time/);
    assert.throws(() => new BusinessCalendar({ ...DEFAULT_BUSINESS_CALENDAR, workingWeekdays: [] }), /working weekday/);
    assert.throws(() => new BusinessCalendar({ ...DEFAULT_BUSINESS_CALENDAR, workingWeekdays: [7] }), /0 \(Sunday\) to 6/);
    assert.throws(
      () => new BusinessCalendar({ ...DEFAULT_BUSINESS_CALENDAR, extraClosedDays: ['2026/05/01'] }),
      /"2026\/05\/01" is not a YYYY-MM-DD date/,
    );
  });
});

describe('business calendar: a zone with daylight saving time', () => {
  const london = new BusinessCalendar({
    timeZone: 'Europe/London',
    opensAt: '09:00',
    closesAt: '17:00',
    workingWeekdays: [1, 2, 3, 4, 5],
    nationalHolidays: false,
    yearEndClosure: null,
    extraClosedDays: [],
  });

  test('hours follow local time on each side of the spring change (2026-03-29)', () => {
    // Friday: GMT, 09:00 local = 09:00Z. Monday: BST, 09:00 local = 08:00Z.
    assert.equal(london.isOpen(new Date('2026-03-27T08:30Z')), false);
    assert.equal(london.isOpen(new Date('2026-03-30T08:30Z')), true);
    assert.deepEqual(london.status(new Date('2026-03-27T17:00Z')), {
      open: false,
      opensAt: new Date('2026-03-30T08:00Z'),
      reason: { kind: 'outside_hours' },
    });
    assert.deepEqual(london.addBusinessTime(new Date('2026-03-27T16:00Z'), 2 * HOUR), new Date('2026-03-30T09:00Z'));
    assert.equal(london.businessTimeBetween(new Date('2026-03-27T00:00Z'), new Date('2026-03-31T00:00Z')), 16 * HOUR);
  });

  test('and on each side of the autumn change (2026-10-25)', () => {
    assert.deepEqual(london.status(new Date('2026-10-23T08:00Z')), { open: true, closesAt: new Date('2026-10-23T16:00Z') });
    assert.deepEqual(london.status(new Date('2026-10-23T16:00Z')), {
      open: false,
      opensAt: new Date('2026-10-26T09:00Z'),
      reason: { kind: 'outside_hours' },
    });
    assert.deepEqual(london.addBusinessTime(new Date('2026-10-23T15:00Z'), 2 * HOUR), new Date('2026-10-26T10:00Z'));
  });
});
