import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BusinessCalendar, DEFAULT_BUSINESS_CALENDAR } from '../src/domain/business-calendar.ts';
import {
  DEFAULT_SLA_POLICY,
  initialDueDates,
  pauseClock,
  repriorize,
  resumeClock,
  slaState,
  type SlaTicket,
} from '../src/desk/sla.ts';
import type { Priority } from '../src/domain/ticket.ts';

const HOUR = 3_600_000;
const jst = (local: string) => new Date(`${local}+09:00`);
const calendar = new BusinessCalendar(DEFAULT_BUSINESS_CALENDAR);
const policy = DEFAULT_SLA_POLICY;

function newTicket(priority: Priority, createdAt: Date): SlaTicket {
  return {
    priority,
    createdAt,
    ...initialDueDates(policy, calendar, priority, createdAt),
    pausedAt: null,
    firstRespondedAt: null,
    resolvedAt: null,
  };
}

describe('SLA due dates', () => {
  test('the default policy', () => {
    assert.deepEqual(DEFAULT_SLA_POLICY, {
      urgent: { firstResponseMs: 1 * HOUR, resolutionMs: 8 * HOUR, clock: 'always' },
      high: { firstResponseMs: 4 * HOUR, resolutionMs: 18 * HOUR, clock: 'business' },
      normal: { firstResponseMs: 9 * HOUR, resolutionMs: 45 * HOUR, clock: 'business' },
      low: { firstResponseMs: 18 * HOUR, resolutionMs: 90 * HOUR, clock: 'business' },
    });
  });

  test('a normal ticket filed Friday 17:00 is due for a first response Monday 17:00', () => {
    // 1 business hour on Friday, 8 on Monday. Resolution: 1 + 4 × 9 (Mon–Thu) + 8 → the next Friday 17:00.
    assert.deepEqual(initialDueDates(policy, calendar, 'normal', jst('2026-11-27T17:00')), {
      firstResponseDueAt: jst('2026-11-30T17:00'),
      resolutionDueAt: jst('2026-12-04T17:00'),
    });
  });

  test('…and on Tuesday when Monday is a national holiday', () => {
    assert.equal(
      initialDueDates(policy, calendar, 'normal', jst('2026-11-20T17:00')).firstResponseDueAt.getTime(),
      jst('2026-11-24T17:00').getTime(),
    );
  });

  test('an urgent ticket filed Saturday 03:00 is due at 04:00 the same day (around the clock)', () => {
    assert.deepEqual(initialDueDates(policy, calendar, 'urgent', jst('2026-11-28T03:00')), {
      firstResponseDueAt: jst('2026-11-28T04:00'),
      resolutionDueAt: jst('2026-11-28T11:00'),
    });
  });

  test('high and low tickets count business hours', () => {
    assert.deepEqual(initialDueDates(policy, calendar, 'high', jst('2026-11-25T16:00')), {
      firstResponseDueAt: jst('2026-11-26T11:00'),
      resolutionDueAt: jst('2026-11-27T16:00'),
    });
    assert.equal(
      initialDueDates(policy, calendar, 'low', jst('2026-11-30T09:00')).firstResponseDueAt.getTime(),
      jst('2026-12-01T18:00').getTime(),
    );
  });

  test('a ticket filed during the year-end closure starts counting on 2027-01-04', () => {
    assert.equal(
      initialDueDates(policy, calendar, 'high', jst('2026-12-30T12:00')).firstResponseDueAt.getTime(),
      jst('2027-01-04T13:00').getTime(),
    );
  });
});

describe('SLA pause and resume', () => {
  test('pausing for 2 business hours pushes the open due dates back by exactly that', () => {
    const created = newTicket('normal', jst('2026-11-30T09:00'));
    assert.deepEqual(created.resolutionDueAt, jst('2026-12-04T18:00'));
    const answered = { ...created, firstRespondedAt: jst('2026-11-30T10:00') };
    const paused = pauseClock(answered, jst('2026-11-30T10:00'));
    assert.deepEqual(paused.pausedAt, jst('2026-11-30T10:00'));
    const resumed = resumeClock(paused, 'business', calendar, jst('2026-11-30T12:00'));
    assert.equal(resumed.pausedAt, null);
    assert.deepEqual(resumed.resolutionDueAt, jst('2026-12-07T11:00'));
    assert.equal(calendar.businessTimeBetween(created.resolutionDueAt!, resumed.resolutionDueAt!), 2 * HOUR);
    assert.deepEqual(resumed.firstResponseDueAt, created.firstResponseDueAt, 'a met target is not moved');
  });

  test('a pause that spans only closed hours moves nothing; one across a weekend counts just its open hours', () => {
    const ticket = newTicket('normal', jst('2026-11-26T12:00'));
    const overWeekend = resumeClock(pauseClock(ticket, jst('2026-11-27T18:30')), 'business', calendar, jst('2026-11-29T20:00'));
    assert.deepEqual(overWeekend.firstResponseDueAt, ticket.firstResponseDueAt);
    assert.deepEqual(overWeekend.resolutionDueAt, ticket.resolutionDueAt);
    // Fri 17:00–18:00 and Mon 09:00–10:00: 2 business hours.
    const fridayToMonday = resumeClock(pauseClock(ticket, jst('2026-11-27T17:00')), 'business', calendar, jst('2026-11-30T10:00'));
    assert.equal(calendar.businessTimeBetween(ticket.resolutionDueAt!, fridayToMonday.resolutionDueAt!), 2 * HOUR);
  });

  test('an around-the-clock ticket is pushed back by wall-clock time', () => {
    const ticket = newTicket('urgent', jst('2026-11-28T03:00'));
    const resumed = resumeClock(pauseClock(ticket, jst('2026-11-28T03:10')), 'always', calendar, jst('2026-11-28T03:40'));
    assert.deepEqual(resumed.firstResponseDueAt, jst('2026-11-28T04:30'));
    assert.deepEqual(resumed.resolutionDueAt, jst('2026-11-28T11:30'));
  });

  test('pausing twice keeps the first pause; resuming an unpaused clock changes nothing', () => {
    const ticket = newTicket('normal', jst('2026-11-30T09:00'));
    const paused = pauseClock(ticket, jst('2026-11-30T10:00'));
    assert.equal(pauseClock(paused, jst('2026-11-30T11:00')), paused);
    assert.equal(resumeClock(ticket, 'business', calendar, jst('2026-11-30T11:00')), ticket);
  });

  test('a due date already passed when the clock was paused stays breached', () => {
    const ticket = newTicket('normal', jst('2026-11-30T09:00')); // first response due 18:00
    const paused = pauseClock(ticket, jst('2026-12-01T10:00'));
    assert.equal(slaState(paused, jst('2026-12-01T11:00'), policy, calendar).firstResponse, 'breached');
    const resumed = resumeClock(paused, 'business', calendar, jst('2026-12-01T15:00'));
    assert.deepEqual(resumed.firstResponseDueAt, ticket.firstResponseDueAt);
    assert.equal(calendar.businessTimeBetween(ticket.resolutionDueAt!, resumed.resolutionDueAt!), 5 * HOUR);
  });
});

describe('SLA state', () => {
  const ticket = newTicket('normal', jst('2026-11-30T09:00')); // first response due Mon 18:00

  test('ok, then due soon in the last quarter, then breached once past due', () => {
    const at = (local: string) => slaState(ticket, jst(local), policy, calendar);
    assert.deepEqual(at('2026-11-30T12:00'), {
      firstResponse: 'ok',
      resolution: 'ok',
      nextDueAt: jst('2026-11-30T18:00'),
    });
    assert.equal(at('2026-11-30T15:30').firstResponse, 'ok'); // 2.5 h of 9 h left
    assert.equal(at('2026-11-30T15:45').firstResponse, 'ok'); // exactly 25 % (2.25 h) left is not "less than"
    assert.equal(at('2026-11-30T15:46').firstResponse, 'due_soon');
    assert.equal(at('2026-11-30T18:00').firstResponse, 'due_soon');
    assert.equal(at('2026-11-30T18:00:00.001').firstResponse, 'breached');
    assert.deepEqual(at('2026-12-01T09:30'), {
      firstResponse: 'breached',
      resolution: 'ok',
      nextDueAt: jst('2026-11-30T18:00'),
    });
  });

  test('a response in time is met; a late response stays a breach', () => {
    const onTime = { ...ticket, firstRespondedAt: jst('2026-11-30T17:59') };
    assert.equal(slaState(onTime, jst('2026-12-02T10:00'), policy, calendar).firstResponse, 'met');
    const late = { ...ticket, firstRespondedAt: jst('2026-12-01T09:30') };
    const state = slaState(late, jst('2026-12-02T10:00'), policy, calendar);
    assert.equal(state.firstResponse, 'breached');
    assert.deepEqual(state.nextDueAt, ticket.resolutionDueAt, 'the answered target no longer sets the next due date');
  });

  test('business-clock time left is counted in business hours (Friday evening, due Monday)', () => {
    const friday = newTicket('normal', jst('2026-11-27T17:00')); // first response due Mon 17:00
    // Friday 18:30: 64.5 wall-clock hours but only 8 business hours of 9 remain.
    assert.equal(slaState(friday, jst('2026-11-27T18:30'), policy, calendar).firstResponse, 'ok');
    // Monday 15:30: 1.5 business hours (< 25 % of 9 h) remain.
    assert.equal(slaState(friday, jst('2026-11-30T15:30'), policy, calendar).firstResponse, 'due_soon');
  });

  test('an urgent first response is due soon as soon as under an hour is left', () => {
    const urgent = newTicket('urgent', jst('2026-11-28T03:00'));
    assert.equal(slaState(urgent, jst('2026-11-28T03:00'), policy, calendar).firstResponse, 'ok');
    assert.deepEqual(slaState(urgent, jst('2026-11-28T03:05'), policy, calendar), {
      firstResponse: 'due_soon',
      resolution: 'ok',
      nextDueAt: jst('2026-11-28T04:00'),
    });
    assert.equal(slaState(urgent, jst('2026-11-28T04:01'), policy, calendar).firstResponse, 'breached');
  });

  test('paused targets show as paused and leave nextDueAt', () => {
    const paused = pauseClock({ ...ticket, firstRespondedAt: jst('2026-11-30T10:00') }, jst('2026-11-30T10:00'));
    assert.deepEqual(slaState(paused, jst('2026-12-10T10:00'), policy, calendar), {
      firstResponse: 'met',
      resolution: 'paused',
      nextDueAt: null,
    });
  });

  test('resolving counts as the first response; null due dates are not applicable', () => {
    const solved = { ...ticket, resolvedAt: jst('2026-11-30T11:00') };
    assert.deepEqual(slaState(solved, jst('2026-12-10T10:00'), policy, calendar), {
      firstResponse: 'met',
      resolution: 'met',
      nextDueAt: null,
    });
    const none = { ...ticket, firstResponseDueAt: null, resolutionDueAt: null };
    assert.deepEqual(slaState(none, jst('2026-12-10T10:00'), policy, calendar), {
      firstResponse: 'n/a',
      resolution: 'n/a',
      nextDueAt: null,
    });
  });
});

describe('SLA priority change', () => {
  test('due dates are recomputed from creation under the new priority', () => {
    const ticket = newTicket('normal', jst('2026-11-30T09:00'));
    const raised = repriorize(policy, calendar, ticket, 'high');
    assert.equal(raised.priority, 'high');
    assert.deepEqual(raised.firstResponseDueAt, jst('2026-11-30T13:00'));
    assert.deepEqual(raised.resolutionDueAt, jst('2026-12-01T18:00'));
  });

  test('time earned by earlier pauses is kept; met targets keep their due date', () => {
    const created = newTicket('normal', jst('2026-11-30T09:00'));
    const answered = { ...created, firstRespondedAt: jst('2026-11-30T10:00') };
    const resumed = resumeClock(pauseClock(answered, jst('2026-11-30T10:00')), 'business', calendar, jst('2026-11-30T12:00'));
    const raised = repriorize(policy, calendar, resumed, 'high');
    // High resolution from creation: Tue 12-01 18:00, plus the 2 business hours of pause.
    assert.deepEqual(raised.resolutionDueAt, jst('2026-12-02T11:00'));
    assert.deepEqual(raised.firstResponseDueAt, created.firstResponseDueAt);
  });

  test('raising an old unanswered ticket to urgent can breach it at once', () => {
    const ticket = newTicket('normal', jst('2026-11-30T09:00'));
    const urgent = repriorize(policy, calendar, ticket, 'urgent');
    assert.deepEqual(urgent.firstResponseDueAt, jst('2026-11-30T10:00'));
    assert.equal(slaState(urgent, jst('2026-11-30T11:00'), policy, calendar).firstResponse, 'breached');
  });
});
