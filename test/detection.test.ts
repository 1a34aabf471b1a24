import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, type RunningApp } from './support/app.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import type { AccountEvent } from '../src/protection/account-events.ts';
import { type SecurityAlert } from '../src/protection/detection.ts';
import { getAlert, listAlerts } from '../src/protection/alert-repository.ts';
import { actionsFor, countryDistanceKm, DEFAULT_POLICY, parseDetectionPolicy } from '../src/protection/detection-rules.ts';
import { emailKeyOf } from '../src/exchange/reference-store.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { plain } from './support/text.ts';

/** Scripted events happen around this time; detection reads event times, not the wall clock. */
const T0 = new Date('2026-11-20T01:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;
const newEmail = (tag: string) => `${tag}-${++counter}-${Date.now()}@example.jp`;

async function newAccount(tag: string): Promise<{ id: string; email: string }> {
  const email = newEmail(tag);
  return { id: await app.referenceStore!.createAccount(email), email };
}

const record = (e: Partial<AccountEvent> & Pick<AccountEvent, 'kind' | 'at'>) => app.accountEvents.record({ accountId: null, ...e });

async function alertsFor(accountId: string): Promise<SecurityAlert[]> {
  return (await listAlerts(app.db, { accountId })).alerts;
}


before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({ config: { smtpUrl: smtp.url, mailSender: { pollMs: 100, backoffBaseMs: 50 } } });
});

after(async () => {
  await app?.stop();
  await smtp?.stop();
});

describe('detection rules (pure)', () => {
  test('great-circle distance between country centroids', () => {
    const jpBr = countryDistanceKm('JP', 'BR')!;
    assert.ok(jpBr > 17_000 && jpBr < 19_500, `JP→BR ${jpBr}`);
    const jpKr = countryDistanceKm('jp', 'KR')!;
    assert.ok(jpKr > 500 && jpKr < 1_200, `JP→KR ${jpKr}`);
    assert.equal(countryDistanceKm('JP', 'ZZ'), null);
  });

  test('policy: JSON over the defaults; null turns an action off; bad JSON throws', () => {
    assert.deepEqual(parseDetectionPolicy(undefined), DEFAULT_POLICY);
    const p = parseDetectionPolicy('{"actions":{"lock":null,"notify":10},"scores":{"new_country":35},"failedBurst":{"count":3}}');
    assert.equal(p.actions.lock, null);
    assert.equal(p.actions.notify, 10);
    assert.equal(p.scores.new_country, 35);
    assert.equal(p.scores.impossible_travel, DEFAULT_POLICY.scores.impossible_travel);
    assert.equal(p.failedBurst.count, 3);
    assert.equal(p.failedBurst.minutes, DEFAULT_POLICY.failedBurst.minutes);
    assert.deepEqual(actionsFor(p, 95), ['notify', 'step_up', 'ticket']);
    assert.deepEqual(actionsFor(DEFAULT_POLICY, 95), ['notify', 'step_up', 'ticket', 'lock']);
    assert.deepEqual(actionsFor(DEFAULT_POLICY, 20), []);
    assert.throws(() => parseDetectionPolicy('{nope'));
    assert.throws(() => parseDetectionPolicy('[1]'));
  });
});

describe('detection over account events', () => {
  test('a normal sequence (same device, same country) raises no alert', async () => {
    const a = await newAccount('normal');
    for (const [i, minutes] of [0, 60, 60 * 24, 60 * 24 * 3].entries()) {
      await record({ accountId: a.id, kind: 'sign_in', at: at(minutes), ip: `198.51.100.${i + 1}`, country: 'JP', device: 'iPhone Safari' });
    }
    await record({ accountId: a.id, kind: 'sign_in_failed', at: at(60 * 24 * 3 + 5), ip: '198.51.100.9', country: 'JP', device: 'iPhone Safari' });
    await record({ accountId: a.id, kind: 'password_changed', at: at(60 * 24 * 4), ip: '198.51.100.9', country: 'JP', device: 'iPhone Safari' });
    await record({ accountId: a.id, kind: 'withdrawal_requested', at: at(60 * 24 * 4 + 30), ip: '198.51.100.9', country: 'JP', device: 'iPhone Safari' });
    assert.deepEqual(await alertsFor(a.id), []);
    assert.equal(await app.detector.stepUpRequired(a.id), false);
  });

  test('impossible travel Tokyo → São Paulo in 10 minutes: alert with evidence, user notified with a working lock link, ticket', async () => {
    const a = await newAccount('travel');
    const apiKey = await app.referenceStore!.createApiKey(a.id);
    await record({ accountId: a.id, kind: 'sign_in', at: at(-60 * 24), ip: '203.0.113.10', country: 'JP', device: 'Pixel Chrome' });
    await record({ accountId: a.id, kind: 'sign_in', at: at(0), ip: '203.0.113.10', country: 'JP', device: 'Pixel Chrome' });
    await record({ accountId: a.id, kind: 'sign_in', at: at(10), ip: '198.18.7.7', country: 'BR', device: 'Pixel Chrome' });

    const alerts = await alertsFor(a.id);
    assert.equal(alerts.length, 1);
    const alert = alerts[0]!;
    assert.ok(alert.rules.includes('impossible_travel'), JSON.stringify(alert.rules));
    assert.ok(alert.rules.includes('new_country'));
    assert.ok(!alert.rules.includes('new_device'));
    const travel = alert.evidence.findings.find((f) => f.rule === 'impossible_travel')!;
    assert.equal(travel.detail.from, 'JP');
    assert.equal(travel.detail.to, 'BR');
    assert.equal(travel.detail.minutes, 10);
    assert.ok(Number(travel.detail.distanceKm) > 17_000, JSON.stringify(travel.detail));
    assert.ok(Number(travel.detail.speedKmh) > 100_000, JSON.stringify(travel.detail));
    // Both sign-ins are the evidence.
    assert.deepEqual(alert.evidence.events.map((e) => [e.kind, e.country, e.at]), [
      ['sign_in', 'JP', at(0).toISOString()],
      ['sign_in', 'BR', at(10).toISOString()],
    ]);
    // Default policy: notify + step-up + ticket, no automatic lock.
    assert.deepEqual([...alert.actions.taken].sort(), ['notify', 'step_up', 'ticket']);
    assert.equal(alert.actions.notifiedTo, a.email);
    assert.equal(await app.detector.stepUpRequired(a.id), true);
    const [ticket] = await app.db.query<{ type: string; priority: string }>(`SELECT type, priority FROM tickets WHERE number = $1`, [alert.actions.ticketNumber]);
    assert.deepEqual(ticket, { type: 'security', priority: 'high' });
    assert.equal((await app.accounts.findAccount({ accountId: a.id }))!.locked, false);

    // The user's email, through real SMTP, with a lock link that works.
    const mail = await smtp.waitFor((m) => m.to.includes(a.email), 10_000);
    assert.match(mail.subject, /普段と異なる操作/);
    const link = /https?:\/\/\S+\/lock\/[\w-]+/.exec(mail.text)?.[0];
    assert.ok(link, mail.text);
    assert.ok(link.startsWith(app.baseUrl));
    assert.equal((await fetch(link)).status, 200);
    const res = await fetch(link, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json() as { locked: boolean }).locked, true);
    assert.equal((await app.accounts.findAccount({ accountId: a.id }))!.locked, true);
    assert.equal(await app.referenceStore!.accountForApiKey(apiKey), null);

    await app.detector.completeStepUp(a.id);
    assert.equal(await app.detector.stepUpRequired(a.id), false);
  });

  test('50 failed sign-ins from one IP across 50 accounts: one credential-stuffing alert for the IP', async () => {
    const ip = '192.0.2.66';
    const accounts = await Promise.all(Array.from({ length: 30 }, () => newAccount('stuffed')));
    for (let i = 0; i < 50; i++) {
      const known = accounts[i];
      // Unknown addresses: no account, the attempted address's key in data.emailKey.
      await record({
        accountId: known?.id ?? null,
        kind: 'sign_in_failed',
        at: new Date(at(0).getTime() + i * 5_000),
        ip,
        country: 'NL',
        device: 'python-requests/2.31',
        data: known ? { reason: 'password' } : { reason: 'unknown_email', emailKey: emailKeyOf(`nobody-${i}@example.net`) },
      });
    }
    const rows = await app.db.query<{ id: string }>(`SELECT id FROM security_alerts WHERE ip = $1 AND account_id IS NULL`, [ip]);
    assert.equal(rows.length, 1, 'deduplicated: one alert, not one per failure');
    const alert = await getAlert(app.db, rows[0]!.id);
    assert.deepEqual(alert.rules, ['credential_stuffing']);
    assert.equal(alert.accountId, null);
    assert.equal(alert.evidence.findings[0]!.detail.distinctTargets, DEFAULT_POLICY.credentialStuffing.accounts);
    assert.equal(alert.evidence.events.length, DEFAULT_POLICY.credentialStuffing.accounts);
    assert.deepEqual(alert.actions.taken, [], 'alert only: no account to act on');
    // One failure per account is no burst: no per-account alerts.
    for (const a of accounts.slice(0, 5)) assert.deepEqual(await alertsFor(a.id), []);

    // After the dedupe window a continuing attack raises a new alert.
    await record({ accountId: null, kind: 'sign_in_failed', at: at(DEFAULT_POLICY.dedupeMinutes + 1), ip, data: { emailKey: emailKeyOf('late-0@example.net') } });
    for (let i = 1; i < 10; i++) await record({ accountId: null, kind: 'sign_in_failed', at: at(DEFAULT_POLICY.dedupeMinutes + 1 + i / 10), ip, data: { emailKey: emailKeyOf(`late-${i}@example.net`) } });
    const again = await app.db.query(`SELECT id FROM security_alerts WHERE ip = $1 AND account_id IS NULL`, [ip]);
    assert.equal(again.length, 2);
  });

  test('failed sign-in burst on one account: one alert', async () => {
    const a = await newAccount('burst');
    for (let i = 0; i < 8; i++) await record({ accountId: a.id, kind: 'sign_in_failed', at: at(i), ip: `100.64.0.${i + 1}`, country: 'US' });
    const alerts = await alertsFor(a.id);
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]!.rules, ['failed_burst']);
    assert.equal(alerts[0]!.evidence.events.length, 5);
    assert.deepEqual(alerts[0]!.actions.taken, ['notify']);
  });

  test('2FA reset then withdrawal request: alert, account locked automatically, urgent security ticket, audited', async () => {
    const a = await newAccount('takeover');
    const apiKey = await app.referenceStore!.createApiKey(a.id);
    assert.equal(await app.referenceStore!.accountForApiKey(apiKey), a.id);
    await app.referenceStore!.placeOrder(a.id, { pair: 'btc_jpy', side: 'buy', amount: '0.01' });
    await record({ accountId: a.id, kind: 'sign_in', at: at(0), ip: '203.0.113.20', country: 'JP', device: 'iPhone Safari' });
    await record({ accountId: a.id, kind: 'totp_reset', at: at(5), ip: '203.0.113.20', country: 'JP', device: 'iPhone Safari' });
    assert.deepEqual(await alertsFor(a.id), []);
    await record({ accountId: a.id, kind: 'withdrawal_requested', at: at(5 + 60 * 20), ip: '203.0.113.20', country: 'JP', device: 'iPhone Safari', data: { asset: 'BTC', amount: '1.5' } });

    const [alert] = await alertsFor(a.id);
    assert.ok(alert);
    assert.deepEqual(alert.rules, ['security_change_then_withdrawal']);
    assert.deepEqual(alert.evidence.events.map((e) => e.kind), ['totp_reset', 'withdrawal_requested']);
    assert.equal(alert.evidence.findings[0]!.detail.hoursBetween, 20);
    assert.ok(alert.actions.taken.includes('lock'));
    assert.ok(alert.actions.taken.includes('ticket'));
    assert.ok(!alert.actions.taken.includes('notify'), 'the lock notice replaces the lock-link notice');

    // The store: locked, API key refused, trading blocked.
    const account = (await app.accounts.findAccount({ accountId: a.id }))!;
    assert.equal(account.locked, true);
    assert.equal(account.tradingBlocked, true);
    assert.equal(await app.referenceStore!.accountForApiKey(apiKey), null);
    await assert.rejects(app.referenceStore!.placeOrder(a.id, { pair: 'btc_jpy', side: 'buy', amount: '0.01' }), /FORBIDDEN|trading/i);
    await assert.rejects(app.referenceStore!.requestWithdrawal(a.id, { asset: 'BTC', amount: '1', address: 'bc1qxyz' }));

    const [lock] = await app.db.query<{ id: string; source: string; ticket_id: string | null }>(`SELECT id, source, ticket_id FROM account_locks WHERE account_id = $1`, [a.id]);
    assert.equal(lock!.source, 'detection');
    assert.equal(lock!.id, alert.actions.lockId);
    const [ticket] = await app.db.query<{ type: string; priority: string; number: string }>(`SELECT type, priority, number FROM tickets WHERE id = $1`, [lock!.ticket_id]);
    assert.equal(ticket!.type, 'security');
    assert.equal(ticket!.priority, 'urgent');
    assert.equal(Number(ticket!.number), alert.actions.ticketNumber);
    const audit = await app.db.query<{ actor_type: string; data: unknown }>(`SELECT actor_type, data FROM audit_log WHERE action = 'account.lock' AND target_id = $1`, [a.id]);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.actor_type, 'system');
    const raised = await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'security.alert' AND target_id = $1`, [a.id]);
    assert.equal(raised.length, 1);
    await smtp.waitFor((m) => m.to.includes(a.email) && /ロック/.test(m.subject), 10_000);
  });

  test('new withdrawal address right after a password change: alert with both events', async () => {
    const a = await newAccount('address');
    await record({ accountId: a.id, kind: 'password_changed', at: at(0), ip: '203.0.113.30', country: 'JP' });
    await record({ accountId: a.id, kind: 'withdrawal_address_added', at: at(30), ip: '203.0.113.30', country: 'JP', data: { asset: 'ETH' } });
    const [alert] = await alertsFor(a.id);
    assert.deepEqual(alert?.rules, ['password_change_then_new_address']);
    assert.deepEqual(alert.evidence.events.map((e) => e.kind), ['password_changed', 'withdrawal_address_added']);
    assert.deepEqual([...alert.actions.taken].sort(), ['notify', 'step_up']);
  });
});

describe('a policy without automatic locks', () => {
  test('2FA reset then withdrawal: ticket and notice, no lock', async () => {
    const other = await startApp({ demo: false, config: { detectionPolicy: '{"actions":{"lock":null}}' } });
    try {
      const id = await other.referenceStore!.createAccount('policy@example.jp');
      await other.accountEvents.record({ accountId: id, kind: 'email_changed', at: at(0) });
      await other.accountEvents.record({ accountId: id, kind: 'withdrawal_requested', at: at(60) });
      const { alerts } = await listAlerts(other.db, { accountId: id });
      assert.equal(alerts.length, 1);
      assert.deepEqual([...alerts[0]!.actions.taken].sort(), ['notify', 'step_up', 'ticket']);
      assert.equal((await other.accounts.findAccount({ accountId: id }))!.locked, false);
    } finally {
      await other.stop();
    }
  });
});

describe('staff alerts pages', () => {
  test('the alert and its evidence are shown; acknowledge works (CSRF required); other roles are refused', async () => {
    const a = await newAccount('staffview');
    await record({ accountId: a.id, kind: 'sign_in', at: at(0), ip: '203.0.113.40', country: 'JP', device: 'Mac Safari' });
    await record({ accountId: a.id, kind: 'sign_in', at: at(10), ip: '198.18.40.40', country: 'BR', device: 'Windows Edge' });
    const [alert] = await alertsFor(a.id);
    assert.ok(alert);

    const security = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'security'));
    const list = await security.get('/staff/security/alerts');
    assert.equal(list.status, 200);
    const listHtml = await list.text();
    assert.ok(listHtml.includes(`/staff/security/alerts/${alert.id}`));
    assert.ok(listHtml.includes('href="/staff/security/alerts"'), 'console nav link');
    assert.ok(plain(listHtml).includes(a.id));

    const page = await security.get(`/staff/security/alerts/${alert.id}`);
    assert.equal(page.status, 200);
    const pageHtml = await page.text();
    assert.ok(pageHtml.includes(`href="/staff/accounts/${a.id}"`), 'link to the account');
    const text = plain(pageHtml);
    for (const s of ['ありえない移動', '203.0.113.40', '198.18.40.40', 'Mac Safari', 'Windows Edge', 'BR', 'JP', 'distanceKm', 'speedKmh', '未確認']) assert.ok(text.includes(s), s);
    // New device + new country + impossible travel = 90: the default policy locked the account.
    assert.deepEqual([...alert.rules].sort(), ['impossible_travel', 'new_country', 'new_device']);
    assert.ok(text.includes('ロック中'), 'lock status shown');
    assert.ok(text.includes('自動ロック'));

    const noCsrf = await security.postForm(`/staff/security/alerts/${alert.id}/acknowledge`, {}, { csrf: false });
    assert.equal(noCsrf.status, 403);
    const ack = await security.postForm(`/staff/security/alerts/${alert.id}/acknowledge`, {});
    assert.equal(ack.status, 303);
    assert.equal(ack.headers.get('location'), `/staff/security/alerts/${alert.id}?ok=acknowledged`);
    const done = await getAlert(app.db, alert.id);
    assert.ok(done.acknowledgedAt);
    assert.equal(await app.detector.stepUpRequired(a.id), false, 'acknowledged alerts no longer ask for step-up');
    const after = plain(await (await security.get(`/staff/security/alerts/${alert.id}?ok=acknowledged`)).text());
    assert.ok(after.includes('アラートを確認済みにしました'));
    assert.ok(!(await (await security.get('/staff/security/alerts')).text()).includes(`/staff/security/alerts/${alert.id}"`), 'gone from the unacknowledged list');
    assert.ok((await (await security.get('/staff/security/alerts?status=all')).text()).includes(`/staff/security/alerts/${alert.id}"`));
    const twice = await security.postJson(`/staff/security/alerts/${alert.id}/acknowledge`, {});
    assert.equal(twice.status, 409);
    const audit = await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'security.alert_acknowledge' AND target_id = $1`, [alert.id]);
    assert.equal(audit.length, 1);

    const agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
    assert.equal((await agent.get('/staff/security/alerts')).status, 403);
    assert.equal((await agent.postForm(`/staff/security/alerts/${alert.id}/acknowledge`, {})).status, 403);
    assert.equal((await security.get('/staff/security/alerts/nonexistent0')).status, 404);
  });
});

describe('on PostgreSQL', () => {
  test('travel, stuffing (deduplicated), takeover lock, step-up and acknowledge', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries on this machine' }, async () => {
    const pg = await startPostgres();
    const other = await startApp({ databaseUrl: pg.url, demo: false });
    try {
      const id = await other.referenceStore!.createAccount('pg-detect@example.jp');
      await other.accountEvents.record({ accountId: id, kind: 'sign_in', at: at(0), ip: '203.0.113.1', country: 'JP', device: 'd' });
      await other.accountEvents.record({ accountId: id, kind: 'sign_in', at: at(10), ip: '203.0.113.2', country: 'BR', device: 'd' });
      assert.equal(await other.detector.stepUpRequired(id), true);
      for (let i = 0; i < 30; i++) {
        await other.accountEvents.record({ accountId: null, kind: 'sign_in_failed', at: at(20 + i / 10), ip: '192.0.2.200', data: { emailKey: emailKeyOf(`x${i}@example.net`) } });
      }
      assert.equal((await other.db.query(`SELECT 1 FROM security_alerts WHERE ip = '192.0.2.200' AND account_id IS NULL`)).length, 1);
      await other.accountEvents.record({ accountId: id, kind: 'totp_reset', at: at(30) });
      await other.accountEvents.record({ accountId: id, kind: 'withdrawal_requested', at: at(40) });
      assert.equal((await other.accounts.findAccount({ accountId: id }))!.locked, true);
      const { alerts, total } = await listAlerts(other.db, { accountId: id });
      assert.equal(total, 2);
      const staff = await StaffClient.signIn(other.baseUrl, await makeStaff(other.db, 'admin'));
      for (const alert of alerts) {
        assert.equal((await staff.get(`/staff/security/alerts/${alert.id}`)).status, 200);
        assert.equal((await staff.postForm(`/staff/security/alerts/${alert.id}/acknowledge`, {})).status, 303);
      }
      assert.equal(await other.detector.stepUpRequired(id), false);
      await other.detector.completeStepUp(id);
    } finally {
      await other.stop();
      pg.destroy();
    }
  });
});
