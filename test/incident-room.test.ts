/**
 * The incident room over HTTP, against the real application (PGlite, demo components) on a clock the tests move:
 * the staff home, roles (hand-over, mail through the outbox, audit), the starting checklist and tasks, update
 * templates and their placeholders, the composer's previews and publishing through the normal update path, and
 * the one timeline. Bad input (an unknown placeholder, a role to a viewer, a task due in the past) is refused
 * with a clear message in Japanese and English and changes nothing.
 *
 * Run: node --import tsx --test --test-reporter=spec test/incident-room.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { StaffClient, eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { HOME_SLOTS, type HomeSection } from '../src/incident-room/index.ts';
import { orderSections } from '../src/incident-room/home.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';

const MIN = 60_000;
/** Monday 2026-12-07 10:00 JST. */
const START = Date.parse('2026-12-07T01:00:00Z');
let now = START;
const clock = () => new Date(now);

let app: RunningApp;
let commander: StaffClient;
let comms: StaffClient;
let admin: StaffClient;
const ids: Record<'commander' | 'comms' | 'admin' | 'viewer' | 'agent', string> = { commander: '', comms: '', admin: '', viewer: '', agent: '' };
let incidentId = '';

async function staffIdOf(email: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]);
  return row!.id;
}

async function json(res: Response): Promise<Record<string, any>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
}

/** Everything the room's refusals could have changed, as one string. */
async function roomState(): Promise<string> {
  const rows = await Promise.all([
    app.db.query('SELECT role, staff_id, released_at FROM incident_role_assignments ORDER BY id'),
    app.db.query('SELECT id, title_ja, owner_id, owner_role, due_at, done_at FROM incident_tasks ORDER BY id'),
    app.db.query('SELECT id, name_ja, body_ja, body_en, archived_at FROM update_templates ORDER BY id'),
    app.db.query('SELECT count(*)::int AS n FROM incident_room_events'),
    app.db.query('SELECT count(*)::int AS n FROM mail_outbox'),
    app.db.query('SELECT count(*)::int AS n FROM audit_log'),
    app.db.query('SELECT count(*)::int AS n FROM incident_updates'),
  ]);
  return JSON.stringify(rows);
}

before(async () => {
  app = await startApp({ clock });
  const emails = {
    commander: await makeStaff(app.db, 'incident_commander'),
    comms: await makeStaff(app.db, 'security'),
    admin: await makeStaff(app.db, 'admin'),
    viewer: await makeStaff(app.db, 'viewer'),
    agent: await makeStaff(app.db, 'agent'),
  };
  for (const k of Object.keys(emails) as (keyof typeof emails)[]) ids[k] = await staffIdOf(emails[k]);
  [commander, comms, admin] = await Promise.all([
    StaffClient.signIn(app.baseUrl, emails.commander), StaffClient.signIn(app.baseUrl, emails.comms), StaffClient.signIn(app.baseUrl, emails.admin),
  ]);
  // Subscribers the composer counts: everything (ja ×2, en ×1), BTC/JPY only (ja), and an unrelated service (not counted).
  const subscriber = (id: string, lang: 'ja' | 'en', components: string[] | null) => insertSubscriber(app.db, {
    id, channel: 'email', target: `${id}@example.jp`, lang, components, secret: null, ownerEmail: null,
    confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: clock(), ip: null, now: clock(),
  });
  await subscriber('roomsub000001', 'ja', null);
  await subscriber('roomsub000002', 'ja', null);
  await subscriber('roomsub000003', 'en', null);
  await subscriber('roomsub000004', 'ja', ['pairbtcjpy00']);
  await subscriber('roomsub000005', 'ja', ['restapi00000']);
  const declared = await json(await commander.postJson('/staff/incidents', {
    type: 'outage', severity: 'SEV1', nameJa: 'BTC/JPY の取引停止', nameEn: 'BTC/JPY trading halted',
    bodyJa: '調査中です。', bodyEn: 'Investigating.', componentStatuses: { pairbtcjpy00: 'major_outage' },
  }));
  incidentId = String(declared.incidentId);
});

after(async () => {
  await app?.stop();
});

describe('the staff home and the room', () => {
  test('the home lists the open incident, my role in it (none yet) and a way to refresh', async () => {
    const res = await commander.get('/staff');
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /いま対応が必要なこと/);
    assert.ok(page.includes(`href="/staff/incidents/${incidentId}/room"`), 'links the room');
    assert.match(page, /BTC\/JPY の取引停止/);
    assert.match(page, /あなたには役割がありません。/);
    assert.match(page, /インシデント指揮者: <span class="unassigned">未割り当て<\/span>/);
    assert.ok(page.includes('<a href="/staff">最新の状態に更新</a>'), 'refreshes without JavaScript');
    assert.ok(page.includes('class="wide"'), 'the full desktop width');
    assert.match(page, /最近終了した障害/, 'the overview is still there');
  });

  test('the outage brings its starting checklist, due from the incident start', async () => {
    const tasks = await app.db.query<{ checklist_key: string; title_ja: string; title_en: string; owner_role: string; due_at: Date }>(
      'SELECT checklist_key, title_ja, title_en, owner_role, due_at FROM incident_tasks WHERE incident_id = $1 ORDER BY position', [incidentId],
    );
    assert.deepEqual(tasks.map((x) => x.checklist_key), ['outage.first_update', 'outage.trading_halt', 'outage.transfers', 'outage.x_post', 'outage.linked_tickets']);
    assert.equal(tasks[0]!.title_ja, '初報を公開する (状況ページ・メール・X)');
    assert.equal(tasks[0]!.title_en, 'Publish the first update (status page, email, X)');
    assert.equal(tasks[0]!.owner_role, 'communications');
    assert.equal(new Date(tasks[0]!.due_at).getTime(), START + 15 * MIN);
    assert.ok((await app.db.query('SELECT 1 FROM audit_log WHERE action = $1 AND target_id = $2', ['incident.room_open', incidentId])).length === 1);
  });

  test('roles: the commander takes theirs, gives communications to a colleague, who is told by email; hand-over tells both', async () => {
    let res = await commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'commander', staffId: ids.commander });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/staff/incidents/${incidentId}/room?ok=roleAssigned#roles`);
    res = await commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'communications', staffId: ids.admin });
    assert.equal(res.status, 303);
    // Handing over communications to the security colleague: the admin is released.
    res = await commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'communications', staffId: ids.comms });
    assert.equal(res.headers.get('location'), `/staff/incidents/${incidentId}/room?ok=handover#roles`);
    const again = await json(await commander.postJson(`/staff/incidents/${incidentId}/room/roles`, { role: 'communications', staffId: ids.comms }));
    assert.deepEqual(again, { ok: true, changed: false, handover: false }, 'giving someone a role they hold changes nothing');
    // Responders: several at once.
    await commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'responder', staffId: ids.admin });
    await commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'responder', staffId: ids.commander });

    const held = await app.db.query<{ role: string; staff_id: string }>(
      'SELECT role, staff_id FROM incident_role_assignments WHERE incident_id = $1 AND released_at IS NULL ORDER BY role, staff_id', [incidentId],
    );
    assert.deepEqual(held.map((h) => `${h.role}:${h.staff_id}`), [
      `commander:${ids.commander}`, `communications:${ids.comms}`, ...[ids.admin, ids.commander].sort().map((id) => `responder:${id}`),
    ]);
    const mail = await app.db.query<{ to_address: string; subject: string; text_body: string }>(
      `SELECT to_address, subject, text_body FROM mail_outbox WHERE subject LIKE '%BTC/JPY の取引停止%' ORDER BY created_at, id`,
    );
    const to = (id: string) => mail.filter((m) => m.to_address.startsWith(id === ids.admin ? 'admin-' : 'security-'));
    assert.ok(!mail.some((m) => m.to_address.startsWith('incident_commander-')), 'nobody mails themselves');
    assert.equal(to(ids.comms).length, 1);
    assert.match(to(ids.comms)[0]!.subject, /\[SEV1\] BTC\/JPY の取引停止: コミュニケーション担当になりました/);
    assert.match(to(ids.comms)[0]!.text_body, /2026年12月7日 10:00 JST/, 'the time in JST');
    assert.match(to(ids.comms)[0]!.text_body, /you are now Communications lead|made you Communications lead/, 'English second');
    assert.ok(to(ids.comms)[0]!.text_body.includes(`/staff/incidents/${incidentId}/room`));
    assert.ok(to(ids.admin).some((m) => /引き継ぎました/.test(m.subject)), 'the previous holder hears of the hand-over');
    const audit = await app.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_id = $1 AND action LIKE 'incident.role%' ORDER BY seq`, [incidentId]);
    assert.deepEqual(audit.map((a) => a.action), ['incident.role_assign', 'incident.role_assign', 'incident.role_handover', 'incident.role_assign', 'incident.role_assign']);
  });

  test('a role for a viewer (or an agent) is refused with a clear ja/en message, and nothing changes', async () => {
    await assertRefusedWithoutChange(roomState, () => commander.postForm(`/staff/incidents/${incidentId}/room/roles`, { role: 'scribe', staffId: ids.viewer }), {
      status: 400, message: /viewer \d+ さんの役割は「閲覧者」で、障害対応の権限がないため「記録係」を割り当てられません。管理者、インシデント指揮者、セキュリティ担当 のスタッフを選んでください。/,
    });
    await assertRefusedWithoutChange(roomState, () => commander.postJson(`/staff/incidents/${incidentId}/room/roles`, { role: 'responder', staffId: ids.agent }, { 'accept-language': 'en' }), {
      status: 400, code: 'VALIDATION', message: /agent \d+ is a Support agent|cannot act on incidents, so they cannot be made Responder/,
    });
    await assertRefusedWithoutChange(roomState, () => commander.postJson(`/staff/incidents/${incidentId}/room/roles`, { role: 'chef', staffId: ids.comms }), {
      status: 400, code: 'VALIDATION', message: /役割/,
    });
  });

  test('a task due in the past is refused with a clear ja/en message, and nothing changes', async () => {
    await assertRefusedWithoutChange(roomState, () => commander.postForm(`/staff/incidents/${incidentId}/room/tasks`, {
      titleJa: '取引所間の価格差を確認する', dueAt: '2026-12-07T09:30', owner: ids.comms,
    }), { status: 400, message: /期限 \(2026年12月7日 09:30 JST\) が過去の日時です。現在 \(2026年12月7日 10:00 JST\) より後の日時を指定してください。/ });
    await assertRefusedWithoutChange(roomState, () => commander.postJson(`/staff/incidents/${incidentId}/room/tasks`, {
      titleJa: '取引所間の価格差を確認する', dueAt: '2026-12-07T00:59:00Z',
    }, { 'accept-language': 'en' }), { status: 400, code: 'VALIDATION', message: /The due time \(Dec 7, 2026, 09:59 JST\) is in the past\. Give a time after now \(Dec 7, 2026, 10:00 JST\)\./ });
    await assertRefusedWithoutChange(roomState, () => commander.postForm(`/staff/incidents/${incidentId}/room/tasks`, {
      titleJa: '閲覧者に任せる', dueAt: '2026-12-07T12:00', owner: ids.viewer,
    }), { status: 400, message: /タスクの担当にできません/ });
  });

  test('tasks: added with an owner and a due time in JST, edited, ticked; the home shows mine by due time and what is overdue', async () => {
    const added = await json(await commander.postJson(`/staff/incidents/${incidentId}/room/tasks`, {
      titleJa: '取引所間の価格差を確認する', titleEn: 'Check the price gap between exchanges', owner: ids.comms, dueAt: '2026-12-07T10:45',
    }));
    assert.equal(added.ok, true);
    const [task] = await app.db.query<{ due_at: Date }>('SELECT due_at FROM incident_tasks WHERE id = $1', [added.taskId]);
    assert.equal(new Date(task!.due_at).toISOString(), '2026-12-07T01:45:00.000Z', 'read as Japan time');

    now = START + 20 * MIN; // 10:20: the first update (10:15) is overdue; the X post (10:20) is due now
    const home = await (await comms.get('/staff')).text();
    const mine = home.slice(home.indexOf('id="home-my-tasks"'));
    assert.match(mine, /初報を公開する/, 'a task of the role they hold');
    assert.match(mine, /取引所間の価格差を確認する/, 'a task given to them by name');
    assert.ok(mine.indexOf('初報を公開する') < mine.indexOf('取引所間の価格差を確認する'), 'by due time');
    assert.match(mine, /<li class="task overdue">\s*<p class="task-title">初報を公開する/, 'overdue is highlighted');
    assert.match(mine, /<span class="badge-overdue">期限切れ<\/span>/, 'and said in words');

    // Edit: a due time moved to the past is refused; the title and owner change.
    const edit = await commander.postForm(`/staff/incidents/${incidentId}/room/tasks/${added.taskId}`, {
      titleJa: '取引所間の価格差を確認し、記録する', titleEn: '', owner: 'role:scribe', dueAt: '2026-12-07T10:45',
    });
    assert.equal(edit.status, 303);
    const [edited] = await app.db.query<{ title_ja: string; owner_id: string | null; owner_role: string }>('SELECT title_ja, owner_id, owner_role FROM incident_tasks WHERE id = $1', [added.taskId]);
    assert.deepEqual(edited, { title_ja: '取引所間の価格差を確認し、記録する', owner_id: null, owner_role: 'scribe' });

    // Tick from the home: back to the home.
    const [first] = await app.db.query<{ id: string }>(`SELECT id FROM incident_tasks WHERE incident_id = $1 AND checklist_key = 'outage.first_update'`, [incidentId]);
    const tick = await comms.postForm(`/staff/incidents/${incidentId}/room/tasks/${first!.id}/done`, { done: 'true', back: 'home' });
    assert.equal(tick.headers.get('location'), '/staff?ok=taskDone#home-my-tasks');
    const [done] = await app.db.query<{ done_by: string }>('SELECT done_by FROM incident_tasks WHERE id = $1', [first!.id]);
    assert.equal(done!.done_by, ids.comms);
    const after = await (await comms.get('/staff?ok=taskDone')).text();
    assert.match(after, /タスクを完了にしました。/);
    assert.ok(!after.slice(after.indexOf('id="home-my-tasks"')).includes('<p class="task-title">初報を公開する'), 'done tasks leave the home');
  });
});

describe('the rest of what needs me now', () => {
  test('an urgent security ticket nobody has taken, and an unlock waiting for a second person, are on the home of those who can act', async () => {
    const ticket = await app.desk.submit({
      body: 'アカウントが乗っ取られました。身に覚えのない出金が3件あり、パスワードも変えられています。', email: 'victim@example.jp',
    }, { lang: 'ja', ip: '192.0.2.7' });
    assert.equal(ticket.type, 'security');
    assert.equal(ticket.priority, 'urgent');
    const account = await app.referenceStore!.createAccount('victim@example.jp');
    await app.lock.lock(account, { source: 'self', reason: 'this was not me', actor: { type: 'user', id: account } }, { awaitRecord: true });
    const requester = { type: 'staff' as const, id: ids.admin, ip: '192.0.2.10' };
    await app.lock.requestUnlock(requester, account, {
      checklist: ['identity_document', 'selfie_match', 'registered_phone', 'recent_activity', 'contact_channel'], note: '本人確認済み',
    });

    const security = await (await comms.get('/staff')).text();
    const tickets = security.slice(security.indexOf('id="home-security-tickets"'), security.indexOf('id="home-sla"'));
    assert.ok(tickets.includes(`href="/staff/tickets/${ticket.ticketId}"`), 'the unassigned urgent security ticket');
    const approvals = security.slice(security.indexOf('id="home-approvals"'));
    assert.ok(approvals.includes(`href="/staff/accounts/${account}"`), 'the unlock waiting for a second person');
    assert.match(approvals, /依頼者: admin \d+/);
    const own = await (await admin.get('/staff')).text();
    assert.ok(!own.slice(own.indexOf('id="home-approvals"')).includes(`/staff/accounts/${account}`), 'never to the person who asked');
    const forCommander = await (await commander.get('/staff')).text();
    assert.ok(!forCommander.includes('id="home-approvals"'), 'not for those who may not unlock');
    // The summary at the top counts and flags what needs action (the lock opened a second urgent security ticket).
    assert.match(security, /<a href="#home-security-tickets" class="summary-urgent">担当者のいない緊急のセキュリティ問い合わせ\s*<strong>2<\/strong> <span class="summary-flag">要対応<\/span><\/a>/);
  });

  test('the regulatory deadlines slot is kept between my tasks and the tickets for the section that fills it', () => {
    const mine: HomeSection = { id: 'regulatory-deadlines', slot: 'regulatory-deadlines', load: async () => null };
    const sections = orderSections([
      { id: 'sla', slot: 'sla', load: async () => null }, mine, { id: 'my-tasks', slot: 'my-tasks', load: async () => null },
      { id: 'security-tickets', slot: 'security-tickets', load: async () => null },
    ]);
    assert.deepEqual(sections.map((s) => s.id), ['my-tasks', 'regulatory-deadlines', 'security-tickets', 'sla']);
    assert.ok(HOME_SLOTS.includes('regulatory-deadlines'));
  });
});

describe('templates', () => {
  test('the built-in templates are there in Japanese and English', async () => {
    const list = await json(await fetch(`${app.baseUrl}/staff/update-templates`, { headers: { cookie: commander.cookie, accept: 'application/json' } }));
    const names = (list.templates as { nameJa: string; nameEn: string }[]).map((x) => x.nameJa);
    for (const name of ['取引の一時停止', '入金の遅延', '出金の一時停止', 'API の遅延・エラー', 'メンテナンスの延長', 'フィッシングへの注意喚起', '復旧のお知らせ']) {
      assert.ok(names.includes(name), name);
    }
  });

  test('an unknown placeholder is refused with a clear ja/en message naming it, and nothing changes', async () => {
    await assertRefusedWithoutChange(roomState, () => commander.postForm('/staff/update-templates', {
      nameJa: '銘柄の上場廃止', bodyJa: '{pair}の取引を{date}に終了します。', bodyEn: '',
    }), { status: 400, message: /「本文 \(日本語\)」に使えない差し込み項目があります: \{pair\} \{date\}。使えるのは \{incident\} \{components\} \{pairs\}/ });
    await assertRefusedWithoutChange(roomState, () => admin.postJson('/staff/update-templates', {
      nameJa: '銘柄の上場廃止', bodyJa: '{pairs}の取引を終了します。', bodyEn: 'Trading on {pair} ends.',
    }, { 'accept-language': 'en' }), { status: 400, code: 'VALIDATION', message: /"Message \(English\)" uses placeholders that do not exist: \{pair\}\. The ones you can use are \{incident\}/ });
  });

  test('staff add and edit a template; a security member may use but not change them', async () => {
    const created = await json(await admin.postJson('/staff/update-templates', {
      nameJa: '板の一時停止', nameEn: 'Order book paused', bodyJa: '{pairs}の板を一時停止しています ({now})。', bodyEn: 'The {pairs} order book is paused ({now}).',
    }));
    assert.equal(created.ok, true);
    const edit = await commander.postForm(`/staff/update-templates/${created.templateId}`, {
      nameJa: '板の一時停止', nameEn: 'Order book paused', status: 'identified', bodyJa: '{pairs}の板を一時停止しています。', bodyEn: 'The {pairs} order book is paused.',
    });
    assert.equal(edit.status, 303);
    assert.equal((await comms.postForm('/staff/update-templates', { nameJa: 'x', bodyJa: 'y' })).status, 403);
    const archived = await admin.postForm(`/staff/update-templates/${created.templateId}/archive`, { archived: 'true' });
    assert.equal(archived.headers.get('location'), '/staff/update-templates?ok=templateArchived');
    const audit = await app.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_id = $1 ORDER BY seq`, [created.templateId]);
    assert.deepEqual(audit.map((a) => a.action), ['update_template.create', 'update_template.edit', 'update_template.archive']);
  });
});

describe('the composer', () => {
  let tradingHalted = '';
  let resolved = '';
  before(async () => {
    const rows = await app.db.query<{ id: string; builtin_key: string }>(`SELECT id, builtin_key FROM update_templates WHERE builtin_key IN ('trading_halted','resolved')`);
    tradingHalted = rows.find((r) => r.builtin_key === 'trading_halted')!.id;
    resolved = rows.find((r) => r.builtin_key === 'resolved')!.id;
  });

  test('an update starts from a template with the placeholders filled from the incident (pairs, JST times)', async () => {
    const page = await (await comms.get(`/staff/incidents/${incidentId}/room/compose?template=${tradingHalted}`)).text();
    assert.match(page, /2026年12月7日 10:20 JSTより、BTC\/JPYの取引を一時停止しています。/);
    assert.match(page, /Trading on BTC\/JPY has been halted since Dec 7, 2026, 10:20 JST\./);
    assert.ok(page.includes(`${app.baseUrl}/incidents/${incidentId}`), 'the status page link');
    assert.match(page, /<option value="identified" selected>/, 'the template\'s status');
    assert.ok(!page.includes('name="intent" value="publish"'), 'no publish button before a preview');
  });

  test('the preview shows every channel and who it reaches; publishing needs that preview and goes through the update path', async () => {
    const fields = {
      templateId: tradingHalted, status: 'identified',
      bodyJa: '2026年12月7日 10:20 JSTより、{pairs}の取引を一時停止しています。',
      bodyEn: '',
    };
    const previewRes = await comms.postForm(`/staff/incidents/${incidentId}/room/compose`, { ...fields, intent: 'preview' });
    assert.equal(previewRes.status, 200);
    const page = await previewRes.text();
    assert.match(page, /<article class="incident impact-critical">/, 'the status page card');
    assert.match(page, /【デモ取引所】BTC\/JPY の取引停止（原因特定）/, 'the email subject (Japanese)');
    assert.match(page, /\[Demo Exchange\] BTC\/JPY trading halted \(Identified\)/, 'the email subject (English)');
    assert.match(page, /BTC\/JPYの取引を一時停止しています。/, 'placeholders filled at preview');
    assert.match(page, /class="x-post"/, 'the X post');
    assert.match(page, /slack-header/, 'the Slack message');
    assert.match(page, /&quot;incident_updates&quot;/, 'the webhook body');
    assert.match(page, /英語の本文が空です。英語で購読している 1 件には日本語の本文が届きます。/, 'warns about the empty English text');
    // Email: everyone-subscribers (3) and the BTC/JPY one (1); the REST API one is not reached.
    assert.match(page, /<th scope="row">メール<\/th><td>4<\/td><td>3<\/td><td>1<\/td>/);
    const previewed = /name="previewed" value="([0-9a-f]{32})"/.exec(page)?.[1];
    assert.ok(previewed);

    // Changed after the preview: refused, the new text previewed, nothing published.
    await assertRefusedWithoutChange(roomState, () => comms.postForm(`/staff/incidents/${incidentId}/room/compose`, {
      ...fields, bodyJa: `${fields.bodyJa} 追記`, previewed, intent: 'publish',
    }), { status: 409, message: /プレビュー後に内容が変わったか/ });

    const before = (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_events')).at(0)!.n;
    const publish = await comms.postForm(`/staff/incidents/${incidentId}/room/compose`, { ...fields, previewed, intent: 'publish' });
    assert.equal(publish.status, 303);
    assert.equal(publish.headers.get('location'), `/staff/incidents/${incidentId}/room?ok=published#timeline`);
    const [update] = await app.db.query<{ body_ja: string; status: string; author_id: string }>(
      `SELECT body_ja, status, author_id FROM incident_updates WHERE incident_id = $1 ORDER BY created_at DESC LIMIT 1`, [incidentId],
    );
    assert.deepEqual(update, { body_ja: '2026年12月7日 10:20 JSTより、BTC/JPYの取引を一時停止しています。', status: 'identified', author_id: ids.comms });
    const afterCount = (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_events')).at(0)!.n;
    assert.equal(afterCount, before + 1, 'the fan-out got its event, as for any update');
    assert.ok((await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'incident.update' AND target_id = $1`, [incidentId])).length >= 1);
  });

  test('a long text is shown as the X thread it will become, with a warning', async () => {
    const long = '現在、BTC/JPY の取引を停止しています。'.repeat(12);
    const page = await (await comms.postForm(`/staff/incidents/${incidentId}/room/compose`, { bodyJa: long, bodyEn: 'Trading is halted.', intent: 'preview' })).text();
    const posts = page.match(/class="x-post"/g) ?? [];
    assert.ok(posts.length >= 2, `a thread (${posts.length} posts)`);
    assert.match(page, /X の1投稿の上限 \(280\) を超えるため \(\d+\)、\d+ 件のスレッドに分けて投稿します。/);
    assert.match(page, /\(1\/\d+\)/, 'numbered as the X sender numbers them');
  });

  test('a draft with an unknown placeholder or an impossible status is refused before any preview', async () => {
    const bad = await comms.postJson(`/staff/incidents/${incidentId}/room/compose`, { intent: 'preview', bodyJa: '{pair}を停止しました。' });
    assert.equal(bad.status, 400);
    assert.match((await json(bad)).message, /\{pair\}/);
    const status = await comms.postJson(`/staff/incidents/${incidentId}/room/compose`, { intent: 'preview', status: 'postmortem', bodyJa: '事後報告' });
    assert.equal(status.status, 409);
  });

  test('the timeline has updates, status changes, roles, tasks, detection locks, linked tickets and notifications; it filters', async () => {
    // The fan-out has expanded the published update into deliveries (what "notifications" counts).
    const [published] = await app.db.query<{ id: string }>(`SELECT id FROM incident_updates WHERE incident_id = $1 ORDER BY created_at DESC LIMIT 1`, [incidentId]);
    await eventually(async () => (await app.fanout.progress(published!.id)).expanded, 10_000, 50);
    // A ticket about the outage (linked by the desk) and an account locked by detection while the incident runs.
    await app.desk.submit({ body: 'BTC/JPY の取引ができません。注文が通らないです。', email: 'user1@example.jp' }, { lang: 'ja', ip: '192.0.2.1' });
    const account = await app.referenceStore!.createAccount('locked-user@example.jp');
    await app.lock.lock(account, { source: 'detection', reason: 'impossible travel', actor: { type: 'system', id: null } }, { awaitRecord: true });

    const data = await json(await fetch(`${app.baseUrl}/staff/incidents/${incidentId}/room`, { headers: { cookie: commander.cookie, accept: 'application/json' } }));
    const kinds = new Set((data.timeline as { kind: string }[]).map((e) => e.kind));
    for (const k of ['update', 'status', 'role', 'task', 'tickets', 'locks', 'notifications']) assert.ok(kinds.has(k), `has ${k}`);

    const page = await (await commander.get(`/staff/incidents/${incidentId}/room`)).text();
    assert.match(page, /テンプレート「取引の一時停止」から作成/);
    assert.match(page, /コミュニケーション担当を admin \d+ さんから security \d+ さんに引き継ぎました。/);
    assert.match(page, /タスク「初報を公開する \(状況ページ・メール・X\)」を完了しました。 <span class="badge-overdue">期限後<\/span>/);
    assert.match(page, /検知によるアカウントロック \+1 件/);
    assert.match(page, /リンクされたお問い合わせ \+1 件 \(累計 1 件\)/);
    assert.match(page, /宣言: <strong>調査中<\/strong>/);

    const roles = await (await commander.get(`/staff/incidents/${incidentId}/room?show=role`)).text();
    const timeline = roles.slice(roles.indexOf('id="timeline"'));
    assert.ok(timeline.includes('tl-role') && !timeline.includes('tl-update') && !timeline.includes('tl-task'), 'only roles');
    const bad = await commander.get(`/staff/incidents/${incidentId}/room?show=everything`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /「表示する項目」の値が正しくありません。/);
  });

  test('resolving from the template closes the incident; the home no longer lists it', async () => {
    now = START + 90 * MIN;
    const page = await (await commander.get(`/staff/incidents/${incidentId}/room/compose?template=${resolved}`)).text();
    const bodyJa = /<textarea id="bodyJa"[^>]*>([^<]*)<\/textarea>/.exec(page)?.[1];
    assert.equal(bodyJa, '2026年12月7日 10:00 JST頃からBTC/JPYで発生していた障害は、2026年12月7日 11:30 JSTに復旧しました。ご不便をおかけしたことをお詫び申し上げます。');
    const fields = { templateId: resolved, status: 'resolved', bodyJa: bodyJa!, bodyEn: 'Resolved.' };
    const preview = await json(await commander.postJson(`/staff/incidents/${incidentId}/room/compose`, { ...fields, intent: 'preview' }));
    assert.equal(preview.preview.audience.find((a: { channel: string }) => a.channel === 'email').total, 4);
    const done = await json(await commander.postJson(`/staff/incidents/${incidentId}/room/compose`, { ...fields, intent: 'publish', previewed: preview.fingerprint }));
    assert.equal(done.ok, true);
    const [incident] = await app.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [incidentId]);
    assert.equal(incident!.status, 'resolved');
    const home = await (await commander.get('/staff')).text();
    assert.ok(!home.slice(home.indexOf('id="home-incidents"'), home.indexOf('id="home-my-tasks"')).includes(incidentId), 'not open any more');
  });
});

describe('the room exists from the declaration; reading a room writes nothing', () => {
  /** Every table a room's reading could write to, counted. */
  const writes = async () => JSON.stringify(await app.db.query(
    `SELECT (SELECT count(*)::int FROM incident_rooms) AS rooms, (SELECT count(*)::int FROM incident_tasks) AS tasks,
            (SELECT count(*)::int FROM incident_room_events) AS events, (SELECT count(*)::int FROM incident_role_assignments) AS roles,
            (SELECT count(*)::int FROM audit_log) AS audit, (SELECT count(*)::int FROM mail_outbox) AS mail`,
  ));

  test('declaring an incident opens its room with the starting checklist, in the same step', async () => {
    const declared = await json(await commander.postJson('/staff/incidents', {
      type: 'security', severity: 'SEV2', nameJa: 'フィッシングサイトの確認', nameEn: 'Phishing site found', bodyJa: '調査しています。',
    }));
    const id = String(declared.incidentId);
    const [room] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incident_rooms WHERE incident_id = $1', [id]);
    assert.equal(room!.n, 1, 'the room is there before anyone opened its page');
    const tasks = await app.db.query<{ checklist_key: string }>('SELECT checklist_key FROM incident_tasks WHERE incident_id = $1 ORDER BY position', [id]);
    assert.ok(tasks.length > 0 && tasks.every((x) => x.checklist_key.startsWith('security.')), 'the security checklist');
    const [audit] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'incident.room_open' AND target_id = $1`, [id]);
    assert.equal(audit!.n, 1);
  });

  test('an incident without a room (declared before rooms opened with it): every page reads it without writing; the first change opens it', async () => {
    // Declared through a StatusCommands the room is not hooked into, as an incident from before this change was.
    const { StatusCommands } = await import('../src/status/commands.ts');
    const { incidentId: bare } = await new StatusCommands(app.db, clock).declareIncident({ type: 'staff', id: ids.commander }, {
      type: 'outage', severity: 'SEV3', nameJa: 'API の遅延', nameEn: 'API latency', bodyJa: '調査中です。',
    });
    const before = await writes();
    for (const path of ['/staff', `/staff/incidents/${bare}/room`, `/staff/incidents/${bare}/room?show=role`, `/staff/incidents/${bare}/room?show=everything`, `/staff/incidents/${bare}/room/compose`]) {
      const res = await commander.get(path);
      assert.ok(res.status === 200 || res.status === 400, `${path}: ${res.status}`);
      await res.text();
    }
    const asJson = await json(await fetch(`${app.baseUrl}/staff/incidents/${bare}/room`, { headers: { cookie: commander.cookie, accept: 'application/json' } }));
    assert.deepEqual([asJson.tasks, asJson.assignments], [[], []], 'an empty room');
    const preview = await commander.postJson(`/staff/incidents/${bare}/room/compose`, { intent: 'preview', bodyJa: '調査中です。', bodyEn: 'Investigating.' });
    assert.equal(preview.status, 200);
    assert.equal(await writes(), before, 'nothing written by reading');
    const page = await (await commander.get(`/staff/incidents/${bare}/room`)).text();
    assert.match(page, /タスクはまだありません。/);

    const taken = await commander.postJson(`/staff/incidents/${bare}/room/roles`, { role: 'commander', staffId: ids.commander });
    assert.equal(taken.status, 200);
    const tasks = await app.db.query<{ checklist_key: string }>('SELECT checklist_key FROM incident_tasks WHERE incident_id = $1 ORDER BY position', [bare]);
    assert.equal(tasks[0]?.checklist_key, 'outage.first_update', 'the room opened with its checklist on the first change');
    const events = await app.db.query<{ kind: string }>('SELECT kind FROM incident_room_events WHERE incident_id = $1 ORDER BY id', [bare]);
    assert.deepEqual(events.map((e) => e.kind), ['room_opened', 'role_assigned']);
  });

  test("a drill's composer counts only the subscribers marked as drill recipients", async () => {
    const started = await json(await commander.postJson('/staff/drills', { scenario: 'outage', surge: '0', takeovers: '0', monitors: 'false' }));
    const [drillIncident] = await app.db.query<{ id: string }>('SELECT id FROM incidents WHERE drill_id = $1', [started.drillId]);
    const emailAudience = async () => {
      const res = await json(await commander.postJson(`/staff/incidents/${drillIncident!.id}/room/compose`, { intent: 'preview', bodyJa: '訓練です。', bodyEn: 'A drill.' }));
      const email = (res.preview.audience as { channel: string; total: number; byLang: { ja: number; en: number } }[]).find((a) => a.channel === 'email')!;
      return [email.total, email.byLang.ja, email.byLang.en];
    };
    assert.deepEqual(await emailAudience(), [0, 0, 0], 'no real subscriber hears of a drill');
    assert.equal((await admin.postForm('/staff/drills/recipients', { recipient: 'roomsub000003@example.jp' })).status, 303);
    assert.deepEqual(await emailAudience(), [1, 0, 1], 'the drill recipient');
    const room = await (await commander.get(`/staff/incidents/${drillIncident!.id}/room`)).text();
    assert.match(room, /これは訓練です。公開ページ・API・フィードには表示されません。/);
    assert.ok(!room.includes(`href="/incidents/${drillIncident!.id}"`), 'no link to a public page that does not show it');
    const home = await (await commander.get('/staff')).text();
    assert.match(home, /<span class="drill-tag">\[訓練\]<\/span> <a href="\/staff\/incidents\/[0-9a-z]+\/room">/, 'marked as a drill on the home');
  });
});
