/**
 * The durable fan-out through the real app and a real SMTP server: a public incident update reaches every
 * matching confirmed email subscriber exactly once, in their language, with one-click unsubscribe headers
 * (RFC 8058) and a Message-ID that is the same on every attempt; internal updates and updates without
 * notifications send nothing; an SMTP outage only delays; a 5xx for a recipient fails that delivery for good.
 *
 * Subscribers are inserted as confirmed rows (the public subscription pages are tested elsewhere).
 */
import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, eventually, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { loadLinkKey } from '../src/desk/ticket-links.ts';
import { SubscriberLinks } from '../src/notify/subscriptions/links.ts';
import { renderUpdateEmail, personalize } from '../src/notify/email/render.ts';
import { classifySmtpError } from '../src/notify/email/sender.ts';
import { newId } from '../src/store/ids.ts';
import { buildSnapshot, RECENT_LIMIT, type PageSnapshot } from '../src/status/page/snapshot.ts';
import type { Incident } from '../src/domain/incident.ts';
import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { startFanout, type ChannelSender } from '../src/notify/fanout/index.ts';
import { ensureXSubscriber, postedThread, xSender } from '../src/notify/senders/x.ts';
import { startXStandin } from './support/x-standin.ts';

let app: RunningApp;
let smtp: SmtpTestServer;
let commander: StaffClient;
let links: SubscriberLinks;

interface Sub {
  id: string;
  email: string;
}

async function addSubscriber(opts: { lang?: 'ja' | 'en'; components?: string[] | null; state?: 'active' | 'unsubscribed' | 'disabled' | 'unconfirmed' } = {}): Promise<Sub> {
  const id = newId();
  const email = `sub-${id}@example.net`;
  const state = opts.state ?? 'active';
  await app.db.query(
    `INSERT INTO subscribers (id, channel, target, target_key, lang, components, confirmed_at, unsubscribed_at, disabled_at)
     VALUES ($1, 'email', $2, lower($2), $3, $4::jsonb, $5, $6, $7)`,
    [
      id, email, opts.lang ?? 'ja', opts.components ? JSON.stringify(opts.components) : null,
      state === 'unconfirmed' ? null : new Date(),
      state === 'unsubscribed' ? new Date() : null,
      state === 'disabled' ? new Date() : null,
    ],
  );
  return { id, email };
}

const mailsTo = (email: string): ReceivedMail[] => smtp.messages.filter((m) => m.to.includes(email));

async function latestUpdateId(incidentId: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }>('SELECT id FROM incident_updates WHERE incident_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [incidentId]);
  return row!.id;
}

async function eventIdOf(updateId: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }>('SELECT id FROM notification_events WHERE update_id = $1', [updateId]);
  return row!.id;
}

async function declare(fields: Record<string, string>): Promise<string> {
  const res = await commander.postForm('/staff/incidents', { type: 'outage', severity: 'SEV2', status: 'investigating', ...fields });
  assert.equal(res.status, 303, await res.text());
  return (res.headers.get('location') ?? '').split('/')[3]!.split('?')[0]!;
}

async function postUpdate(incidentId: string, fields: Record<string, string>): Promise<string> {
  const res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, fields);
  assert.equal(res.status, 303, await res.text());
  return latestUpdateId(incidentId);
}

/** Drains until nothing is pending for the update (retries included). */
async function deliverAll(updateId: string, ms = 10_000): Promise<void> {
  await eventually(async () => {
    await app.fanout.drain();
    const p = await app.fanout.progress(updateId);
    return p.expanded && Object.values(p.channels).every((c) => c.pending === 0);
  }, ms, 50);
}

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({
    config: {
      smtpUrl: smtp.url,
      mailFrom: 'status@example.com',
      // Expansion in chunks of 2 subscribers: several chunks per update.
      fanout: { emailConnections: 2, emailConcurrency: 4, emailPerSecond: 0, retryBaseMs: 50, retryMaxMs: 200, pollMs: 100, expandChunk: 2 },
    },
  });
  // The demo data's own updates are fanned out (to nobody) before any subscriber exists.
  await app.fanout.drain();
  commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
  links = new SubscriberLinks(await loadLinkKey(app.db, app.config.secret), app.config.publicUrl);
});
after(async () => {
  await app.stop();
  await smtp.stop();
});

describe('fan-out of an incident update by email', () => {
  const subs: Record<string, Sub> = {};
  let incidentId = '';
  let updateId = '';

  test('every matching subscriber gets exactly one email, with unsubscribe headers and a stable Message-ID', async () => {
    subs.ja1 = await addSubscriber();
    subs.ja2 = await addSubscriber();
    subs.en = await addSubscriber({ lang: 'en' });
    subs.btc = await addSubscriber({ components: ['pairbtcjpy00'] });
    subs.tradingGroup = await addSubscriber({ components: ['grptrading00'] });
    subs.websocketOnly = await addSubscriber({ components: ['websocket000'] });
    subs.unsubscribed = await addSubscriber({ state: 'unsubscribed' });
    subs.disabled = await addSubscriber({ state: 'disabled' });
    subs.unconfirmed = await addSubscriber({ state: 'unconfirmed' });

    incidentId = await declare({
      nameJa: 'BTC/JPY の注文遅延', nameEn: 'BTC/JPY orders delayed',
      bodyJa: 'BTC/JPY の注文処理が遅れています。調査しています。', bodyEn: 'BTC/JPY orders are delayed. We are investigating.',
      'cs.pairbtcjpy00': 'major_outage',
    });
    updateId = await latestUpdateId(incidentId);
    await deliverAll(updateId);
    const eventId = await eventIdOf(updateId);

    for (const key of ['ja1', 'ja2', 'en', 'btc', 'tradingGroup']) {
      const sub = subs[key]!;
      const got = mailsTo(sub.email);
      assert.equal(got.length, 1, `${key} gets exactly one email`);
      const mail = got[0]!;
      assert.equal(mail.messageId, `<${eventId}.${sub.id}@example.com>`);
      assert.equal(mail.headers['list-unsubscribe'], `<${links.unsubscribeUrl(sub.id)}>`);
      assert.match(mail.headers['list-unsubscribe']!, /^<http:\/\/127\.0\.0\.1:\d+\/subscriptions\/[a-z0-9]+\/unsubscribe\/[A-Za-z0-9_-]+>$/);
      assert.equal(mail.headers['list-unsubscribe-post'], 'List-Unsubscribe=One-Click');
      assert.ok(mail.text.includes(`${app.baseUrl}/incidents/${incidentId}`), 'links to the incident page');
      assert.ok(mail.text.includes(links.unsubscribeUrl(sub.id)), 'the body has the unsubscribe link too');
      assert.match(mail.raw, /Content-Type: text\/html/i, 'an HTML part besides the text');
    }
    const ja = mailsTo(subs.ja1!.email)[0]!;
    assert.match(ja.subject, /BTC\/JPY の注文遅延/);
    assert.match(ja.subject, /調査中/);
    assert.ok(ja.text.includes('BTC/JPY の注文処理が遅れています。'));
    assert.match(ja.text, /影響のあるサービス: .*BTC\/JPY/);
    const en = mailsTo(subs.en!.email)[0]!;
    assert.match(en.subject, /BTC\/JPY orders delayed/);
    assert.match(en.subject, /Investigating/);
    assert.ok(en.text.includes('BTC/JPY orders are delayed.'));
    assert.match(en.text, /Affected services: .*BTC\/JPY/);

    for (const key of ['websocketOnly', 'unsubscribed', 'disabled', 'unconfirmed']) {
      assert.equal(mailsTo(subs[key]!.email).length, 0, `${key} gets nothing`);
    }
    const progress = await app.fanout.progress(updateId);
    assert.equal(progress.notified, true);
    assert.equal(progress.expanded, true);
    assert.deepEqual(progress.channels.email, { sent: 5, pending: 0, failed: 0, skipped: 0 });
  });

  test('draining again sends nothing more: a delivery recorded as sent is never repeated', async () => {
    const before = smtp.messages.length;
    await app.fanout.drain();
    assert.equal(smtp.messages.length, before);
  });

  test('an internal update and an update without notifications send nothing', async () => {
    const before = smtp.messages.length;
    const internalId = await postUpdate(incidentId, { status: 'investigating', visibility: 'internal', bodyJa: '社内メモ: 原因を調査中' });
    const [row] = await app.db.query<{ id: string }>(
      `INSERT INTO incident_updates (id, incident_id, status, visibility, body_ja, deliver_notifications)
       VALUES ($1, $2, 'investigating', 'public', '通知なしの更新', false) RETURNING id`,
      [newId(), incidentId],
    );
    await app.fanout.drain();
    assert.equal(smtp.messages.length, before);
    for (const id of [internalId, row!.id]) {
      const p = await app.fanout.progress(id);
      assert.equal(p.notified, false);
      assert.deepEqual(p.channels, {});
    }
  });

  test('SMTP down and refusing for a while: everything arrives once it is back, nothing lost', async () => {
    smtp.setFailing('all', { code: 451, at: 'rcpt' });
    const uid = await postUpdate(incidentId, { status: 'identified', bodyJa: '原因を特定しました。', bodyEn: 'We found the cause.' });
    await app.fanout.drain();
    const during = await app.fanout.progress(uid);
    assert.equal(during.channels.email?.sent, 0);
    assert.equal(during.channels.email?.pending, 5, 'refused with 4xx: still pending, to be retried');
    // Now the server goes away entirely (connections refused), then comes back.
    await smtp.stop();
    await new Promise((r) => setTimeout(r, 300));
    await app.fanout.drain();
    assert.equal((await app.fanout.progress(uid)).channels.email?.pending, 5);
    // A subscriber who unsubscribes meanwhile is not sent the pending update.
    await app.db.query('UPDATE subscribers SET unsubscribed_at = now() WHERE id = $1', [subs.ja2!.id]);
    smtp.setFailing(0);
    await smtp.start();
    await deliverAll(uid);
    const eventId = await eventIdOf(uid);
    for (const key of ['ja1', 'en', 'btc', 'tradingGroup']) {
      const got = mailsTo(subs[key]!.email).filter((m) => m.messageId === `<${eventId}.${subs[key]!.id}@example.com>`);
      assert.equal(got.length, 1, `${key} got the update once`);
      assert.match(got[0]!.subject, key === 'en' ? /Identified/ : /特定済み|原因/);
    }
    assert.equal(mailsTo(subs.ja2!.email).length, 1, 'only the first update, before unsubscribing');
    assert.deepEqual((await app.fanout.progress(uid)).channels.email, { sent: 4, pending: 0, failed: 0, skipped: 1 });
  });

  test('a 5xx for a recipient fails that delivery for good; others are delivered', async () => {
    await app.db.query(`UPDATE subscribers SET unsubscribed_at = now() WHERE unsubscribed_at IS NULL`);
    const refusedSub = await addSubscriber();
    smtp.setFailing(1, { code: 550, at: 'rcpt' });
    const refusedBefore = smtp.refused;
    const uid = await postUpdate(incidentId, { status: 'monitoring', bodyJa: '復旧を確認しています。' });
    await deliverAll(uid);
    assert.equal(smtp.refused, refusedBefore + 1);
    assert.equal(mailsTo(refusedSub.email).length, 0);
    assert.deepEqual((await app.fanout.progress(uid)).channels.email, { sent: 0, pending: 0, failed: 1, skipped: 0 });
    const [row] = await app.db.query<{ last_error: string; attempts: number }>('SELECT last_error, attempts FROM deliveries WHERE subscriber_id = $1', [refusedSub.id]);
    assert.equal(row!.attempts, 1, 'not retried');
    assert.match(row!.last_error, /550/);
  });
});

describe('update email rendering', () => {
  test('hostile text is escaped in the HTML part and the subject stays one line', () => {
    const snapshot = app.site.current() as PageSnapshot;
    const incident = snapshot.incidents[0]!;
    const hostile: PageSnapshot = {
      ...snapshot,
      incidents: [{ ...incident, nameJa: '障害 <script>alert(1)</script>\r\nBcc: x@evil.example', updates: incident.updates.map((u) => ({ ...u, bodyJa: '<img src=x onerror=alert(1)> & 続報' })) }],
    };
    const update = incident.updates[0]!;
    const mail = renderUpdateEmail(hostile, incident.id, update.id, 'ja', 'デモ取引所');
    assert.ok(mail);
    const out = personalize(mail, { manageUrl: 'https://status.example/m', unsubscribeUrl: 'https://status.example/u' }, 'ja', 'デモ取引所');
    assert.ok(!out.html.includes('<script>'));
    assert.ok(!out.html.includes('<img'));
    assert.ok(out.html.includes('&lt;script&gt;'));
    assert.ok(out.html.includes('&amp; 続報'));
    assert.ok(!/[\r\n]/.test(out.subject), 'no header injection through the incident name');
    assert.ok(out.text.includes('<img src=x onerror=alert(1)> & 続報'), 'the text part is the text as written');
  });

  test('SMTP answers: 5xx to the recipient or the data is final, 4xx and connection trouble are retried', () => {
    assert.equal(classifySmtpError(Object.assign(new Error('Recipient rejected'), { code: 'EENVELOPE', responseCode: 550 })).kind, 'failed');
    assert.equal(classifySmtpError(Object.assign(new Error('Message rejected'), { code: 'EMESSAGE', responseCode: 554 })).kind, 'failed');
    assert.equal(classifySmtpError(Object.assign(new Error('Try later'), { code: 'EENVELOPE', responseCode: 451 })).kind, 'retry');
    assert.equal(classifySmtpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' })).kind, 'retry');
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535 })).kind, 'retry');
  });
});

describe('an update on an incident the page no longer keeps at hand', () => {
  test('resolving an incident older than the 50 newest closed ones is still delivered', { timeout: 120_000 }, async () => {
    await app.db.query(`UPDATE subscribers SET unsubscribed_at = now() WHERE unsubscribed_at IS NULL`);
    const fields = { bodyJa: '調査しています。', bodyEn: 'We are investigating.' };
    const old = await declare({ nameJa: '古い障害 A', nameEn: 'Old incident A', ...fields });
    for (let i = 0; i < RECENT_LIMIT + 1; i++) {
      const id = await declare({ nameJa: `新しい障害 ${i}`, nameEn: `Newer incident ${i}`, ...fields });
      await postUpdate(id, { status: 'resolved', bodyJa: '解決しました。', bodyEn: 'Resolved.' });
    }
    await app.fanout.drain();
    const sub = await addSubscriber({ lang: 'en' });
    const uid = await postUpdate(old, { status: 'resolved', bodyJa: '古い障害は解決しました。', bodyEn: 'The old incident is resolved.' });
    await app.site.refresh();
    assert.ok(!app.site.incidentIds().includes(old), 'the resolved incident fell out of the page snapshot');
    await deliverAll(uid);
    const got = mailsTo(sub.email);
    assert.equal(got.length, 1, 'the resolving update arrived once');
    assert.match(got[0]!.subject, /Old incident A/);
    assert.ok(got[0]!.text.includes('The old incident is resolved.'));
    assert.ok(got[0]!.text.includes(`${app.baseUrl}/incidents/${old}`));
    assert.deepEqual((await app.fanout.progress(uid)).channels.email, { sent: 1, pending: 0, failed: 0, skipped: 0 });
  });
});

// ---------- the worker's claims and leases, on a database of their own ----------

const T0 = new Date('2026-03-02T01:00:00Z');
const PAGE = { id: 'kinkyu', nameJa: 'キンキュウ', nameEn: 'Kinkyu', url: 'https://status.example.jp', timeZone: 'Asia/Tokyo' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function migratedMemoryDb(): Promise<Db> {
  const db = await openMigratedDb();
  await migrate(db);
  return db;
}

function pageWith(incidents: Incident[] = []): PageSnapshot {
  return buildSnapshot({ version: 1, changedAt: T0, loadedAt: T0, page: PAGE, components: [], incidents, history: new Map() });
}

describe('claims and leases', () => {
  let db: Db;
  before(async () => { db = await migratedMemoryDb(); });
  after(() => db.close());

  /** `n` confirmed email subscribers and one component event with a pending delivery to each (email: no other sender here). */
  async function pendingDeliveries(n: number): Promise<string[]> {
    const tag = newId();
    const [event] = await db.query<{ id: string }>(
      `INSERT INTO notification_events (kind, component_id, old_status, new_status, expanded_at)
       VALUES ('component_update', 'spot', 'operational', 'major_outage', now()) RETURNING id`,
    );
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `${tag}${i}`;
      await db.query(
        `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at) VALUES ($1, 'email', $2, $2, 'ja', now())`,
        [id, `lease-${id}@example.net`],
      );
      await db.query(`INSERT INTO deliveries (event_id, subscriber_id, channel) VALUES ($1, $2, 'email')`, [event!.id, id]);
      ids.push(`${event!.id}:${id}`);
    }
    return ids;
  }

  async function statusesOf(keys: string[]): Promise<string[]> {
    const rows = await db.query<{ status: string }>(
      `SELECT status FROM deliveries WHERE event_id || ':' || subscriber_id = ANY($1::text[])`, [keys],
    );
    return rows.map((r) => r.status);
  }

  test('a send slower than the lease is sent once: no second claim while it is still being sent', { timeout: 60_000 }, async () => {
    const keys = await pendingDeliveries(4);
    const sends = new Map<string, number>();
    const slow: ChannelSender = {
      channel: 'email', concurrency: 2, perSecond: 0,
      async send(d) {
        sends.set(d.idempotencyKey, (sends.get(d.idempotencyKey) ?? 0) + 1);
        await sleep(1500);
        return { kind: 'delivered', status: 250 };
      },
    };
    const fanout = startFanout(db, { senders: [slow], leaseMs: 500, pollMs: 50, snapshot: () => pageWith() });
    try {
      await eventually(async () => (await statusesOf(keys)).every((s) => s === 'sent'), 30_000, 50);
      await sleep(1000);
    } finally {
      await fanout.stop();
    }
    assert.deepEqual([...sends.keys()].sort(), [...keys].sort(), 'every delivery was sent');
    assert.deepEqual([...sends.values()], keys.map(() => 1), `each sent exactly once: ${JSON.stringify([...sends.values()])}`);
  });

  test("a lease shorter than the sender's timeout is raised: a row is not claimable again before a send could time out", async () => {
    const keys = await pendingDeliveries(1);
    let leftMs = 0;
    const sender: ChannelSender = {
      channel: 'email', concurrency: 1, perSecond: 0, timeoutMs: 3000,
      async send(d) {
        const [eventId, subscriberId] = d.idempotencyKey.split(':');
        const [row] = await db.query<{ left: number }>(
          `SELECT extract(epoch FROM (lease_until - now())) * 1000 AS left FROM deliveries WHERE event_id = $1 AND subscriber_id = $2`,
          [eventId, subscriberId],
        );
        leftMs = Number(row?.left ?? 0);
        return { kind: 'delivered', status: 250 };
      },
    };
    const fanout = startFanout(db, { senders: [sender], leaseMs: 500, pollMs: 50, snapshot: () => pageWith(), log: () => undefined });
    try {
      await eventually(async () => (await statusesOf(keys)).every((s) => s === 'sent'), 10_000, 50);
    } finally {
      await fanout.stop();
    }
    assert.ok(leftMs > 2500, `the lease covers the sender's timeout (${Math.round(leftMs)} ms left at the send)`);
  });

  test('a delivery that can never be rendered is failed with a clear error after a bounded number of looks', async () => {
    const keys = await pendingDeliveries(1);
    let sent = 0;
    const sender: ChannelSender = { channel: 'email', concurrency: 1, perSecond: 0, async send() { sent++; return { kind: 'delivered', status: 250 }; } };
    // No page snapshot ever loads.
    const fanout = startFanout(db, { senders: [sender], pollMs: 20, snapshot: () => null, notReadyDelayMs: 10, maxDeferrals: 3, log: () => undefined });
    try {
      await eventually(async () => (await statusesOf(keys))[0] === 'failed', 10_000, 20);
    } finally {
      await fanout.stop();
    }
    const [row] = await db.query<{ last_error: string; attempts: number; deferrals: number }>(
      `SELECT last_error, attempts, deferrals FROM deliveries WHERE event_id || ':' || subscriber_id = $1`, [keys[0]],
    );
    assert.equal(sent, 0);
    assert.match(row!.last_error, /could not be rendered/);
    assert.equal(row!.deferrals, 3);
  });
});

describe('X', () => {
  let db: Db;
  before(async () => { db = await migratedMemoryDb(); });
  after(() => db.close());

  test('a process started without X credentials leaves the shared X subscriber active', async () => {
    await ensureXSubscriber(db, { configured: true, lang: 'ja', id: 'x-main', now: T0 });
    const active = () => db.query<{ id: string }>(`SELECT id FROM subscribers WHERE channel = 'x' AND disabled_at IS NULL AND unsubscribed_at IS NULL`);
    assert.deepEqual((await active()).map((r) => r.id), ['x-main']);
    await ensureXSubscriber(db, { configured: false, lang: 'ja', id: 'x-other', now: T0 });
    assert.deepEqual((await active()).map((r) => r.id), ['x-main'], 'still active: another process has the credentials');
  });

  test('the X sender stops a thread half-way when the delivery is no longer its own (lease lost)', async () => {
    const creds = { consumerKey: 'ck', consumerSecret: 'cs', accessToken: '1-at', accessTokenSecret: 'ats' };
    const x = await startXStandin(creds);
    try {
      const long = '現物取引の注文処理で遅延が続いており、担当チームが原因を調べています。'.repeat(8);
      const incident: Incident = {
        id: 'inc1', kind: 'incident', type: 'outage', severity: 'SEV2', nameJa: '現物取引の遅延', nameEn: 'Spot trading delays',
        status: 'investigating', impact: 'major', componentIds: [], createdAt: T0, updatedAt: T0, startedAt: T0,
        monitoringAt: null, resolvedAt: null, scheduledFor: null, scheduledUntil: null, autoTransition: false,
        updates: [{
          id: 'upd1', incidentId: 'inc1', status: 'investigating', visibility: 'public', bodyJa: long, bodyEn: null,
          affectedComponents: [], deliverNotifications: true, authorId: null, createdAt: T0, displayAt: T0, editedAt: null,
        }],
      };
      let checks = 0;
      const sender = xSender({ db, credentials: creds, baseUrl: x.baseUrl });
      const outcome = await sender.send({
        event: { id: 'ev-lease', kind: 'incident_update', incidentId: 'inc1', updateId: 'upd1', createdAt: T0 },
        subscriber: { id: 'x-main', channel: 'x', target: 'config', lang: 'ja', secret: null, ownerEmail: null },
        attempt: 1,
        idempotencyKey: 'ev-lease:x-main',
        snapshot: pageWith([incident]),
        // Still ours before the first part only.
        keepLease: async () => ++checks === 1,
      });
      assert.equal(x.tweets.length, 1, 'only the part posted while the lease was held');
      assert.notEqual(outcome.kind, 'delivered');
      assert.ok(checks >= 2, 'the lease was checked before each part');
      assert.deepEqual(await postedThread(db, 'ev-lease'), [x.tweets[0]!.id]);
    } finally {
      await x.close();
    }
  });
});
