/**
 * The staff queue as a workspace, over HTTP (PGlite, an injected clock): the views and the incident grouping,
 * paging with totals, acting on several tickets at once (assign, canned reply, link, solve — each through the
 * desk's own command, with its audit entry and email), refusals that change nothing, and triage reasons in the
 * console's language.
 *
 * Run: node --import tsx --test test/queue-workspace.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBulk, type BulkDesk } from '../src/desk/bulk.ts';
import { CANNED_REPLIES } from '../src/desk/canned-replies.ts';
import { readCorpus } from '../src/desk/triage/corpus.ts';
import { triageCombined } from '../src/desk/triage/combined.ts';
import { committedModel } from '../src/desk/triage/model-file.ts';
import { OTHER_RULE_IDS, TRIAGE_RULE_IDS } from '../src/desk/triage/rules.ts';
import { PRIORITY_RULE_IDS } from '../src/desk/triage/priority.ts';
import { reasonEffect, reasonLabel } from '../src/desk/triage/reason-views.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import type { TriageReason } from '../src/domain/ticket.ts';
import { hasMessage, t } from '../src/web/i18n.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { insertTickets } from './support/bulk-tickets.ts';
import { plain } from './support/text.ts';

let now = new Date('2026-12-07T01:00:00Z'); // Monday 10:00 JST
let app: RunningApp;
let admin: StaffClient;
let viewer: StaffClient;
let agentId = '';
let adminId = '';
let incidentId = '';
const model = committedModel();

const SURGE = 'サイトが開けません。取引所が落ちていますか？';
const idOf = async (email: string) => (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]))[0]!.id;

async function page(client: StaffClient, path: string, lang: 'ja' | 'en' = 'ja'): Promise<{ status: number; html: string }> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: client.cookie, 'accept-language': lang } });
  return { status: res.status, html: await res.text() };
}

async function json(client: StaffClient, path: string): Promise<any> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: client.cookie, accept: 'application/json' } });
  assert.equal(res.status, 200, path);
  return res.json();
}

/** The rows of the queue table, each as its raw HTML. */
const rowsOf = (html: string): string[] => (html.split('<tbody>')[1]?.split('</tbody>')[0] ?? '').split('</tr>').filter((r) => r.includes('<tr'));

/** Files through the real intake (triage, incident matching). */
const file = (text: string, lang: 'ja' | 'en' = 'ja', extra: Record<string, string> = {}) =>
  app.desk.submit({ body: text, email: `u${Math.random().toString(36).slice(2, 10)}@example.jp`, ...extra }, { lang, ip: null });

/** Everything a bulk action could change, to compare before and after a refusal. */
async function snapshot(): Promise<string> {
  const tickets = await app.db.query('SELECT id, status, assignee_id, incident_id, incident_link, updated_at, solved_at FROM tickets ORDER BY id');
  const [counts] = await app.db.query(
    `SELECT (SELECT count(*) FROM ticket_messages) AS messages, (SELECT count(*) FROM mail_outbox) AS mails, (SELECT count(*) FROM audit_log) AS audits`,
  );
  return JSON.stringify({ tickets, counts });
}

before(async () => {
  app = await startApp({ clock: () => now });
  const adminEmail = await makeStaff(app.db, 'admin');
  admin = await StaffClient.signIn(app.baseUrl, adminEmail);
  adminId = await idOf(adminEmail);
  agentId = await idOf(await makeStaff(app.db, 'agent'));
  viewer = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'));
  ({ incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV1', nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { pairbtcjpy00: 'major_outage' },
  }));
});
after(() => app?.stop());

describe('views, grouping and paging', () => {
  let security: string[] = [];
  let unsure: string[] = [];
  let plainIds: string[] = [];

  before(async () => {
    const surge = triageCombined({ text: SURGE }, model);
    await insertTickets(app.db, { count: 40, prefix: 'surge', body: SURGE, type: surge.type, priority: surge.priority, reasons: surge.reasons, createdAt: new Date(now.getTime() - 3_600_000), incidentId });
    const deposit = '日本円の入金が反映されていません。振込から3時間経っています。';
    const d = triageCombined({ text: deposit }, model);
    plainIds = await insertTickets(app.db, { count: 150, prefix: 'dep', body: deposit, type: d.type, priority: d.priority, reasons: d.reasons, createdAt: new Date(now.getTime() - 1_800_000) });
    unsure = await insertTickets(app.db, { count: 1, prefix: 'unsure', body: '例の件', type: 'other', priority: 'normal', reasons: [], createdAt: new Date(now.getTime() - 60_000), needsHuman: true });
    security = [];
    for (const text of ['身に覚えのない出金があります。アカウントが乗っ取られたかもしれません', 'my BTC was withdrawn without my permission']) {
      const filed = await file(text);
      assert.equal(filed.priority, 'urgent');
      security.push(filed.ticketId);
    }
  });

  test('the default queue: urgent security on top, then needs a human; the 40 linked tickets are one row with their count', async () => {
    const { status, html } = await page(admin, '/staff/tickets');
    assert.equal(status, 200);
    const rows = rowsOf(html);
    for (const [i, id] of security.entries()) assert.ok(rows[i]!.includes(`/staff/tickets/${id}"`), `row ${i} is a security report`);
    assert.ok(rows[2]!.includes(`/staff/tickets/${unsure[0]}"`), 'then the ticket that needs a human');
    const groups = rows.filter((r) => r.includes(`/staff/incidents/${incidentId}/tickets"`));
    assert.equal(groups.length, 1, 'the incident is one row');
    assert.ok(plain(groups[0]!).includes(t('ja', 'desk.groupRow', { count: 40 })), plain(groups[0]!));
    assert.ok(!rows.some((r) => r.includes('/staff/tickets/surge')), 'no linked ticket has its own row');
    assert.ok(plain(html).includes(t('ja', 'desk.count', { count: 193 })), 'the count is of tickets');
    for (const [view, count] of [['all', 193], ['unassigned', 193], ['security', 2], ['needs_human', 1], ['incidents', 1], ['mine', 0]] as const) {
      assert.match(html, new RegExp(`${t('ja', `desk.view.${view}`)} <span class="tab-count">${t('ja', 'desk.viewCount', { count })}</span>`), view);
    }
    assert.match(html, /<a href="\/staff\/tickets" aria-current="page">/, 'the current tab is marked');
    assert.doesNotMatch(html, /<script/i);
  });

  test('each view narrows the queue; "by incident" is the incident row only; ungrouped shows every ticket', async () => {
    const ids = (h: string) => rowsOf(h).map((r) => /\/staff\/tickets\/([0-9a-z]+)"/.exec(r)?.[1] ?? /\/staff\/incidents\/([0-9a-z]+)\/tickets"/.exec(r)?.[1]);
    assert.deepEqual(ids((await page(admin, '/staff/tickets?view=security')).html), security);
    assert.deepEqual(ids((await page(admin, '/staff/tickets?view=needs_human')).html), unsure);
    assert.deepEqual(ids((await page(admin, '/staff/tickets?view=incidents')).html), [incidentId]);
    const securityPage = (await page(admin, '/staff/tickets?view=security')).html;
    assert.match(securityPage, /<a href="\/staff\/tickets\?view=security" aria-current="page">/);
    const flat = await json(admin, '/staff/tickets?view=incidents&group=none');
    assert.equal(flat.total, 40);
    assert.ok(flat.tickets.every((x: any) => x.incidentId === incidentId));
    const grouped = await json(admin, '/staff/tickets?group=incident');
    assert.equal(grouped.total, 2 + 1 + 150 + 1, 'rows: security, needs a human, the deposits, the incident');
    assert.deepEqual(grouped.items.filter((i: any) => i.kind === 'incident').map((i: any) => [i.incidentId, i.count]), [[incidentId, 40]]);
    // The general path (any status, one scan and a sort) and the open-ticket path (indexes) agree while all are open.
    for (const offset of [0, 100]) {
      const general = await json(admin, `/staff/tickets?group=incident&status=all&offset=${offset}`);
      const indexed = await json(admin, `/staff/tickets?group=incident&offset=${offset}`);
      assert.deepEqual(general.items, indexed.items, `offset ${offset}`);
      assert.equal(general.total, indexed.total);
    }
    const narrowed = (await page(admin, `/staff/tickets?incident=${incidentId}`)).html;
    assert.equal(rowsOf(narrowed).length, 40, 'narrowed to the incident, every ticket has its row');
  });

  test('paging: 100 rows a page with the total; past the end an empty page that still says how many', async () => {
    const first = await json(admin, '/staff/tickets');
    assert.equal(first.total, 193);
    assert.equal(first.tickets.length, 100);
    const second = await json(admin, '/staff/tickets?offset=100');
    assert.equal(second.tickets.length, 93);
    assert.equal(new Set([...first.tickets, ...second.tickets].map((x: any) => x.id)).size, 193, 'no ticket twice, none missing');
    const html = (await page(admin, '/staff/tickets?group=none')).html;
    assert.ok(plain(html).includes(t('ja', 'desk.page', { from: 1, to: 100, total: 193 })));
    assert.match(html, /href="\/staff\/tickets\?group=none&amp;offset=100">次へ<\/a>/);
    const past = await page(admin, '/staff/tickets?offset=900');
    assert.equal(past.status, 200);
    assert.ok(plain(past.html).includes(t('ja', 'desk.count', { count: 193 })));
    const bad = await page(admin, '/staff/tickets?view=everything');
    assert.equal(bad.status, 400);
    assert.ok(plain(bad.html).includes('「表示」の値が正しくありません。'), plain(bad.html).slice(0, 300));
    assert.ok(plainIds.length === 150);
  });
});

describe('acting on selected tickets', () => {
  let ids: string[] = [];
  let enId = '';

  before(async () => {
    const text = 'スマホアプリにログインできません。エラーが出ます。';
    const r = triageCombined({ text }, model);
    ids = await insertTickets(app.db, { count: 6, prefix: 'bulk', body: text, type: r.type, priority: r.priority, reasons: r.reasons, createdAt: new Date(now.getTime() - 600_000) });
    [enId] = await insertTickets(app.db, { count: 1, prefix: 'bulken', body: 'The app will not let me sign in.', type: 'outage', priority: 'normal', reasons: [], createdAt: new Date(now.getTime() - 600_000), lang: 'en' }) as [string];
  });

  const audits = async (action: string, targets: string[]) =>
    Number((await app.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = $1 AND target_id = ANY($2::text[])`, [action, targets]))[0]!.n);

  test('assign: every selected ticket, each audited as on its own page; the queue says how many', async () => {
    const picked = ids.slice(0, 3);
    const res = await admin.postForm('/staff/tickets/bulk', { ids: picked, action: 'assign', assignee: agentId, q: 'view=unassigned' });
    assert.equal(res.status, 303, await res.text());
    const location = res.headers.get('location') ?? '';
    assert.equal(location, '/staff/tickets?view=unassigned&bulk=assign&done=3');
    const rows = await app.db.query<{ assignee_id: string; status: string }>('SELECT assignee_id, status FROM tickets WHERE id = ANY($1::text[])', [picked]);
    assert.ok(rows.every((r) => r.assignee_id === agentId && r.status === 'open'), JSON.stringify(rows));
    assert.equal(await audits('ticket.assign', picked), 3);
    const after = await page(admin, location);
    assert.ok(plain(after.html).includes(t('ja', 'desk.bulk.done.assign', { count: 3 })));
    // Unassigning takes an explicit choice.
    const unassign = await admin.postForm('/staff/tickets/bulk', { ids: picked[0]!, action: 'assign', assignee: 'none' });
    assert.equal(unassign.status, 303);
    assert.equal((await app.db.query<{ a: string | null }>('SELECT assignee_id AS a FROM tickets WHERE id = $1', [picked[0]]))[0]!.a, null);
  });

  test('reply with a canned reply: one reply and one email per ticket, in its own language, the SLA clock paused', async () => {
    const canned = CANNED_REPLIES.find((r) => r.id === 'outage-known')!;
    const picked = [ids[3]!, enId];
    const res = await admin.postForm('/staff/tickets/bulk', { ids: picked, action: 'reply', canned: canned.id });
    assert.equal(res.status, 303, await res.text());
    assert.match(res.headers.get('location') ?? '', /bulk=reply&done=2$/);
    const replies = await app.db.query<{ ticket_id: string; body: string }>(`SELECT ticket_id, body FROM ticket_messages WHERE kind = 'reply' AND ticket_id = ANY($1::text[])`, [picked]);
    assert.deepEqual(replies.map((r) => r.ticket_id).sort(), [...picked].sort());
    assert.equal(replies.find((r) => r.ticket_id === ids[3])!.body, canned.bodyJa.replaceAll('{exchange}', app.config.exchangeNameJa));
    assert.equal(replies.find((r) => r.ticket_id === enId)!.body, canned.bodyEn.replaceAll('{exchange}', app.config.exchangeNameEn));
    const mails = await app.db.query<{ ticket_id: string; subject: string; text_body: string }>('SELECT ticket_id, subject, text_body FROM mail_outbox WHERE ticket_id = ANY($1::text[])', [picked]);
    assert.equal(mails.length, 2, 'one email per ticket');
    assert.ok(mails.find((m) => m.ticket_id === enId)!.text_body.includes('We are aware of the current outage'));
    const states = await app.db.query<{ status: string; sla_paused_at: Date | null; first_responded_at: Date | null }>('SELECT status, sla_paused_at, first_responded_at FROM tickets WHERE id = ANY($1::text[])', [picked]);
    assert.ok(states.every((s) => s.status === 'pending_user' && s.sla_paused_at !== null && s.first_responded_at !== null));
    assert.equal(await audits('ticket.reply', picked), 2);
  });

  test('link to an incident, then solve', async () => {
    const picked = [ids[4]!, ids[5]!];
    let res = await admin.postForm('/staff/tickets/bulk', { ids: picked, action: 'link', incident: incidentId });
    assert.equal(res.status, 303, await res.text());
    const linked = await app.db.query<{ incident_id: string; incident_link: string }>('SELECT incident_id, incident_link FROM tickets WHERE id = ANY($1::text[])', [picked]);
    assert.ok(linked.every((r) => r.incident_id === incidentId && r.incident_link === 'staff'));
    assert.equal(await audits('ticket.link', picked), 2);

    now = new Date(now.getTime() + 60_000);
    res = await admin.postForm('/staff/tickets/bulk', { ids: picked, action: 'solve' });
    assert.equal(res.status, 303, await res.text());
    const solved = await app.db.query<{ status: string; solved_at: Date }>('SELECT status, solved_at FROM tickets WHERE id = ANY($1::text[])', [picked]);
    assert.ok(solved.every((r) => r.status === 'solved' && new Date(r.solved_at).getTime() === now.getTime()), JSON.stringify(solved));
    assert.equal(await audits('ticket.status', picked), 2);
  });

  test('a JSON client gets what succeeded and what failed', async () => {
    const res = await admin.postJson('/staff/tickets/bulk', { ids: [ids[0]], action: 'assign', assignee: adminId });
    const body = (await res.json()) as any;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.succeeded.map((x: any) => x.id), [ids[0]]);
    assert.deepEqual(body.failed, []);
  });

  test('a ticket whose command is refused is reported; the others are done', async () => {
    const fake: BulkDesk = {
      assign: async (_actor, id) => {
        if (id === ids[1]) throw new KinkyuError('CONFLICT', { rule: 'ticket_changed' });
      },
      reply: async () => undefined,
      linkIncident: async () => undefined,
      setStatus: async () => undefined,
    };
    const outcome = await runBulk(app.db, fake, { type: 'staff', id: adminId }, { ids: ids.slice(0, 3), action: 'assign', assignee: agentId }, { ja: 'x', en: 'x' });
    assert.deepEqual(outcome.succeeded.map((x) => x.id), [ids[0], ids[2]]);
    assert.deepEqual(outcome.failed.map((x) => [x.id, x.error.code]), [[ids[1], 'CONFLICT']]);
    const shown = await page(admin, '/staff/tickets?bulk=assign&done=2&failed=1&fn=100123');
    assert.ok(plain(shown.html).includes(t('ja', 'desk.bulk.done.assign', { count: 2 })));
    assert.ok(plain(shown.html).includes(t('ja', 'desk.bulk.failed', { count: 1, numbers: '100123' })));
  });

  test('refusals: a clear message in the console language, the selection kept, nothing changed', async () => {
    const cases: [string, Record<string, string | string[]>, number, string][] = [
      ['nothing selected', { action: 'solve' }, 400, 'お問い合わせを1件以上選んでください。何も変更していません。'],
      ['unknown action', { ids: ids.slice(0, 2), action: 'delete' }, 400, '「操作」の値が正しくありません。何も変更していません。'],
      ['no assignee chosen', { ids: ids.slice(0, 2), action: 'assign', assignee: '' }, 400, '「担当者」を選んでください。何も変更していません。'],
      ['unknown assignee', { ids: ids.slice(0, 2), action: 'assign', assignee: 'nosuchstaff' }, 404, 'その担当者は見つからないか、無効になっています。何も変更していません。'],
      ['an unknown ticket among real ones', { ids: [ids[0]!, 'nosuchticket', ids[2]!], action: 'solve' }, 404, '選んだお問い合わせの中に見つからないものがあります。何も変更していません。'],
      ['a malformed ticket id', { ids: [ids[0]!, '../x'], action: 'solve' }, 400, '「お問い合わせ」の ID が正しくありません。何も変更していません。'],
      ['unknown canned reply', { ids: ids.slice(0, 2), action: 'reply', canned: 'nope' }, 400, '「定型文」の値が正しくありません。何も変更していません。'],
      ['no canned reply chosen', { ids: ids.slice(0, 2), action: 'reply' }, 400, '「定型文」を選んでください。何も変更していません。'],
      ['unknown incident', { ids: ids.slice(0, 2), action: 'link', incident: 'nosuchincident' }, 404, 'その障害は見つかりませんでした。何も変更していません。'],
      ['too many tickets', { ids: Array.from({ length: 101 }, (_, i) => `t${i}`), action: 'solve' }, 400, '一度に操作できるのは 100 件までです。何も変更していません。'],
      ['a bad way back', { ids: ids.slice(0, 2), action: 'solve', q: 'priority=panic' }, 400, '何も変更していません。'],
    ];
    for (const [what, fields, status, message] of cases) {
      const before = await snapshot();
      const res = await admin.postForm('/staff/tickets/bulk', fields);
      const html = await res.text();
      assert.equal(res.status, status, `${what}: ${plain(html).slice(0, 300)}`);
      assert.ok(plain(html).includes(message), `${what}: ${plain(html).slice(0, 400)}`);
      assert.match(html, /<p class="error-box" role="alert">/, what);
      assert.equal(await snapshot(), before, `${what}: nothing changed`);
    }
    // The refused page is the page the form came from, with the selection kept.
    const res = await admin.postForm('/staff/tickets/bulk', { ids: ['unsure1', ids[2]!], action: 'assign', assignee: '', q: 'view=needs_human' });
    const refused = await res.text();
    assert.match(refused, /name="ids" value="unsure1" id="sel-unsure1" checked/);
    assert.match(refused, /<a href="\/staff\/tickets\?view=needs_human" aria-current="page">/);

    // In English for an English console.
    const before = await snapshot();
    const en = await fetch(`${app.baseUrl}/staff/tickets/bulk`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookie, 'accept-language': 'en' },
      body: new URLSearchParams({ _csrf: admin.csrfToken, action: 'solve' }).toString(),
    });
    assert.equal(en.status, 400);
    assert.ok(plain(await en.text()).includes('Select at least one ticket. Nothing was changed.'));
    // No CSRF token, another origin, a viewer: refused by the staff hook before anything runs.
    assert.equal((await admin.postForm('/staff/tickets/bulk', { ids: ids.slice(0, 2), action: 'solve' }, { csrf: false })).status, 403);
    const foreign = await fetch(`${app.baseUrl}/staff/tickets/bulk`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookie, origin: 'https://evil.example' },
      body: new URLSearchParams({ _csrf: admin.csrfToken, ids: ids[0]!, action: 'solve' }).toString(),
    });
    assert.equal(foreign.status, 403);
    assert.equal((await viewer.postForm('/staff/tickets/bulk', { ids: ids.slice(0, 2), action: 'solve' })).status, 403);
    assert.equal(await snapshot(), before, 'nothing changed');
    // A viewer sees the queue without checkboxes or actions.
    const viewerPage = (await page(viewer, '/staff/tickets')).html;
    assert.doesNotMatch(viewerPage, /name="ids"|\/staff\/tickets\/bulk/);
  });
});

describe('triage reasons in the console language', () => {
  const ENGLISH_EFFECT = /\btype (?:security|outage|trading|regulatory|other) \+\d|\bpriority (?:urgent|high|normal|low)\b|not chosen|learned model|needs a human/;

  test('the Japanese ticket page and queue name every reason in Japanese; no rule id or English effect is shown', async () => {
    const filed = await file('身に覚えのない出金があります。アカウントが乗っ取られたかもしれません', 'ja', { orderId: 'ORD-1', category: 'trading' });
    const { html } = await page(admin, `/staff/tickets/${filed.ticketId}`);
    const list = /<ul class="reasons">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    const text = plain(list);
    const { ticket } = await json(admin, `/staff/tickets/${filed.ticketId}`);
    assert.ok(ticket.triageReasons.length >= 4);
    for (const r of ticket.triageReasons as TriageReason[]) {
      assert.ok(list.includes(`data-rule="${r.rule}"`), `${r.rule} is listed`);
      assert.ok(!text.includes(r.rule), `the rule id ${r.rule} is not shown as text`);
      assert.ok(typeof r.code === 'string', `${r.rule} is stored with a code`);
      assert.ok(r.effect.length > 0, 'the stored reason keeps its English effect');
    }
    assert.doesNotMatch(text, ENGLISH_EFFECT, text);
    assert.doesNotMatch(list, /lang="en"/, 'nothing falls back to English');
    for (const words of ['身に覚えのない操作', 'セキュリティ事案: 種類「セキュリティインシデント」+8、優先度「緊急」', '注文IDの入力', 'お客様が選んだ種類', '学習モデル']) {
      assert.ok(text.includes(words), `${words} in ${text}`);
    }
    const queue = plain((await page(admin, '/staff/tickets?view=security')).html);
    assert.ok(queue.includes(`${t('ja', 'desk.triage')}: 身に覚えのない操作`), 'the queue row says why, in Japanese');
    assert.doesNotMatch(queue, /security\.\w+|type security/);

    const english = plain(/<ul class="reasons">([\s\S]*?)<\/ul>/.exec((await page(admin, `/staff/tickets/${filed.ticketId}?lang=en`, 'en')).html)?.[1] ?? '');
    assert.ok(english.includes('Activity the user does not recognise'), english);
    assert.ok(english.includes('security incident: type Security incident +8, priority Urgent'), english);
  });

  test('reasons stored before codes existed are read back and shown in Japanese too', async () => {
    const filed = await file('BTCを間違ったアドレスに送ってしまいました。取り戻せますか');
    await app.db.query(
      `UPDATE tickets SET triage_reasons = (SELECT jsonb_agg(r - 'code' - 'params') FROM jsonb_array_elements(triage_reasons) r) WHERE id = $1`,
      [filed.ticketId],
    );
    const { ticket } = await json(admin, `/staff/tickets/${filed.ticketId}`);
    assert.ok((ticket.triageReasons as TriageReason[]).every((r) => r.code === undefined), 'the codes are gone');
    const text = plain(/<ul class="reasons">([\s\S]*?)<\/ul>/.exec((await page(admin, `/staff/tickets/${filed.ticketId}`)).html)?.[1] ?? '');
    assert.doesNotMatch(text, ENGLISH_EFFECT, text);
    assert.ok(text.includes('誤った送付先') && text.includes('優先度「高」'), text);
  });

  test('every rule has a name in the catalogue, and every reason of the corpus reads the same from its code and from its English text', () => {
    for (const id of [...TRIAGE_RULE_IDS, ...PRIORITY_RULE_IDS, ...OTHER_RULE_IDS, 'model.type', 'model.strong_security', 'model.priority', 'safety.possible_security', 'review.needs_human', 'incident.link', 'lock.account_locked']) {
      assert.ok(hasMessage(`triage.rule.${id}`), `triage.rule.${id}`);
    }
    let reasons = 0;
    for (const [n, sample] of readCorpus().entries()) {
      // Half with the category the writer meant (hint reasons), a third with an order id (field reasons).
      const input = { text: sample.text, ...(n % 2 ? { category: sample.category } : {}), ...(n % 3 ? {} : { fields: { orderId: `ORD-${n}` } }) };
      for (const r of triageCombined(input, model).reasons) {
        reasons++;
        const ja = reasonEffect('ja', r);
        assert.ok(ja.translated, `${r.rule}: ${r.effect}`);
        assert.ok(hasMessage(`triage.rule.${r.rule}`), r.rule);
        const legacy: TriageReason = { rule: r.rule, matched: r.matched, effect: r.effect };
        assert.equal(reasonEffect('ja', legacy).text, ja.text, `${r.rule}: "${r.effect}" reads back the same`);
        assert.equal(reasonEffect('en', legacy).text, reasonEffect('en', r).text);
      }
    }
    assert.ok(reasons > 5000, `${reasons} reasons checked`);
    assert.equal(reasonLabel('ja', 'detection.new_device'), t('ja', 'detection.rule.new_device'));
    assert.equal(reasonLabel('ja', 'security.some_future_rule'), t('ja', 'triage.group.security'));
  });
});
