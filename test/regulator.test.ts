/**
 * The regulator's clock (issue 13 §8): deadlines from the moment of awareness across Japanese holidays and the
 * year-end closure, the PPC's 30/60-day final report, rules that attach and withdraw as the facts change, the
 * rules file's errors named, done/overdue in the review and in the staff home's function, the printable draft, and
 * one reminder per obligation and stage from two app instances on one PostgreSQL database (mail received once).
 *
 * Run: node --import tsx --test --test-reporter=spec test/regulator.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.ts';
import { BusinessCalendar } from '../src/domain/business-calendar.ts';
import {
  applicableRules, deadline, loadRules, openRegulatoryObligations, parseRules, RulesFileError, DEFAULT_RULES_FILE, type RuleFacts,
} from '../src/regulator/index.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';

const rules = loadRules();
const cal = new BusinessCalendar(rules.calendar);
const HOUR = 3_600_000;
/** An instant given as Tokyo wall-clock time. */
const jst = (s: string) => new Date(`${s}+09:00`);
/** The exclusive end of a Tokyo day: a report is on time before the next midnight. */
const endOf = (day: string) => new Date(new Date(`${day}T00:00:00+09:00`).getTime() + 24 * HOUR);
const stage = (ruleId: string, stageId: string) => {
  const s = rules.rules.find((r) => r.id === ruleId)?.stages.find((x) => x.id === stageId);
  assert.ok(s, `${ruleId}/${stageId} in the shipped rules`);
  return s;
};
const facts = (over: Partial<RuleFacts['flags']> & { users?: number | null; type?: RuleFacts['type']; severity?: RuleFacts['severity'] } = {}): RuleFacts => ({
  type: over.type ?? 'security',
  severity: over.severity ?? 'SEV3',
  flags: {
    personalData: over.personalData ?? false, sensitiveData: over.sensitiveData ?? false, financialLossRisk: over.financialLossRisk ?? false,
    wrongfulAct: over.wrongfulAct ?? false, customerAssetsLost: over.customerAssetsLost ?? false,
  },
  usersAffected: over.users ?? null,
});

describe('deadlines (shipped Japanese rules, the regulators\' calendar)', () => {
  test('the calendar: Golden Week, a substitute holiday and the year-end closure are closed', () => {
    for (const closed of ['2026-05-04', '2026-05-05', '2026-05-06', '2026-12-29', '2026-12-31', '2027-01-01', '2027-01-03', '2027-01-11']) {
      assert.equal(cal.isBusinessDay(closed), false, closed);
    }
    for (const open of ['2026-05-07', '2026-12-28', '2027-01-04']) assert.equal(cal.isBusinessDay(open), true, open);
  });

  test('business days skip holidays: aware on Friday 1 May 2026, 3 business days is Monday 11 May', () => {
    assert.deepEqual(deadline({ businessDays: 3 }, jst('2026-05-01T10:00:00'), cal), endOf('2026-05-11'));
    // The PPC's preliminary report: 3 business days, but never more than 5 calendar days ("about 3–5 days").
    assert.deepEqual(deadline(stage('ppc-breach', 'preliminary').due, jst('2026-05-01T10:00:00'), cal), endOf('2026-05-06'));
    // On an ordinary week the cap does not bite: Monday → Thursday.
    assert.deepEqual(deadline(stage('ppc-breach', 'preliminary').due, jst('2026-11-16T23:30:00'), cal), endOf('2026-11-19'));
  });

  test('across the year-end closure (29 Dec – 3 Jan)', () => {
    // The FSA leak report: 3 business days from Friday 25 December → 28 Dec, 4 Jan, 5 Jan.
    assert.deepEqual(deadline(stage('fsa-leak', 'report').due, jst('2026-12-25T09:00:00'), cal), endOf('2027-01-05'));
    // The FSA's written report, 30 days after 1 December falls on 31 December (closed): the business day before.
    assert.deepEqual(deadline(stage('fsa-system-failure', 'written').due, jst('2026-12-01T12:00:00'), cal), endOf('2026-12-28'));
    // The same rule told to move a closed day forward instead.
    assert.deepEqual(deadline({ calendarDays: 30, ifClosed: 'next' }, jst('2026-12-01T12:00:00'), cal), endOf('2027-01-04'));
    // The PPC's preliminary report over the closure: capped at 5 calendar days (30 December), not 5 January.
    assert.deepEqual(deadline(stage('ppc-breach', 'preliminary').due, jst('2026-12-25T09:00:00'), cal), endOf('2026-12-30'));
  });

  test('the PPC final report: 30 days, 60 when a wrongful act is suspected; the day of awareness is not counted', () => {
    const final = stage('ppc-breach', 'final');
    assert.deepEqual(deadline(final.due, jst('2026-03-01T23:59:00'), cal), endOf('2026-03-31'));
    const wrongful = final.variants.find((v) => v.due.calendarDays === 60);
    assert.ok(wrongful);
    assert.deepEqual(deadline(wrongful.due, jst('2026-03-01T00:01:00'), cal), endOf('2026-04-30'));
    // Kept as is when it falls on a weekend: the PPC's form takes reports any day (ifClosed: keep).
    assert.deepEqual(deadline(final.due, jst('2026-10-04T10:00:00'), cal), endOf('2026-11-03'), '3 November 2026 is a holiday and stays');
  });

  test('"at once" is counted in hours, to the minute', () => {
    assert.deepEqual(deadline(stage('fsa-system-failure', 'first').due, jst('2026-12-31T23:30:00'), cal), jst('2027-01-01T00:30:00'));
  });

  test('which rules attach: thresholds and flags', () => {
    const ids = (f: RuleFacts) => applicableRules(rules, f).map((r) => r.id).sort();
    assert.deepEqual(ids(facts({ personalData: true, users: 1000 })), ['fsa-leak'], '1,000 people is not "more than 1,000"');
    assert.deepEqual(ids(facts({ personalData: true, users: 1001 })), ['ppc-breach']);
    assert.deepEqual(ids(facts({ personalData: true, wrongfulAct: true, users: 1 })), ['ppc-breach']);
    assert.deepEqual(ids(facts({ type: 'outage', severity: 'SEV2' })), ['fsa-system-failure']);
    assert.deepEqual(ids(facts({ type: 'outage', severity: 'SEV3' })), []);
    assert.deepEqual(ids(facts({ customerAssetsLost: true })), ['fsa-system-failure']);
  });

  test('the rules file: comments allowed, each mistake named with its place', () => {
    assert.match(readFileSync(DEFAULT_RULES_FILE, 'utf8'), /個人情報保護法 第26条/, 'the shipped file cites its sources');
    const text = readFileSync(DEFAULT_RULES_FILE, 'utf8');
    const broken = text.replace('"flag": "sensitiveData"', '"flag": "sensitive"');
    assert.throws(() => parseRules(broken, 'x.jsonc'), (err: unknown) => err instanceof RulesFileError && /x\.jsonc.*rules\[0\]\.when\.all\[1\]\.any\[0\]\.flag: must be one of personalData/.test(err.message));
    assert.throws(() => parseRules('{ "rules": [ { "id": "a", "authority": {"ja":"a","en":"a"}, "title": {"ja":"a","en":"a"}, "source": "s", "when": {"flag":"personalData"}, "stages": [ { "id": "s1", "title": {"ja":"a","en":"a"}, "due": { "hours": 1, "calendarDays": 2 } } ], "draft": [] } ] }', 'y.jsonc'),
      /rules\[0\]\.stages\[0\]\.due: needs exactly one of hours, calendarDays, businessDays/);
    assert.throws(() => parseRules('{ "calendar": { "yearEnd": "late december" }, "rules": [] }', 'z.jsonc'), /calendar: BUSINESS_YEAR_END must look like/);
  });
});

describe('obligations on an incident', () => {
  let app: RunningApp;
  let now: Date;
  let staff: StaffClient;
  let incidentId = '';
  const actor = { type: 'staff' as const, id: null };

  before(async () => {
    now = jst('2026-12-24T10:00:00');
    const base = loadConfig();
    app = await startApp({ clock: () => now, config: { monitors: { ...base.monitors, enabled: false } } });
    staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
  });
  after(async () => {
    await app?.stop();
  });

  test('facts attach the PPC report with 60 days for a wrongful act, 30 without, and withdraw it when no longer due', async () => {
    ({ incidentId } = await app.commands.declareIncident(actor, { type: 'security', severity: 'SEV2', nameJa: '不正アクセスの疑い', nameEn: 'Suspected unauthorised access', bodyJa: '調査中です。' }));
    const save = (over: Record<string, unknown>) => staff.postJson(`/staff/incidents/${incidentId}/regulator/facts`, { awareAt: '2026-12-24T09:30', personalData: true, wrongfulAct: true, usersAffected: '120', dataItems: 'メールアドレス', ...over });
    assert.equal((await save({})).status, 200);
    let [ob] = await app.regulator.obligationsFor(incidentId);
    assert.equal(ob?.ruleId, 'ppc-breach');
    const due = (id: string) => ob!.stages.find((s) => s.stageId === id)!.dueAt;
    assert.deepEqual(due('preliminary'), endOf('2026-12-29'), 'Thursday 24 Dec: 3 business days would be 4 Jan (the closure), capped at 5 days');
    assert.deepEqual(due('final'), endOf('2027-02-22'), '60 days after 24 December');
    assert.deepEqual(ob?.stages.find((s) => s.stageId === 'final')?.variantNote?.en, '60 days: a wrongful act is suspected');

    assert.equal((await save({ wrongfulAct: false, usersAffected: '1,500' })).status, 200);
    [ob] = await app.regulator.obligationsFor(incidentId);
    assert.deepEqual(due('final'), endOf('2027-01-23'), '30 days: more than 1,000 people, no wrongful act');

    assert.equal((await save({ wrongfulAct: false, usersAffected: '20' })).status, 200);
    assert.deepEqual((await app.regulator.obligationsFor(incidentId)).map((o) => o.ruleId), ['fsa-leak'], 'below the thresholds: the FSA leak report only');
    const all = await app.regulator.obligationsFor(incidentId, { includeWithdrawn: true });
    assert.deepEqual(all.map((o) => [o.ruleId, o.status]).sort(), [['fsa-leak', 'open'], ['ppc-breach', 'withdrawn']]);

    assert.equal((await save({ wrongfulAct: true, usersAffected: '120' })).status, 200, 'back to the PPC report');
  });

  test('bad facts are refused with the field named, nothing changed', async () => {
    const before = await app.db.query('SELECT * FROM regulatory_facts WHERE incident_id = $1', [incidentId]);
    for (const [body, message] of [
      [{ awareAt: 'yesterday' }, /「事態を知った日時」の日時の形式が正しくありません/],
      [{ awareAt: '2027-06-01T00:00' }, /未来の日時は指定できません/],
      [{ awareAt: '2026-12-24T09:30', usersAffected: '-3' }, /0以上の整数/],
    ] as const) {
      const res = await staff.postJson(`/staff/incidents/${incidentId}/regulator/facts`, body);
      assert.equal(res.status, 400);
      assert.match(((await res.json()) as { message: string }).message, message);
    }
    assert.deepEqual(await app.db.query('SELECT * FROM regulatory_facts WHERE incident_id = $1', [incidentId]), before);
  });

  test('filed on time, overdue: in the review, the regulator page and the staff home function', async () => {
    const [ob] = await app.regulator.obligationsFor(incidentId);
    const [owner] = await app.db.query<{ id: string }>(`SELECT id FROM staff ORDER BY created_at DESC LIMIT 1`);
    assert.equal((await staff.postJson(`/staff/regulator/obligations/${ob!.id}/owner`, { ownerId: owner!.id })).status, 200);
    now = jst('2026-12-25T15:00:00');
    assert.equal((await staff.postJson(`/staff/regulator/obligations/${ob!.id}/stages/preliminary`, { done: true, reference: 'PPC-2026-001' })).status, 200);
    let open = await openRegulatoryObligations(app.db, owner!.id, now);
    assert.deepEqual(open.map((o) => [o.stageId, o.overdue]), [['final', false]], 'the filed stage is no longer open');
    now = jst('2027-02-23T09:00:00');
    open = await openRegulatoryObligations(app.db, owner!.id, now);
    assert.deepEqual(open.map((o) => [o.stageId, o.overdue, o.href]), [['final', true, `/staff/incidents/${incidentId}/regulator`]]);
    const review = await (await fetch(`${app.baseUrl}/staff/incidents/${incidentId}/review`, { headers: { cookie: staff.cookie, accept: 'application/json' } })).json() as { obligations: { ruleId: string; stages: { stageId: string; state: string }[] }[] };
    assert.deepEqual(review.obligations[0]?.stages.map((s) => [s.stageId, s.state]), [['preliminary', 'done_on_time'], ['final', 'overdue']]);
    const page = (await (await staff.get(`/staff/incidents/${incidentId}/review`)).text()).replace(/<[^>]+>/g, ' ');
    assert.match(page, /期限内に提出/);
    assert.match(page, /期限超過/);
    const overview = (await (await staff.get('/staff/regulator?lang=en')).text()).replace(/<[^>]+>/g, ' ');
    assert.match(overview, /Overdue/);
  });

  test('the printable draft is filled from the record and says what is missing', async () => {
    const [ob] = await app.regulator.obligationsFor(incidentId);
    const res = await fetch(`${app.baseUrl}/staff/regulator/obligations/${ob!.id}/draft?stage=final`, { headers: { cookie: staff.cookie, accept: 'application/json' } });
    const { lines } = (await res.json()) as { lines: { label: string; value: string; missing: boolean }[] };
    const line = (prefix: string) => lines.find((l) => l.label.startsWith(prefix));
    assert.equal(line('(2)')?.value, 'メールアドレス');
    assert.equal(line('(3)')?.value, '120 人');
    assert.equal(line('(4)')?.missing, true, 'no cause written yet');
    assert.match(String(line('(7)')?.value), /調査中: 調査中です。/);
    assert.match(String(line('(9)')?.value), /事態を知った日時: 2026年12月24日 09:30 JST/);
    const html = await (await staff.get(`/staff/regulator/obligations/${ob!.id}/draft?stage=final&lang=en`)).text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /\(1\) Summary/);
  });
});

describe('one reminder per obligation and stage, from two app instances on one PostgreSQL database', { skip: postgresAvailable() ? undefined : 'initdb not found' }, () => {
  let pg: PostgresServer;
  let smtp: SmtpTestServer;
  let a: RunningApp;
  let b: RunningApp;
  let now = jst('2026-11-20T10:00:00');

  before(async () => {
    [pg, smtp] = await Promise.all([startPostgres(), startSmtpServer()]);
    const base = loadConfig();
    const config = { monitors: { ...base.monitors, enabled: false }, smtpUrl: smtp.url };
    a = await startApp({ databaseUrl: pg.url, clock: () => now, config });
    b = await startApp({ databaseUrl: pg.url, clock: () => now, config, demo: false });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await smtp?.stop();
    pg?.destroy();
  });

  test('both instances run the reminders at once, again and again: each stage is mailed once, to its owner', async () => {
    const email = await makeStaff(a.db, 'incident_commander');
    const [owner] = await a.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]);
    const actor = { type: 'staff' as const, id: owner!.id };
    // Declared by the owner: with no owner set, the commander is reminded.
    const { incidentId } = await a.commands.declareIncident(actor, { type: 'outage', severity: 'SEV1', nameJa: '全面停止', nameEn: 'Full outage', bodyJa: '停止しています。' });
    await b.regulator.attach(incidentId);
    await a.regulator.attach(incidentId);
    const [ob] = await a.regulator.obligationsFor(incidentId);
    assert.equal(ob?.ruleId, 'fsa-system-failure');
    assert.deepEqual(await Promise.all([a.regulator.runReminders(), b.regulator.runReminders()]), [0, 0], 'nothing due yet');

    // (Each instance's own once-a-minute timer may also take part: the counts below are the database's and the mail server's.)
    const reminders = async () => Number((await a.db.query<{ n: number }>('SELECT count(*)::int AS n FROM regulatory_reminders'))[0]?.n);
    now = new Date(now.getTime() + 40 * 60_000); // the first report's reminder (30 min before its 1 h deadline)
    const first = await Promise.all([a.regulator.runReminders(), b.regulator.runReminders(), a.regulator.runReminders(), b.regulator.runReminders()]);
    assert.ok(first.reduce((x, y) => x + y, 0) <= 1, `at most one queued (${first.join(', ')})`);
    assert.equal(await reminders(), 1, 'the first report: one reminder');
    now = new Date(now.getTime() + 26 * 86_400_000); // the written report's reminder (5 days before its deadline)
    const second = await Promise.all([b.regulator.runReminders(), a.regulator.runReminders(), b.regulator.runReminders()]);
    assert.ok(second.reduce((x, y) => x + y, 0) <= 1);
    assert.equal(await reminders(), 2, 'the written report: one more');
    assert.deepEqual(await Promise.all([a.regulator.runReminders(), b.regulator.runReminders()]), [0, 0], 'never again');

    await Promise.all([a.mail.drain(), b.mail.drain()]);
    const mails = smtp.messages.filter((m) => m.subject.includes('システム障害等の報告'));
    assert.equal(mails.length, 2, 'two stages, one mail each');
    assert.deepEqual(mails.map((m) => m.to).flat(), [email, email]);
    assert.deepEqual(mails.map((m) => /第一報|障害発生等報告書/.exec(m.subject)?.[0]).sort(), ['第一報', '障害発生等報告書'].sort());
    const text = mails[0]!.text;
    assert.ok(text.indexOf('期限') < text.indexOf('Due:'), 'Japanese first, English second');
    assert.match(text, /\/staff\/regulator\/obligations\/[0-9a-z]+\/draft/);
    assert.equal(await reminders(), 2);
  });
});
