/**
 * Contact-form submissions that arrive together are stored together (group commit): what a user notices is only
 * that every acknowledged ticket exists, with its own number, message, automatic answer and confirmation mail,
 * and that one refused submission does not take the others down with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from '../src/store/group-commit.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { insertTickets, NUMBER_PLACEHOLDER, type IntakeRow } from '../src/desk/intake-repository.ts';

describe('GroupCommit', () => {
  test('items that arrive while a group is stored go together in the next one; a free slot goes at once', async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const commit = new GroupCommit<number, number>(async (items) => {
      groups.push([...items]);
      if (groups.length === 1) await gate;
      return items.map((i) => i * 10);
    }, { maxInFlight: 1, maxBatch: 100 });
    const first = commit.submit(1);
    const rest = [2, 3, 4, 5].map((i) => commit.submit(i));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(groups, [[1]], 'the first item went alone, without waiting for company');
    release();
    assert.deepEqual(await Promise.all([first, ...rest]), [10, 20, 30, 40, 50]);
    assert.deepEqual(groups, [[1], [2, 3, 4, 5]]);
  });

  test('a group the store refuses is retried item by item: only the bad item fails', async () => {
    const calls: string[][] = [];
    const commit = new GroupCommit<string, string>(async (items) => {
      calls.push([...items]);
      if (items.includes('bad')) throw new Error('check constraint violated');
      return items.map((i) => i.toUpperCase());
    }, { maxInFlight: 1, maxBatch: 100 });
    const blocker = commit.submit('first');
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((i) => commit.submit(i)));
    assert.equal(await blocker, 'FIRST');
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['A', 'check constraint violated', 'C']);
    assert.ok(calls.some((c) => c.length === 3), 'the three were tried together first');
  });

  test('items with the same key never share a statement; an answer that is an Error fails its item only', async () => {
    const groups: string[][] = [];
    const commit = new GroupCommit<string, string>(async (items) => {
      groups.push([...items]);
      return items.map((i) => (i === 'k2-x' ? new Error('refused') : i));
    }, { maxInFlight: 1, maxBatch: 100, keyOf: (i) => i.split('-')[0]! });
    const blocker = commit.submit('k0-first');
    const all = await Promise.allSettled(['k1-a', 'k1-b', 'k2-x', 'k3-c'].map((i) => commit.submit(i)));
    await blocker;
    for (const g of groups) assert.equal(new Set(g.map((i) => i.split('-')[0])).size, g.length, `one item per key in ${g.join(',')}`);
    assert.deepEqual(all.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  test('at most maxBatch items per statement', async () => {
    const sizes: number[] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, { maxInFlight: 1, maxBatch: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => commit.submit(i)));
    assert.ok(sizes.every((s) => s <= 3), sizes.join(','));
    assert.equal(sizes.reduce((a, b) => a + b, 0), 10);
  });
});

describe('a surge of contact-form submissions on the real desk (embedded database)', () => {
  let app: RunningApp;
  let incidentId: string;
  before(async () => {
    app = await startApp({ config: { contactRateLimit: 1_000_000 } });
    ({ incidentId } = await app.commands.declareIncident(SYSTEM_ACTOR, {
      type: 'outage', severity: 'SEV1', status: 'investigating',
      nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable',
      bodyJa: '取引所に接続できない状態です。調査しています。', bodyEn: 'The exchange cannot be reached. We are investigating.',
      componentStatuses: { pairbtcjpy00: 'major_outage' },
    }));
    await app.site.refresh();
  });
  after(() => app.stop());

  test('60 submissions at once: every ticket shown exists with its number, its message, the automatic answer and its mail; a resubmitted form gets its ticket back', async () => {
    const key = 'resubmitted-form-key-0001';
    const submissions = Array.from({ length: 60 }, (_, i) => ({
      body: i % 2 ? `取引所が落ちていますか？アプリが開きません (${i})` : `Is the exchange down? The app will not open (${i})`,
      email: `surge-${i}@example.jp`,
      ...(i === 7 || i === 8 ? { submission: key, email: 'same-user@example.jp' } : {}),
    }));
    const results = await Promise.all(submissions.map((s, i) => app.desk.submit(s, { lang: i % 2 ? 'ja' : 'en', ip: null })));

    assert.equal(results[7]!.ticketId, results[8]!.ticketId, 'the same form sent twice is one ticket');
    const ids = new Set(results.map((r) => r.ticketId));
    assert.equal(ids.size, 59);
    assert.equal(new Set(results.map((r) => r.number)).size, 59, 'every ticket has its own number');

    const rows = await app.db.query<{ id: string; number: number; incident_id: string | null; kinds: string[]; mails: number; subject: string | null }>(
      `SELECT t.id, t.number, t.incident_id,
              ARRAY(SELECT kind FROM ticket_messages m WHERE m.ticket_id = t.id ORDER BY m.id) AS kinds,
              (SELECT count(*) FROM mail_outbox o WHERE o.ticket_id = t.id)::int AS mails,
              (SELECT subject FROM mail_outbox o WHERE o.ticket_id = t.id LIMIT 1) AS subject
         FROM tickets t WHERE t.id = ANY($1::text[])`, [[...ids]]);
    assert.equal(rows.length, 59, 'every acknowledged ticket is stored');
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of results) {
      const row = byId.get(r.ticketId)!;
      assert.equal(Number(row.number), r.number, 'the number shown is the stored one');
      assert.equal(row.incident_id, incidentId, 'linked to the open incident');
      assert.deepEqual(row.kinds, ['user', 'auto'], 'the message, then the automatic answer');
      assert.equal(row.mails, 1, 'one confirmation mail');
      assert.ok(row.subject?.includes(String(r.number)), `the mail's subject carries the ticket number: ${row.subject}`);
    }
  });

  test('one statement for several rows: each its own number, link, messages and mail; a used form key answers with the earlier ticket', async () => {
    const earlier = await app.desk.submit({ body: '出金が届きません', email: 'keyed@example.jp', submission: 'keyed-form-key-00000001' }, { lang: 'ja', ip: null });
    const now = new Date();
    const row = (id: string, over: Partial<IntakeRow>): IntakeRow => ({
      id, email: `${id}@example.jp`, lang: 'ja', body: `本文 ${id}`, orderId: null, transactionId: null, asset: null, amount: null,
      userCategory: null, type: 'outage', priority: 'normal', reasons: '[]', incidentId: null,
      firstResponseDueAt: now, resolutionDueAt: now, createdAt: now, ip: null, autoAnswer: null,
      mail: { messageId: `<${id}@example.jp>`, subject: `受付 #${NUMBER_PLACEHOLDER}`, text: `番号 ${NUMBER_PLACEHOLDER}`, textWithAnswer: `番号 ${NUMBER_PLACEHOLDER} と回答` },
      submissionKey: null, number: null, needsHuman: false, modelVersion: null, ...over,
    });
    const rows = [
      row('multirowlinked', { incidentId, autoAnswer: { updateId: 'no-such-update', body: '調査中です' } }),
      row('multirowkeyed', { email: 'keyed@example.jp', submissionKey: 'keyed-form-key-00000001' }),
      row('multirowplain', { mail: null }),
    ];
    const stored = await insertTickets(app.db, rows);
    assert.equal(stored.get('multirowkeyed')?.id, earlier.ticketId, 'the used key answers with the earlier ticket');
    assert.equal(stored.get('multirowkeyed')?.number, earlier.number);
    const linked = stored.get('multirowlinked')!;
    const plain = stored.get('multirowplain')!;
    assert.ok(linked && plain && linked.number !== plain.number, 'two new tickets, two numbers');
    const facts = await app.db.query<{ id: string; incident_id: string | null; kinds: string[]; subject: string | null; text: string | null }>(
      `SELECT t.id, t.incident_id, ARRAY(SELECT kind FROM ticket_messages m WHERE m.ticket_id = t.id ORDER BY m.id) AS kinds,
              o.subject, o.text_body AS text
         FROM tickets t LEFT JOIN mail_outbox o ON o.ticket_id = t.id WHERE t.id = ANY($1::text[]) ORDER BY t.id`, [['multirowlinked', 'multirowplain']]);
    assert.deepEqual(facts.map((f) => [f.id, f.incident_id, f.kinds]), [['multirowlinked', incidentId, ['user', 'auto']], ['multirowplain', null, ['user']]]);
    assert.equal(facts[0]!.subject, `受付 #${linked.number}`);
    assert.equal(facts[0]!.text, `番号 ${linked.number} と回答`, 'the linked ticket gets the mail with the answer');
    assert.equal(facts[1]!.subject, null, 'no mail asked, none queued');
    assert.equal((await app.db.query('SELECT 1 FROM tickets WHERE id = $1', ['multirowkeyed'])).length, 0, 'nothing stored for the used key');
  });

  test('a submission refused by the database inside a group does not fail the others', async () => {
    // An e-mail address the form accepts but the table's check refuses cannot be made through the form, so the
    // refusal comes from the database itself: a ticket number someone else already holds.
    const [{ number: taken }] = await app.db.query<{ number: number }>('SELECT number FROM tickets ORDER BY number LIMIT 1') as [{ number: number }];
    const tries = Array.from({ length: 10 }, (_, i) => app.desk.submit(
      { body: `出金が反映されません (${i})`, email: `group-${i}@example.jp` },
      { lang: 'ja', ip: null, ...(i === 4 ? { number: Number(taken) } : {}) },
    ));
    const settled = await Promise.allSettled(tries);
    assert.deepEqual(settled.map((s) => s.status), settled.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    const stored = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE email LIKE 'group-%@example.jp'`);
    assert.equal(stored[0]!.n, 9);
  });
});
