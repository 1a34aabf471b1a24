import { openMigratedDb } from './support/test-db.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';

import type { Component } from '../src/domain/component.ts';
import type { Incident } from '../src/domain/incident.ts';
import { buildSnapshot, type PageSnapshot } from '../src/status/page/snapshot.ts';
import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { createSmtpTransport } from '../src/mail/outbox.ts';
import { startMailWorker, type MailWorker } from '../src/mail/sender.ts';
import { verifySignature } from '../src/notify/channels/webhook-signature.ts';
import { weightedLength } from '../src/notify/channels/x-compose.ts';
import { SubscriberLinks } from '../src/notify/subscriptions/links.ts';
import type { Delivery, NotificationEvent, Subscriber } from '../src/notify/fanout/types.ts';
import { EmailBounces, EndpointHealth } from '../src/notify/senders/endpoint-health.ts';
import { createEmailSender } from '../src/notify/email/sender.ts';
import { SMTPServer } from 'smtp-server';
import { webhookSender } from '../src/notify/senders/webhook.ts';
import { slackSender } from '../src/notify/senders/slack.ts';
import { ensureXSubscriber, postedThread, xSender } from '../src/notify/senders/x.ts';
import { parseXConfig } from '../src/notify/senders/x-config.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import { startSlackStandin } from './support/slack-standin.ts';
import { startXStandin } from './support/x-standin.ts';
import './support/audit-key.ts'; // appends to the audit log on a bare database: the test process's audit key

const T0 = new Date('2026-03-02T01:00:00Z');
const PAGE = { id: 'kinkyu', nameJa: 'キンキュウ', nameEn: 'Kinkyu', url: 'https://status.example.jp', timeZone: 'Asia/Tokyo' };
const CREDS = { consumerKey: 'ck-kinkyu', consumerSecret: 'cs-secret', accessToken: '123-at', accessTokenSecret: 'ats-secret' };
const SUBSCRIBE_URL = 'https://status.example.jp/subscribe';

function component(id: string): Component {
  return {
    id, groupId: null, isGroup: false, nameJa: `取引 ${id}`, nameEn: `Trading ${id}`, descriptionJa: null, descriptionEn: null,
    position: 1, status: 'partial_outage', showcase: true, onlyShowIfDegraded: false, startDate: null, createdAt: T0, updatedAt: T0,
  };
}

function snapshot(bodyJa: string): PageSnapshot {
  const incident: Incident = {
    id: 'inc1', kind: 'incident', type: 'outage', severity: 'SEV2', nameJa: '現物取引の遅延', nameEn: 'Spot trading delays',
    status: 'investigating', impact: 'major', componentIds: ['spot'], createdAt: T0, updatedAt: T0, startedAt: T0,
    monitoringAt: null, resolvedAt: null, scheduledFor: null, scheduledUntil: null, autoTransition: false,
    updates: [{
      id: 'upd1', incidentId: 'inc1', status: 'investigating', visibility: 'public', bodyJa, bodyEn: 'We are investigating delays.',
      affectedComponents: [], deliverNotifications: true, authorId: null, createdAt: T0, displayAt: T0, editedAt: null,
    }],
  };
  return buildSnapshot({ version: 1, changedAt: T0, loadedAt: T0, page: PAGE, components: [component('spot')], incidents: [incident], history: new Map() });
}

const SHORT = '現物取引の注文処理に遅延が発生しています。原因を調査中です。';
const incidentEvent = (id: string): NotificationEvent => ({ id, kind: 'incident_update', incidentId: 'inc1', updateId: 'upd1', createdAt: T0 });
const componentEvent = (id: string): NotificationEvent => ({ id, kind: 'component_update', componentId: 'spot', oldStatus: 'operational', newStatus: 'partial_outage', createdAt: T0 });

function delivery(event: NotificationEvent, subscriber: Subscriber, attempt = 1, body = SHORT): Delivery {
  return { event, subscriber, attempt, idempotencyKey: `${event.id}:${subscriber.id}`, snapshot: snapshot(body) };
}

let db: Db;
let smtp: SmtpTestServer;
let mail: MailWorker;
let counter = 0;

before(async () => {
  db = await openMigratedDb();
  await migrate(db);
  smtp = await startSmtpServer();
  mail = startMailWorker(db, createSmtpTransport(smtp.url), { from: 'Kinkyu <status@example.jp>', pollMs: 50 });
});

after(async () => {
  await mail.stop();
  await smtp.stop();
  await db.close();
});

async function addSubscriber(channel: Subscriber['channel'], target: string, extra: { lang?: 'ja' | 'en'; ownerEmail?: string; secret?: string } = {}): Promise<Subscriber> {
  const id = `sub${++counter}`;
  await db.query(
    `INSERT INTO subscribers (id, channel, target, target_key, lang, secret, owner_email, confirmed_at) VALUES ($1,$2,$3,$3,$4,$5,$6,now())`,
    [id, channel, target, extra.lang ?? 'ja', extra.secret ?? null, extra.ownerEmail ?? null],
  );
  return { id, channel, target, lang: extra.lang ?? 'ja', secret: extra.secret ?? null, ownerEmail: extra.ownerEmail ?? null };
}

async function subscriberRow(id: string) {
  const [row] = await db.query<{ consecutive_failures: number; disabled_at: Date | null; disabled_reason: string | null }>(
    'SELECT consecutive_failures, disabled_at, disabled_reason FROM subscribers WHERE id = $1', [id]);
  assert.ok(row);
  return row;
}

function health(maxConsecutiveFailures = 3) {
  return new EndpointHealth({
    db, mailDomain: 'example.jp', exchangeName: { ja: 'デモ取引所', en: 'Demo Exchange' }, subscribeUrl: SUBSCRIBE_URL,
    policy: { maxConsecutiveFailures, maxConsecutivePermanentFailures: 2 },
  });
}

const links = new SubscriberLinks(Buffer.alloc(32, 7), 'https://status.example.jp');

interface Received { headers: IncomingMessage['headers']; body: string }

async function receiver(): Promise<{ url: string; got: Received[]; status: number; close(): Promise<void> }> {
  const state = { got: [] as Received[], status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(state.status);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/status`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}

// ---------- webhook ----------

test('webhook: 200 → delivered, signed with the subscriber secret, Idempotency-Key of the delivery; a success resets the failure count', async () => {
  const r = await receiver();
  try {
    const sub = await addSubscriber('webhook', r.url, { secret: 'whsec-1', ownerEmail: 'owner@example.com' });
    await db.query('UPDATE subscribers SET consecutive_failures = 2 WHERE id = $1', [sub.id]);
    const sender = webhookSender({ links, health: health() });
    const d = delivery(incidentEvent('ev-w1'), sub);
    assert.deepEqual(await sender.send(d), { kind: 'delivered', status: 200 });
    const got = r.got[0];
    assert.ok(got);
    assert.equal(got.headers['idempotency-key'], d.idempotencyKey);
    assert.deepEqual(verifySignature('whsec-1', got.headers['x-kinkyu-signature'] as string, got.body, new Date()), { ok: true });
    const payload = JSON.parse(got.body) as { incident: { id: string }; meta: { unsubscribe: string } };
    assert.equal(payload.incident.id, 'inc1');
    assert.equal(payload.meta.unsubscribe, links.unsubscribeUrl(sub.id));
    assert.equal((await subscriberRow(sub.id)).consecutive_failures, 0);

    // A component change goes to webhooks as a component_update.
    assert.equal((await sender.send(delivery(componentEvent('ev-w2'), sub))).kind, 'delivered');
    assert.equal((JSON.parse(r.got[1]!.body) as { component_update: { new_status: string } }).component_update.new_status, 'partial_outage');
  } finally {
    await r.close();
  }
});

test('webhook: 500 is retried with the same Idempotency-Key; repeated failure disables the endpoint and mails its owner over SMTP', async () => {
  const r = await receiver();
  r.status = 500;
  try {
    const sub = await addSubscriber('webhook', r.url, { secret: 'whsec-2', ownerEmail: 'hook-owner@example.com', lang: 'ja' });
    const sender = webhookSender({ links, health: health(3) });
    const event = incidentEvent('ev-w3');
    const first = await sender.send(delivery(event, sub, 1));
    assert.ok(first.kind === 'retry' && first.status === 500 && !first.permanent, JSON.stringify(first));
    const second = await sender.send(delivery(event, sub, 2));
    assert.equal(second.kind, 'retry');
    assert.equal((await subscriberRow(sub.id)).consecutive_failures, 2);
    assert.equal((await subscriberRow(sub.id)).disabled_at, null);
    const third = await sender.send(delivery(event, sub, 3));
    assert.equal(third.kind, 'failed', 'the attempt that disables the endpoint ends the delivery');
    assert.equal(r.got.length, 3);
    assert.equal(new Set(r.got.map((g) => g.headers['idempotency-key'])).size, 1, 'every retry carries the same key');

    const row = await subscriberRow(sub.id);
    assert.ok(row.disabled_at, 'disabled');
    assert.match(row.disabled_reason ?? '', /3 consecutive failures.*HTTP 500/);

    const m = await smtp.waitFor((x) => x.to.includes('hook-owner@example.com'), 10_000);
    assert.match(m.subject, /Webhook.*停止/);
    assert.ok(m.text.includes(r.url), 'names the URL');
    assert.match(m.text, /3 回の配信が続けて失敗/);
    assert.match(m.text, /HTTP 500/);
    assert.ok(m.text.includes(SUBSCRIBE_URL), 'says where to subscribe again');

    // Disabled: later deliveries are skipped without a request, and no second mail is queued.
    const later = await sender.send(delivery(incidentEvent('ev-w4'), sub));
    assert.equal(later.kind, 'skip');
    assert.equal(r.got.length, 3);
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = 'hook-owner@example.com'`) as [{ n: number }];
    assert.equal(n, 1);
  } finally {
    await r.close();
  }
});

test('webhook: failures broken by a success do not disable; 410 Gone disables at once (English owner mail)', async () => {
  const r = await receiver();
  try {
    const sub = await addSubscriber('webhook', r.url, { secret: 's', ownerEmail: 'flaky@example.com' });
    const sender = webhookSender({ links, health: health(3) });
    for (const status of [500, 500, 200, 500, 500]) {
      r.status = status;
      await sender.send(delivery(incidentEvent(`ev-f${status}-${r.got.length}`), sub));
    }
    const row = await subscriberRow(sub.id);
    assert.equal(row.disabled_at, null);
    assert.equal(row.consecutive_failures, 2);

    const goneSub = await addSubscriber('webhook', `${r.url}/gone`, { secret: 's', ownerEmail: 'gone-owner@example.com', lang: 'en' });
    r.status = 410;
    const outcome = await sender.send(delivery(incidentEvent('ev-g1'), goneSub));
    assert.equal(outcome.kind, 'failed');
    const m = await smtp.waitFor((x) => x.to.includes('gone-owner@example.com'), 10_000);
    assert.match(m.subject, /Status webhook stopped/);
    assert.match(m.text, /no longer exists \(HTTP 410\)/);
  } finally {
    await r.close();
  }
});

// ---------- Slack ----------

test('Slack: an incident update is accepted by the stand-in; a component change is skipped; a dead webhook is disabled', async () => {
  const slack = await startSlackStandin();
  try {
    const sub = await addSubscriber('slack', slack.url, { ownerEmail: 'slack-owner@example.com', lang: 'en' });
    const sender = slackSender({ health: health() });
    assert.deepEqual(await sender.send(delivery(incidentEvent('ev-s1'), sub)), { kind: 'delivered', status: 200 });
    assert.equal(slack.received.length, 1);
    assert.match(slack.received[0]!.text ?? '', /Investigating/);
    assert.equal((await sender.send(delivery(componentEvent('ev-s2'), sub))).kind, 'skip');
    assert.equal(slack.received.length, 1);

    slack.rateLimitNext(1, 7);
    const limited = await sender.send(delivery(incidentEvent('ev-s3'), sub));
    assert.ok(limited.kind === 'retry' && limited.reason === 'rate_limited' && limited.retryAfterMs === 7000);

    // A removed webhook (404 no_service) is a permanent failure: disabled after two in a row (test policy).
    const dead = await addSubscriber('slack', slack.url.replace(/\/[^/]+$/, '/revoked'), { ownerEmail: 'slack-owner@example.com', lang: 'en' });
    assert.equal((await sender.send(delivery(incidentEvent('ev-s4'), dead))).kind, 'retry');
    assert.equal((await sender.send(delivery(incidentEvent('ev-s4'), dead))).kind, 'failed');
    const m = await smtp.waitFor((x) => x.to.includes('slack-owner@example.com'), 10_000);
    assert.match(m.subject, /Slack notification stopped/);
    assert.ok(!m.text.includes('revoked'), 'the secret path of a Slack webhook is not mailed');
  } finally {
    await slack.close();
  }
});

// ---------- X ----------

test('X: a long update is posted as a thread with OAuth accepted; a 429 half-way resumes without reposting', async () => {
  const x = await startXStandin(CREDS);
  try {
    const [xs] = await db.query<{ id: string }>(`SELECT id FROM subscribers WHERE channel = 'x'`);
    assert.equal(xs, undefined);
    await ensureXSubscriber(db, { configured: true, lang: 'ja', id: 'x-main', now: T0 });
    await ensureXSubscriber(db, { configured: true, lang: 'ja', id: 'x-other', now: T0 });
    const rows = await db.query<{ id: string }>(`SELECT id FROM subscribers WHERE channel = 'x' AND disabled_at IS NULL`);
    assert.deepEqual(rows.map((r) => r.id), ['x-main'], 'one X subscriber, however often the app starts');
    const sub: Subscriber = { id: 'x-main', channel: 'x', target: 'config', lang: 'ja', secret: null, ownerEmail: null };

    const long = '現物取引の注文処理で遅延が続いており、担当チームが原因を調べています。'.repeat(8);
    const sender = xSender({ db, credentials: CREDS, baseUrl: x.baseUrl });
    x.setRateLimit(1, Math.floor(Date.now() / 1000) + 900);
    const first = await sender.send(delivery(incidentEvent('ev-x1'), sub, 1, long));
    assert.ok(first.kind === 'retry' && first.reason === 'rate_limited', JSON.stringify(first));
    assert.ok(first.retryAfterMs !== null && first.retryAfterMs > 800_000, 'waits for the rate-limit reset');
    assert.equal(x.tweets.length, 1);

    x.setRateLimit(100, 0);
    const second = await sender.send(delivery(incidentEvent('ev-x1'), sub, 2, long));
    assert.deepEqual(second, { kind: 'delivered', status: 201 });
    assert.ok(x.tweets.length >= 3, `thread of ${x.tweets.length}`);
    assert.equal(new Set(x.tweets.map((t) => t.text)).size, x.tweets.length, 'no part posted twice');
    x.tweets.forEach((t, i) => {
      assert.ok(weightedLength(t.text) <= 280);
      assert.equal(t.inReplyTo, i === 0 ? null : x.tweets[i - 1]!.id);
    });
    assert.ok(x.tweets.at(-1)!.text.includes('https://status.example.jp/incidents/inc1'));
    assert.deepEqual(await postedThread(db, 'ev-x1'), x.tweets.map((t) => t.id));

    // The same delivery again (e.g. its lease ran out after the last post): nothing is posted.
    const posted = x.tweets.length;
    assert.equal((await sender.send(delivery(incidentEvent('ev-x1'), sub, 3, long))).kind, 'delivered');
    assert.equal(x.tweets.length, posted);
    // Component changes are not posted.
    assert.equal((await sender.send(delivery(componentEvent('ev-x2'), sub))).kind, 'skip');
    assert.ok(x.responses.every((s) => s !== 401), 'every request carried a valid OAuth signature');

    // A process started without credentials leaves the shared X row alone (the others keep posting).
    await ensureXSubscriber(db, { configured: false, lang: 'ja', id: 'unused', now: T0 });
    assert.equal((await db.query(`SELECT 1 FROM subscribers WHERE channel = 'x' AND disabled_at IS NULL`)).length, 1);
  } finally {
    await x.close();
  }
});

test('X: wrong credentials are a permanent failure and nothing is posted', async () => {
  const x = await startXStandin(CREDS);
  try {
    const sub: Subscriber = { id: 'x-bad', channel: 'x', target: 'config', lang: 'en', secret: null, ownerEmail: null };
    const sender = xSender({ db, credentials: { ...CREDS, accessTokenSecret: 'wrong' }, baseUrl: x.baseUrl });
    const outcome = await sender.send(delivery(incidentEvent('ev-x3'), sub));
    assert.ok(outcome.kind === 'retry' && outcome.status === 401 && outcome.permanent);
    assert.equal(x.tweets.length, 0);
  } finally {
    await x.close();
  }
});

test('X config: all four credentials or none', () => {
  assert.equal(parseXConfig({}).credentials, undefined);
  assert.equal(parseXConfig({}).apiUrl, 'https://api.x.com');
  const full = parseXConfig({ X_CONSUMER_KEY: 'a', X_CONSUMER_SECRET: 'b', X_ACCESS_TOKEN: 'c', X_ACCESS_TOKEN_SECRET: 'd', X_API_URL: 'http://127.0.0.1:9/' });
  assert.deepEqual(full.credentials, { consumerKey: 'a', consumerSecret: 'b', accessToken: 'c', accessTokenSecret: 'd' });
  assert.equal(full.apiUrl, 'http://127.0.0.1:9');
  assert.throws(() => parseXConfig({ X_CONSUMER_KEY: 'a' }), /X_CONSUMER_SECRET/);
});

test('webhook: a URL that now resolves to a private address is not called; the endpoint is disabled', async () => {
  const r = await receiver();
  try {
    const sub = await addSubscriber('webhook', r.url, { secret: 'whsec-ssrf', ownerEmail: 'owner@example.com' });
    // As in production: loopback is not an allowed destination (the receiver listens on 127.0.0.1).
    const sender = webhookSender({ links, health: health(), endpointPolicy: { allowLoopback: false } });
    const outcome = await sender.send(delivery(incidentEvent('ev-ssrf'), sub));
    assert.equal(outcome.kind, 'failed');
    assert.equal(r.got.length, 0, 'nothing was sent to the private address');
    assert.notEqual((await subscriberRow(sub.id)).disabled_at, null, 'the endpoint is disabled');
    // The same receiver is called when loopback is allowed (tests, demos): the refusal came from the address rule.
    const allowed = webhookSender({ links, health: health(), endpointPolicy: { allowLoopback: true } });
    const other = await addSubscriber('webhook', `${r.url}?second`, { secret: 'whsec-ok' });
    assert.equal((await allowed.send(delivery(incidentEvent('ev-ssrf-2'), other))).kind, 'delivered');
  } finally {
    await r.close();
  }
});

test('rate limiting (429) from Slack or a webhook is retried after Retry-After and never counts toward disabling', async () => {
  const slack = await startSlackStandin();
  const r = await receiver();
  try {
    const slackSub = await addSubscriber('slack', slack.url, { ownerEmail: 'busy-slack@example.com', lang: 'en' });
    const slackSend = slackSender({ health: health(3) });
    for (let i = 0; i < 5; i++) {
      slack.rateLimitNext(1, 30);
      const outcome = await slackSend.send(delivery(incidentEvent('ev-rl-s'), slackSub, i + 1));
      assert.ok(outcome.kind === 'retry' && outcome.reason === 'rate_limited' && outcome.retryAfterMs === 30_000, JSON.stringify(outcome));
    }
    assert.equal((await subscriberRow(slackSub.id)).consecutive_failures, 0);
    assert.equal((await subscriberRow(slackSub.id)).disabled_at, null);
    assert.deepEqual(await slackSend.send(delivery(incidentEvent('ev-rl-s'), slackSub, 6)), { kind: 'delivered', status: 200 });

    const hook = await addSubscriber('webhook', r.url, { secret: 'whsec-rl', ownerEmail: 'busy-hook@example.com' });
    const hookSend = webhookSender({ links, health: health(3) });
    r.status = 429;
    for (let i = 0; i < 5; i++) assert.equal((await hookSend.send(delivery(incidentEvent('ev-rl-w'), hook, i + 1))).kind, 'retry');
    assert.equal(r.got.length, 5);
    assert.equal((await subscriberRow(hook.id)).disabled_at, null, 'a busy endpoint stays enabled');
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address LIKE 'busy-%'`) as [{ n: number }];
    assert.equal(n, 0, 'no owner is told their endpoint stopped');
  } finally {
    await r.close();
    await slack.close();
  }
});

// ---------- email: hard bounces ----------

/** A real SMTP server that refuses some recipients at RCPT TO with the given reply, and accepts the rest. */
async function refusingSmtp(refusals: Map<string, { code: number; message: string }>): Promise<{ url: string; accepted: string[]; close(): Promise<void> }> {
  const accepted: string[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false, disableReverseLookup: true, closeTimeout: 50,
    onRcptTo(address, _session, callback) {
      const refusal = refusals.get(address.address);
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        accepted.push(...session.envelope.rcptTo.map((r) => r.address));
        callback(null);
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, accepted, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('email: an address the server keeps refusing (5xx) is disabled as bounced after three in a row; a delivery in between resets the count', async () => {
  const refusals = new Map<string, { code: number; message: string }>();
  const smtpServer = await refusingSmtp(refusals);
  const transport = createSmtpTransport(smtpServer.url)!;
  try {
    const sender = createEmailSender({
      transport, from: 'Kinkyu <status@example.jp>', mailDomain: 'example.jp', links, exchangeName: { ja: 'デモ取引所', en: 'Demo Exchange' },
      concurrency: 1, perSecond: 0, bounces: new EmailBounces({ db, limit: 3 }),
    });
    const gone = await addSubscriber('email', 'gone-user@example.net');
    const fine = await addSubscriber('email', 'fine-user@example.net');
    const policy = await addSubscriber('email', 'policy-user@example.net');
    const userUnknown = { code: 550, message: '5.1.1 <gone-user@example.net>: Recipient address rejected: User unknown' };
    refusals.set('gone-user@example.net', userUnknown);
    refusals.set('policy-user@example.net', { code: 554, message: '5.7.1 <policy-user@example.net>: Relay access denied' });
    const send = (sub: Subscriber, n: number) => sender.send(delivery(incidentEvent(`ev-b${n}`), sub));
    const disabled = async (sub: Subscriber) => (await db.query<{ disabled_at: Date | null; disabled_reason: string | null }>(
      'SELECT disabled_at, disabled_reason FROM subscribers WHERE id = $1', [sub.id]))[0]!;

    // Two bounces, then the mailbox works again for one update: the count starts over.
    for (const n of [1, 2]) assert.equal((await send(gone, n)).kind, 'failed');
    refusals.delete('gone-user@example.net');
    // As the fan-out claims it: with the count of bounces in a row read from the subscriber's row.
    const [counted] = await db.query<{ n: number }>('SELECT consecutive_permanent_failures AS n FROM subscribers WHERE id = $1', [gone.id]);
    assert.equal(Number(counted!.n), 2);
    assert.equal((await send({ ...gone, permanentFailures: Number(counted!.n) }, 3)).kind, 'delivered');
    refusals.set('gone-user@example.net', userUnknown);
    for (const n of [4, 5]) assert.equal((await send(gone, n)).kind, 'failed');
    assert.equal((await disabled(gone)).disabled_at, null, 'two bounces since the last delivery are not enough');
    const third = await send(gone, 6);
    assert.ok(third.kind === 'failed' && /SMTP 550/.test(third.detail), JSON.stringify(third));
    assert.ok((await disabled(gone)).disabled_at, 'disabled after the third bounce in a row');
    assert.equal((await disabled(gone)).disabled_reason, 'bounced');

    // Other addresses are untouched; a refusal about our relay (5.7.x policy) is not the address's fault.
    for (const n of [1, 2, 3, 4]) {
      assert.equal((await send(fine, 10 + n)).kind, 'delivered');
      assert.equal((await send(policy, 20 + n)).kind, 'failed');
    }
    assert.equal((await disabled(fine)).disabled_at, null);
    assert.equal((await disabled(policy)).disabled_at, null);
    assert.ok(smtpServer.accepted.includes('fine-user@example.net'));
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address LIKE '%-user@example.net'`) as [{ n: number }];
    assert.equal(n, 0, 'no mail about it to anyone');
  } finally {
    transport.close();
    await smtpServer.close();
  }
});
