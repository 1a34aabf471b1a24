/**
 * One expansion round of the fan-out (expandEvents) on its own: it takes the waiting events in order, several in
 * one transaction, never more than `chunk` subscribers in all; the event that fills the chunk keeps its cursor and
 * the events after it wait for the next round; nothing is delivered twice; and the NOTIFYs say which is which (a
 * new event wakes the sweepers, an expansion that made deliveries the channel workers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openMigratedDb } from './support/test-db.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { StatusCommands } from '../src/status/commands.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { DELIVERIES_PAYLOAD, expandEvents, FANOUT_CHANNEL, NEW_EVENT_PAYLOAD } from '../src/notify/fanout/expand.ts';
import './support/audit-key.ts';
import type { Db } from '../src/store/db.ts';

let db: Db;
let commands: StatusCommands;
const heard: string[] = [];
let unlisten: () => Promise<void>;

before(async () => {
  db = await openMigratedDb();
  await seedDemoData(db);
  commands = new StatusCommands(db);
  unlisten = await db.listen(FANOUT_CHANNEL, (payload) => heard.push(payload));
  // Three confirmed email subscribers (incident updates reach email; component changes reach webhooks only).
  for (const n of [1, 2, 3]) {
    await db.query(
      `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at) VALUES ($1, 'email', $2, $2, 'ja', now())`,
      [`expsub${n}`, `expansion-${n}@example.net`],
    );
  }
  // Whatever the demo data left waiting is expanded first, so the test counts only its own events.
  while ((await expandEvents(db)).events > 0);
});

after(async () => {
  await unlisten?.();
  await db?.close();
});

const waiting = async () =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_events WHERE expanded_at IS NULL'))[0]!.n;
const deliveries = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries'))[0]!.n;

test('an update with two component changes is expanded in one round when the chunk has room; a small chunk splits it without sending anything twice', async () => {
  const before = await deliveries();
  heard.length = 0;
  const { incidentId } = await commands.declareIncident(SYSTEM_ACTOR, {
    type: 'outage', severity: 'SEV2', nameJa: '展開テスト', bodyJa: '調査中です。',
    componentStatuses: { restapi00000: 'partial_outage', websocket000: 'degraded_performance' },
  });
  assert.equal(await waiting(), 3, 'the update and two component changes are three events');
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(heard.includes(NEW_EVENT_PAYLOAD), `a new event NOTIFYs "${NEW_EVENT_PAYLOAD}" (heard ${JSON.stringify(heard)})`);
  assert.ok(!heard.includes(DELIVERIES_PAYLOAD), 'no deliveries yet, so no wake for the channel workers');

  const round = await expandEvents(db, 100);
  assert.deepEqual(round, { events: 3, deliveries: 3, more: false }, 'one round: three events, three email subscribers, none left');
  assert.equal(await waiting(), 0);
  assert.equal(await deliveries(), before + 3);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(heard.includes(DELIVERIES_PAYLOAD), 'deliveries made: the channel workers are woken');

  // Two more updates before any expansion (each: its component changes, then the update itself, in that order),
  // expanded in chunks of 2 subscribers.
  await commands.postUpdate(SYSTEM_ACTOR, incidentId, {
    bodyJa: '続報です。', componentStatuses: { restapi00000: 'major_outage', websocket000: 'partial_outage' },
  });
  await commands.postUpdate(SYSTEM_ACTOR, incidentId, {
    bodyJa: '続報その二です。', componentStatuses: { restapi00000: 'partial_outage', websocket000: 'major_outage' },
  });
  assert.equal(await waiting(), 6);
  // An update's own events are in no particular order among themselves (same time, random ids); the updates are.
  const secondUpdateWaiting = async () => (await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notification_events
      WHERE expanded_at IS NULL AND created_at = (SELECT max(created_at) FROM notification_events)`,
  ))[0]!.n;
  const rounds: Array<{ events: number; deliveries: number }> = [];
  for (;;) {
    const round = await expandEvents(db, 2);
    if (round.events === 0) break;
    rounds.push(round);
    if (round.deliveries === 2) assert.equal(round.more, true, 'a round that filled its chunk says more may be left');
    if (rounds.length === 1) assert.equal(await secondUpdateWaiting(), 3, 'the first round filled its chunk before the second update');
    assert.ok(rounds.length < 10, 'the expansion comes to an end');
  }
  // The last round may find only what the chunk before left: the end of a cursor, or events that match nobody.
  assert.deepEqual(rounds.map((r) => r.deliveries).filter((n) => n > 0), [2, 2, 2], 'chunks of 2 subscribers, never more');
  assert.equal(rounds.reduce((n, r) => n + r.events, 0) >= 6, true, 'every event was expanded');
  assert.equal(await waiting(), 0);
  const [dupes] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM (SELECT event_id, subscriber_id FROM deliveries GROUP BY 1, 2 HAVING count(*) > 1) d',
  );
  assert.equal(dupes!.n, 0);
  assert.equal(await deliveries(), before + 9, 'every subscriber once per update, none twice');
});
