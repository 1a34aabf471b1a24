/**
 * Drills (issue 13 §9), end to end: `kinkyu drill --scenario …` as a real child process for each of the four
 * scenarios, on one embedded database, with a real SMTP server and two webhook receivers. Each run prints and keeps
 * its report (buried security tickets 0, regulator deadlines, notifications per channel). Then the public page, the
 * API, the feeds and the incident pages are read from the same database: none shows a drill and every component is
 * still operational, real subscribers received nothing, drill recipients received every drill update. Bad input
 * (an unknown scenario, finishing twice, from the CLI and the console) is refused clearly with nothing written.
 *
 * Run: node --import tsx --test --test-reporter=spec test/drills.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import type { DrillReport } from '../src/drills/index.ts';
import { kinkyuProcess, type CliResult } from './support/cli-process.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { TEST_AUDIT_KEY } from './support/audit-key.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';
import { validateStatuspage } from './support/statuspage-schema.ts';

const SCENARIOS = [['outage', 300, 4], ['takeover', 60, 4], ['withdrawal-delay', 60, 4], ['regulatory', 40, 3]] as const;

let dir: string;
let env: NodeJS.ProcessEnv;
let smtp: SmtpTestServer;
let realHook: WebhookReceiver;
let drillHook: WebhookReceiver;
const kinkyu = (...args: string[]) => kinkyuProcess(env, ...args);
const reports = new Map<string, DrillReport>();

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb({ dataDir: join(dir, 'data') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const counts = (db: Db) => db.query<{ drills: number; incidents: number; tickets: number; events: number }>(
  `SELECT (SELECT count(*)::int FROM drills) AS drills, (SELECT count(*)::int FROM incidents) AS incidents,
          (SELECT count(*)::int FROM drill_tickets) AS tickets, (SELECT count(*)::int FROM notification_events) AS events`,
);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kinkyu-drill-'));
  [smtp, realHook, drillHook] = await Promise.all([startSmtpServer(), startWebhookReceiver({ status: 200 }), startWebhookReceiver({ status: 200 }, '/drill-hook')]);
  env = {
    ...process.env, DATA_DIR: join(dir, 'data'), PUBLIC_URL: 'https://status.example.jp', DATABASE_URL: '', AUDIT_KEY: TEST_AUDIT_KEY,
    SMTP_URL: smtp.url, WEBHOOK_ALLOW_LOCAL: 'true', MONITORS_ENABLED: 'false',
  };
  assert.equal((await kinkyu('seed-demo')).code, 0);
  // Four subscribers: two real ones, two marked as drill recipients. They subscribed after the demo's past updates,
  // which a running server would have fanned out (to nobody) long ago.
  await withDb(async (db) => {
    await db.query('UPDATE notification_events SET expanded_at = now() WHERE expanded_at IS NULL');
    const now = new Date();
    const sub = (id: string, channel: 'email' | 'webhook', target: string) => insertSubscriber(db, {
      id, channel, target, lang: 'ja', components: null, secret: channel === 'webhook' ? 'secret-of-' + id : null, ownerEmail: null,
      confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: now, ip: null, now,
    });
    await sub('realmail0001', 'email', 'real-user@example.jp');
    await sub('drillmail001', 'email', 'drill-team@example.jp');
    await sub('realhook0001', 'webhook', realHook.url);
    await sub('drillhook001', 'webhook', drillHook.url);
    await db.query(`UPDATE subscribers SET drill_recipient = true WHERE id IN ('drillmail001', 'drillhook001')`);
  });
});

after(async () => {
  await Promise.all([smtp?.stop(), realHook?.close(), drillHook?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('kinkyu drill', () => {
  test('bad input: an unknown scenario, a count out of range, no scenario — refused in ja and en, nothing written', async () => {
    const before = await withDb(counts);
    const checks: [string[], RegExp, RegExp][] = [
      [['drill', '--scenario', 'meltdown'], /シナリオ「meltdown」はありません。次のいずれかを指定してください: outage, takeover, withdrawal-delay, regulatory/, /There is no scenario "meltdown"/],
      [['drill', '--scenario', 'outage', '--surge', '99999'], /0から5000までの整数/, /whole number from 0 to 5000/],
      [['drill'], /「シナリオ」を入力してください/, /error: /],
      [['drill', 'finish'], /--id に訓練IDを指定してください/, /give the drill's id with --id/],
    ];
    for (const [args, ja, en] of checks) {
      const res: CliResult = await kinkyu(...args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, ja);
      assert.match(res.stderr, en);
      assert.match(res.stderr, /kinkyu drill --scenario outage\|takeover\|withdrawal-delay\|regulatory/, 'the usage follows');
    }
    assert.deepEqual(await withDb(counts), before);
  });

  for (const [scenario, surge, updates] of SCENARIOS) {
    test(`--scenario ${scenario}: runs the real flow in the sandbox and keeps its report`, async () => {
      const out = join(dir, `${scenario}.json`);
      const res = await kinkyu('drill', '--scenario', scenario, '--surge', String(surge), '--takeovers', '3', '--out', out);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.match(res.stdout, /訓練報告: /);
      assert.match(res.stdout, /埋もれたセキュリティ報告 \(0 件であること\): 0/);
      assert.match(res.stdout, /判定: 合格/);
      const report = JSON.parse(readFileSync(out, 'utf8')) as DrillReport;
      reports.set(scenario, report);
      assert.equal(report.scenario, scenario);
      assert.deepEqual(report.problems, []);
      assert.equal(report.tickets.total, surge + 3);
      assert.equal(report.tickets.takeovers, 3);
      assert.equal(report.tickets.buriedSecurity, 0, 'no takeover report under an "is it down?" ticket');
      assert.equal(report.tickets.securityUrgent >= 3, true);
      assert.ok(report.times.toFirstPublicUpdateMs !== null && report.times.resolved);
      assert.deepEqual(report.notifications.email, { sent: updates, pending: 0, failed: 0, skipped: 0 }, 'every update to the drill recipient, and to nobody else');
      assert.deepEqual(report.notifications.webhook, { sent: updates, pending: 0, failed: 0, skipped: 0 });
      assert.deepEqual(report.standIns, { x: updates, slack: updates }, 'the X and Slack stand-ins got each update');
      assert.deepEqual(report.isolation, { publicPageClean: true, deliveriesOutsideRecipients: 0, realComponentChanges: 0 });
      assert.equal(report.roles.available, true, "the incident room's tables are read for the report");
      if (scenario === 'outage' || scenario === 'withdrawal-delay') {
        assert.deepEqual(report.regulator.map((r) => [r.stage.en, r.state]), [['First report (at once)', 'done_on_time'], ['Written report (cause and measures)', 'open']]);
      }
      if (scenario === 'takeover') {
        assert.ok(report.regulator.some((r) => r.rule.en === 'Personal data breach report' && r.stage.en === 'Final report'));
      }
      if (scenario === 'regulatory') {
        assert.deepEqual(report.regulator.map((r) => r.stage.en), ['Preliminary report', 'Final report'], 'more than 1,000 people: the PPC report');
      }
    });
  }

  test('finishing a finished drill is refused, the kept report unchanged; `drill report` prints it again', async () => {
    const outage = reports.get('outage');
    assert.ok(outage);
    const stored = await withDb(async (db) => (await db.query<{ report: unknown }>('SELECT report FROM drills WHERE id = $1', [outage.drillId]))[0]?.report);
    const again = await kinkyu('drill', 'finish', '--id', outage.drillId, '--lang', 'en');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /この訓練はすでに終了しています/);
    assert.match(again.stderr, /This drill has already finished/);
    const printed = await kinkyu('drill', 'report', '--id', outage.drillId, '--lang', 'en');
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /Drill report: System outage/);
    assert.match(printed.stdout, /Buried security reports \(must be 0\): 0/);
    assert.deepEqual(await withDb(async (db) => (await db.query<{ report: unknown }>('SELECT report FROM drills WHERE id = $1', [outage.drillId]))[0]?.report), stored);
  });

  test('real subscribers received nothing; drill recipients received every drill update', async () => {
    const total = SCENARIOS.reduce((n, [, , updates]) => n + updates, 0);
    assert.equal(smtp.messages.filter((m) => m.to.includes('real-user@example.jp')).length, 0);
    const drillMails = smtp.messages.filter((m) => m.to.includes('drill-team@example.jp'));
    assert.equal(drillMails.length, total);
    assert.ok(drillMails.every((m) => m.subject.includes('【訓練】')), 'each one says it is a drill');
    assert.equal(realHook.got.length, 0);
    assert.equal(drillHook.got.length, total);
    const first = JSON.parse(drillHook.got[0]!.body) as { incident: { name: string } };
    assert.match(first.incident.name, /^【訓練】/);
  });
});

describe('what the public and the staff see afterwards', () => {
  let db: Db;
  let app: RunningApp;
  let staff: StaffClient;

  before(async () => {
    db = await openDb({ dataDir: join(dir, 'data') });
    const base = loadConfig();
    app = await startApp({ db, demo: false, config: { monitors: { ...base.monitors, enabled: false } } });
    staff = await StaffClient.signIn(app.baseUrl, await makeStaff(db, 'incident_commander'));
  });
  after(async () => {
    await app?.stop();
    await db?.close();
  });

  test('the public page, the API, the feeds and incident pages never show a drill; every component is operational', async () => {
    const drillIncidents = [...reports.values()].map((r) => r.incidentId);
    assert.equal(drillIncidents.length, 4);
    for (const lang of ['ja', 'en']) {
      const q = `?lang=${lang}`;
      for (const path of ['/', '/history', '/history.atom', '/history.rss']) {
        const text = await (await fetch(`${app.baseUrl}${path}${q}`)).text();
        assert.ok(!/訓練|DRILL/.test(text), `${path} ${lang} shows no drill`);
        for (const id of drillIncidents) assert.ok(!text.includes(id), `${path} does not link ${id}`);
      }
      for (const endpoint of ['summary', 'incidents', 'incidents_unresolved', 'components'] as const) {
        const path = { summary: 'summary.json', incidents: 'incidents.json', incidents_unresolved: 'incidents/unresolved.json', components: 'components.json' }[endpoint];
        const body = (await (await fetch(`${app.baseUrl}/api/v2/${path}${q}`)).json()) as Record<string, unknown>;
        assert.deepEqual(validateStatuspage(endpoint, body), []);
        const text = JSON.stringify(body);
        assert.ok(!/訓練|DRILL/.test(text), `${path} shows no drill`);
      }
    }
    const components = (await (await fetch(`${app.baseUrl}/api/v2/components.json`)).json()) as { components: { status: string }[] };
    assert.ok(components.components.every((c) => c.status === 'operational'), 'no drill touched a real component');
    const summary = (await (await fetch(`${app.baseUrl}/api/v2/status.json`)).json()) as { status: { indicator: string } };
    assert.equal(summary.status.indicator, 'none');
    for (const id of drillIncidents) assert.equal((await fetch(`${app.baseUrl}/incidents/${id}`)).status, 404);
    const month = new Date().toISOString().slice(0, 7);
    assert.ok(!/訓練/.test(await (await fetch(`${app.baseUrl}/history/${month}`)).text()), 'the month archive neither');
  });

  test('the console: the drill\'s preview and its report; an unknown scenario is refused, nothing written', async () => {
    const outage = reports.get('outage')!;
    const preview = await staff.get(`/staff/drills/${outage.drillId}/preview`);
    assert.equal(preview.status, 200);
    const text = await preview.text();
    assert.match(text, /訓練プレビュー/);
    assert.match(text, /【訓練】取引システムの障害/);
    const report = await (await staff.get(`/staff/drills/${outage.drillId}/report?lang=en`)).text();
    assert.match(report, /Buried security reports \(must be 0\)/);
    assert.match(report, /data-verdict="passed"/);

    const before = await counts(db);
    const bad = await staff.postForm('/staff/drills', { scenario: 'meltdown', surge: '10' });
    assert.equal(bad.status, 400);
    assert.match((await bad.text()).replace(/<[^>]+>/g, ' '), /シナリオ「meltdown」はありません/);
    assert.deepEqual(await counts(db), before);

    // Started from the console: interactive; people post updates on the incident page, then finish it.
    const started = await staff.postForm('/staff/drills', { scenario: 'takeover', surge: '20', takeovers: '2', monitors: 'true' });
    assert.equal(started.status, 303);
    const drillPath = started.headers.get('location')!.replace(/\?.*$/, '');
    const drillId = drillPath.split('/').pop()!;
    const [row] = await db.query<{ incident_id: string }>('SELECT incident_id FROM drills WHERE id = $1', [drillId]);
    const upd = await staff.postForm(`/staff/incidents/${row!.incident_id}/updates`, { status: 'resolved', visibility: 'public', bodyJa: '訓練: 解決しました。' });
    assert.equal(upd.status, 303);
    await app.fanout.drain();
    const finished = await staff.postForm(`${drillPath}/finish`, {});
    assert.equal(finished.status, 303);
    const twice = await staff.postForm(`${drillPath}/finish`, {});
    assert.equal(twice.status, 409);
    const kept = (await (await fetch(`${app.baseUrl}${drillPath}/report`, { headers: { cookie: staff.cookie, accept: 'application/json' } })).json()) as DrillReport;
    assert.equal(kept.startedVia, 'console');
    assert.equal(kept.tickets.buriedSecurity, 0);
    assert.equal(kept.isolation.publicPageClean, true);
  });
});
