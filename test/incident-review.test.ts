/**
 * The post-incident review (issue 13 §7): a scripted incident on an injected clock — monitor failures, the
 * declaration, tickets answered automatically and by a person, a lock, notifications, the resolution — and the review
 * computes its times from the record. Then the public postmortem: published once (Statuspage's postmortem_* fields in
 * /api/v2/incidents.json, checked against the schema; on the incident page; in the feeds; in the webhook), a second
 * publish refused with nothing changed, a correction that notifies nobody, and bad input refused.
 *
 * Run: node --import tsx --test --test-reporter=spec test/incident-review.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.ts';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { incidentWebhookPayload } from '../src/notify/channels/webhook-payload.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { validateStatuspage, validateStatuspageWebhook } from './support/statuspage-schema.ts';

const MIN = 60_000;
const STAFF = { type: 'staff' as const, id: null };

let app: RunningApp;
let now: Date;
let staff: StaffClient;
let incidentId = '';
let t0 = 0;

const at = (minutes: number) => new Date(t0 + minutes * MIN);
const plain = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

before(async () => {
  t0 = Math.floor(Date.now() / MIN) * MIN - 120 * MIN;
  now = at(0);
  const base = loadConfig();
  app = await startApp({ clock: () => now, config: { monitors: { ...base.monitors, enabled: false } } });
  staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
  // A confirmed email subscriber: every public update is delivered to it (no SMTP here: the rows wait as pending).
  await insertSubscriber(app.db, {
    id: 'reviewsubscr01', channel: 'email', target: 'watcher@example.jp', lang: 'ja', components: null, secret: null,
    ownerEmail: null, confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: at(-60), ip: null, now: at(-60),
  });
  // A monitor on the REST API: fine at -1 min, then failing from 0 (its results are the record of the failure).
  await app.db.query(
    `INSERT INTO monitors (id, name, kind, config, interval_s, timeout_ms, component_ids, enabled) VALUES ('mon-rest', 'REST API health', 'http', '{}', 60, 1000, ARRAY['restapi00000'], false)`,
  );
  for (const [m, ok] of [[-2, true], [-1, true], [0, false], [1, false], [2, false]] as const) {
    await app.db.query(`INSERT INTO monitor_results (monitor_id, at, ok, health, latency_ms, detail, runner) VALUES ('mon-rest', $1, $2, $3, 12, 'x', 'test')`, [at(m), ok, ok ? 'up' : 'down']);
  }
});

after(async () => {
  await app?.stop();
});

describe('the review draft, from a scripted incident', () => {
  test('times, impact per component, tickets, notifications and locks are computed from the record', async () => {
    now = at(3);
    ({ incidentId } = await app.commands.declareIncident(STAFF, {
      type: 'outage', severity: 'SEV2', nameJa: 'REST API の障害', nameEn: 'REST API outage', bodyJa: 'REST API に接続できません。調査中です。', bodyEn: 'The REST API is unreachable.',
      componentStatuses: { restapi00000: 'major_outage', websocket000: 'degraded_performance' },
    }));
    await app.site.refresh();
    // A user writes in: linked to the incident and answered at once with its latest update.
    now = at(4);
    const auto = await app.desk.submit({ body: 'REST APIがタイムアウトします。障害ですか？', email: 'user1@example.jp' }, { lang: 'ja', ip: null });
    assert.equal(auto.incidentId, incidentId, 'the ticket was linked automatically');
    // Another one is linked by hand and answered by a person six minutes later.
    const manual = await app.desk.submit({ body: '注文が反映されません。', email: 'user2@example.jp' }, { lang: 'ja', ip: null });
    await app.db.query(`UPDATE tickets SET incident_id = $2, incident_link = 'staff' WHERE id = $1`, [manual.ticketId, incidentId]);
    now = at(10);
    await app.desk.reply(STAFF, manual.ticketId, { body: '現在障害が発生しています。復旧までお待ちください。' });
    now = at(12);
    await app.commands.postUpdate(STAFF, incidentId, { status: 'identified', bodyJa: '原因を特定しました。', bodyEn: 'Cause found.', componentStatuses: { websocket000: 'operational' } });
    // An emergency lock during the incident (and one long before, which does not count).
    await app.db.query(`INSERT INTO xch_accounts (id, email, email_key) VALUES ('acct-r1', 'a@example.jp', 'a@example.jp')`);
    for (const [id, when] of [['lock-in', at(20)], ['lock-before', at(-600)]] as const) {
      await app.db.query(`INSERT INTO account_locks (id, account_id, source, reason, actor_type, locked_at) VALUES ($1, 'acct-r1', 'self', 'test', 'user', $2)`, [id, when]);
    }
    now = at(45);
    await app.commands.postUpdate(STAFF, incidentId, { status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'Resolved.' });
    await app.fanout.drain();

    const res = await staff.get(`/staff/incidents/${incidentId}/review`);
    assert.equal(res.status, 200);
    const json = await (await fetch(`${app.baseUrl}/staff/incidents/${incidentId}/review`, { headers: { cookie: staff.cookie, accept: 'application/json' } })).json() as {
      figures: {
        times: Record<string, number | null>;
        impact: { componentId: string; from: string; to: string | null; worst: string; impactedMs: number }[];
        tickets: { linked: number; answered: number; unanswered: number; medianFirstAnswerMs: number; maxFirstAnswerMs: number };
        notifications: Record<string, { sent: number; pending: number; failed: number; skipped: number }>;
        locks: Record<string, number>; locksTotal: number;
      };
      firstFailureSource: string;
    };
    const f = json.figures;
    assert.equal(json.firstFailureSource, 'REST API health');
    assert.equal(f.times.failureToDeclaration, 3 * MIN, 'first failing check at 0, declared at 3');
    assert.equal(f.times.declarationToFirstUpdate, 0, 'the declaration is the first public update');
    assert.equal(f.times.failureToFirstUpdate, 3 * MIN);
    assert.equal(f.times.declarationToResolution, 42 * MIN);
    assert.equal(f.times.failureToResolution, 45 * MIN);
    const rest = f.impact.find((w) => w.componentId === 'restapi00000');
    const ws = f.impact.find((w) => w.componentId === 'websocket000');
    assert.deepEqual([rest?.from, rest?.to, rest?.worst, rest?.impactedMs], [at(3).toISOString(), at(45).toISOString(), 'major_outage', 42 * MIN]);
    assert.deepEqual([ws?.from, ws?.to, ws?.worst, ws?.impactedMs], [at(3).toISOString(), at(12).toISOString(), 'degraded_performance', 9 * MIN]);
    assert.deepEqual(
      [f.tickets.linked, f.tickets.answered, f.tickets.unanswered, f.tickets.medianFirstAnswerMs, f.tickets.maxFirstAnswerMs],
      [2, 2, 0, 3 * MIN, 6 * MIN],
      'one answered at once, one after six minutes',
    );
    assert.deepEqual(f.notifications.email, { sent: 0, pending: 3, failed: 0, skipped: 0 }, 'three public updates to one subscriber, waiting for SMTP');
    assert.deepEqual([f.locks, f.locksTotal], [{ self: 1 }, 1], 'only the lock inside the window counts');

    const page = plain(await res.text());
    assert.match(page, /監視失敗 → 宣言 3分/);
    assert.match(page, /宣言 → 解決 42分/);
    assert.match(page, /REST API .*重大な障害 42分/);
  });

  test('sections and follow-up actions are kept; a stale form and an unknown owner are refused, nothing changed', async () => {
    const [owner] = await app.db.query<{ id: string }>(`SELECT id FROM staff ORDER BY created_at LIMIT 1`);
    const saved = await staff.postJson(`/staff/incidents/${incidentId}/review`, { version: 0, cause: '注文サーバーの接続枯渇', wentWell: '3分で宣言できた', wentBadly: 'WebSocket の影響把握が遅れた' });
    assert.equal(saved.status, 200, await saved.clone().text());
    const stale = await staff.postJson(`/staff/incidents/${incidentId}/review`, { version: 0, cause: '上書き' }, { 'accept-language': 'en' });
    assert.equal(stale.status, 409);
    assert.match(((await stale.json()) as { message: string }).message, /Someone saved this review after you opened it/);
    const badOwner = await staff.postJson(`/staff/incidents/${incidentId}/review/actions`, { title: '接続プールの監視', ownerId: 'nobody', dueOn: '2027-01-15' });
    assert.equal(badOwner.status, 400);
    const badDate = await staff.postJson(`/staff/incidents/${incidentId}/review/actions`, { title: '接続プールの監視', dueOn: '2027-02-30' });
    assert.equal(badDate.status, 400);
    const ok = await staff.postJson(`/staff/incidents/${incidentId}/review/actions`, { title: '接続プールの監視を追加', ownerId: owner!.id, dueOn: '2027-01-15' });
    assert.equal(ok.status, 200);
    const [row] = await app.db.query<{ cause: string; version: number }>('SELECT cause, version FROM incident_reviews WHERE incident_id = $1', [incidentId]);
    assert.deepEqual([row?.cause, row?.version], ['注文サーバーの接続枯渇', 1], 'the stale save changed nothing');
    assert.equal((await app.db.query('SELECT 1 FROM review_actions WHERE incident_id = $1', [incidentId])).length, 1, 'only the valid action');
    const draft = await app.reviews.draft(incidentId);
    assert.match(draft.postmortemJa, /【原因】\n注文サーバーの接続枯渇/, 'the public draft is written from the record and the review');
    assert.match(draft.postmortemJa, /接続プールの監視を追加 \(2027-01-15 までに実施\)/);
  });
});

describe('the public postmortem', () => {
  const body = '【概要】REST API が42分間ご利用いただけませんでした。\n【原因】注文サーバーの接続枯渇です。';
  const bodyEn = 'Summary: the REST API was down for 42 minutes.\nCause: order servers ran out of connections.';

  test('is refused before the incident is resolved, with nothing changed', async () => {
    now = at(50);
    const open = await app.commands.declareIncident(STAFF, { type: 'outage', severity: 'SEV3', nameJa: '別の障害', bodyJa: '調査中です。' });
    const res = await staff.postJson(`/staff/incidents/${open.incidentId}/review/postmortem`, { bodyJa: 'x' });
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { message: string }).message, /障害が解決してから公開できます/);
    const [row] = await app.db.query<{ status: string; n: number }>(`SELECT status, (SELECT count(*)::int FROM incident_updates WHERE incident_id = $1) AS n FROM incidents WHERE id = $1`, [open.incidentId]);
    assert.deepEqual([row?.status, row?.n], ['investigating', 1]);
  });

  test('published once: in incidents.json (Statuspage schema), on the incident page, in the feeds and the webhook', async () => {
    now = at(90);
    const res = await staff.postJson(`/staff/incidents/${incidentId}/review/postmortem`, { bodyJa: body, bodyEn, notify: true });
    assert.equal(res.status, 200, await res.clone().text());
    await app.site.refresh();

    const api = (await (await fetch(`${app.baseUrl}/api/v2/incidents.json`)).json()) as { incidents: Record<string, unknown>[] };
    assert.deepEqual(validateStatuspage('incidents', api), []);
    const inc = api.incidents.find((i) => i.id === incidentId)!;
    assert.equal(inc.status, 'postmortem');
    assert.equal(inc.postmortem_body, body);
    assert.equal(inc.postmortem_notified_subscribers, true);
    assert.equal(inc.postmortem_notified_twitter, false, 'no X account is connected');
    assert.equal(inc.postmortem_ignored, false);
    assert.equal(new Date(String(inc.postmortem_published_at)).getTime(), at(90).getTime());
    assert.equal(inc.postmortem_body_last_updated_at, inc.postmortem_published_at);
    const en = (await (await fetch(`${app.baseUrl}/api/v2/incidents.json?lang=en`)).json()) as { incidents: Record<string, unknown>[] };
    assert.equal(en.incidents.find((i) => i.id === incidentId)?.postmortem_body, bodyEn);
    // Incidents without one carry the empty fields, which the schema also checks.
    assert.ok(api.incidents.some((i) => i.id !== incidentId && i.postmortem_published_at === null && i.postmortem_body === null));

    const page = plain(await (await fetch(`${app.baseUrl}/incidents/${incidentId}`)).text());
    assert.match(page, /事後報告 .*REST API が42分間ご利用いただけませんでした。/);
    const pageEn = plain(await (await fetch(`${app.baseUrl}/incidents/${incidentId}?lang=en`)).text());
    assert.match(pageEn, /Postmortem .*the REST API was down for 42 minutes/);

    const atom = await (await fetch(`${app.baseUrl}/history.atom`)).text();
    assert.ok(atom.includes('REST API が42分間ご利用いただけませんでした'), 'the feed entry carries the postmortem');
    const rss = await (await fetch(`${app.baseUrl}/history.rss?lang=en`)).text();
    assert.ok(rss.includes('the REST API was down for 42 minutes'));

    const snapshot = app.site.current()!;
    const webhook = incidentWebhookPayload(snapshot, incidentId, 'ja', { unsubscribeUrl: 'https://example.jp/u', generatedAt: now });
    assert.deepEqual(validateStatuspageWebhook(webhook), []);
    assert.equal(webhook?.incident?.['postmortem_body'], body);

    // Subscribers are told (the update asked for notifications; the short channels carry a short notice).
    await app.fanout.drain();
    const [pm] = await app.db.query<{ id: string; deliver_notifications: boolean }>(`SELECT id, deliver_notifications FROM incident_updates WHERE incident_id = $1 AND status = 'postmortem'`, [incidentId]);
    assert.equal(pm?.deliver_notifications, true);
    assert.equal((await app.fanout.progress(pm!.id)).channels.email?.pending, 1);
  });

  test('publishing twice is refused clearly and changes nothing; the explicit correction notifies nobody', async () => {
    const before = await app.db.query(`SELECT id, body_ja, edited_at FROM incident_updates WHERE incident_id = $1 ORDER BY created_at`, [incidentId]);
    const audit = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
    for (const lang of ['ja', 'en'] as const) {
      const res = await staff.postJson(`/staff/incidents/${incidentId}/review/postmortem`, { bodyJa: '二度目', notify: true }, { 'accept-language': lang });
      assert.equal(res.status, 409);
      const { code, message } = (await res.json()) as { code: string; message: string };
      assert.equal(code, 'CONFLICT');
      assert.match(message, lang === 'ja' ? /すでに公開されています。二重に公開することはできません/ : /already published on .* cannot be published twice/);
    }
    // The form says so too, in the page.
    const form = await staff.postForm(`/staff/incidents/${incidentId}/review/postmortem`, { bodyJa: '二度目' });
    assert.equal(form.status, 409);
    assert.match(plain(await form.text()), /二重に公開することはできません/);
    assert.deepEqual(await app.db.query(`SELECT id, body_ja, edited_at FROM incident_updates WHERE incident_id = $1 ORDER BY created_at`, [incidentId]), before);
    assert.deepEqual(await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'), audit);

    now = at(120);
    const events = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_events WHERE incident_id = $1', [incidentId]);
    const fixed = await staff.postJson(`/staff/incidents/${incidentId}/review/postmortem/edit`, { bodyJa: `${body}\n【再発防止策】接続プールを監視します。`, bodyEn });
    assert.equal(fixed.status, 200);
    await app.site.refresh();
    const api = (await (await fetch(`${app.baseUrl}/api/v2/incidents.json`)).json()) as { incidents: Record<string, unknown>[] };
    assert.deepEqual(validateStatuspage('incidents', api), []);
    const inc = api.incidents.find((i) => i.id === incidentId)!;
    assert.match(String(inc.postmortem_body), /接続プールを監視します/);
    assert.equal(new Date(String(inc.postmortem_body_last_updated_at)).getTime(), at(120).getTime());
    assert.equal(new Date(String(inc.postmortem_published_at)).getTime(), at(90).getTime(), 'still published when it was');
    assert.deepEqual(await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM notification_events WHERE incident_id = $1', [incidentId]), events, 'nobody notified again');
  });

  test('"no postmortem needed" is Statuspage\'s postmortem_ignored, and cannot be set on a published one', async () => {
    now = at(130);
    const other = await app.commands.declareIncident(STAFF, { type: 'outage', severity: 'SEV4', nameJa: '小さな遅延', bodyJa: '遅延しています。' });
    await app.commands.postUpdate(STAFF, other.incidentId, { status: 'resolved', bodyJa: '解消しました。' });
    assert.equal((await staff.postJson(`/staff/incidents/${other.incidentId}/review/postmortem/ignore`, { ignored: true })).status, 200);
    await app.site.refresh();
    const api = (await (await fetch(`${app.baseUrl}/api/v2/incidents.json`)).json()) as { incidents: Record<string, unknown>[] };
    assert.deepEqual(validateStatuspage('incidents', api), []);
    assert.equal(api.incidents.find((i) => i.id === other.incidentId)?.postmortem_ignored, true);
    const refused = await staff.postJson(`/staff/incidents/${incidentId}/review/postmortem/ignore`, { ignored: true });
    assert.equal(refused.status, 409);
  });
});
