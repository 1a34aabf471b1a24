/**
 * End to end through HTTP: people subscribe on the public page (email with double opt-in, a webhook with an owner
 * who confirms, a Slack incoming webhook), the exchange's X account is configured, staff declare an incident —
 * and the fan-out delivers that update once to each: a real SMTP server, a real HTTP receiver, and the Slack and X
 * stand-ins. The staff incident page then shows the delivery progress.
 */
import { openMigratedDb } from './support/test-db.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';

import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { parseSubscriptionConfig } from '../src/notify/subscriptions/config.ts';
import { parseFanoutConfig } from '../src/notify/fanout/config.ts';
import { verifySignature } from '../src/notify/channels/webhook-signature.ts';
import { eventually, makeStaff, StaffClient, startApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail } from './support/smtp.ts';
import { startSlackStandin } from './support/slack-standin.ts';
import { startXStandin } from './support/x-standin.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

const CREDS = { consumerKey: 'ck-e2e', consumerSecret: 'cs-e2e', accessToken: '42-at', accessTokenSecret: 'ats-e2e' };

/** The demo page's components and history, its own past updates counted as already told (not news to anyone). */
async function demoDbAlreadyTold(): Promise<Db> {
  const db = await openMigratedDb();
  await migrate(db);
  await seedDemoData(db);
  await db.query('UPDATE notification_events SET expanded_at = now() WHERE expanded_at IS NULL');
  return db;
}

/** The ids of the page's components one can subscribe to (not the groups). */
async function leafComponentIds(baseUrl: string): Promise<string[]> {
  const body = (await (await fetch(`${baseUrl}/api/v2/components.json`)).json()) as { components: Array<{ id: string; group: boolean }> };
  return body.components.filter((c) => !c.group).map((c) => c.id);
}

async function subscribeForm(baseUrl: string, fields: Record<string, string>, components: string[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams(fields);
  for (const id of components) form.append('components', id);
  const res = await fetch(`${baseUrl}/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Opens the confirmation link from a mail and presses the button (a POST), as the recipient would. */
async function confirmFrom(baseUrl: string, mail: ReceivedMail): Promise<void> {
  const path = /\/subscriptions\/confirm\/[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  assert.ok(path, `a confirmation link in: ${mail.text}`);
  const page = await fetch(baseUrl + path);
  assert.equal(page.status, 200);
  const res = await fetch(baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  assert.equal(res.status, 200, await res.text());
}

test('subscribe → confirm → staff posts an update → email, webhook, Slack and X each receive it once; the console shows progress', async () => {
  const smtp = await startSmtpServer();
  const hook = await startWebhookReceiver({ status: 204, body: '' }, '/kinkyu-hook');
  const slack = await startSlackStandin();
  const x = await startXStandin(CREDS);
  const slackPrefix = slack.url.slice(0, slack.url.indexOf('/services/') + '/services/'.length);
  const db = await demoDbAlreadyTold();
  const app = await startApp({
    db,
    demo: false,
    config: {
      smtpUrl: smtp.url,
      mailSender: { pollMs: 50 },
      subscriptions: { ...parseSubscriptionConfig({}), allowLocalWebhooks: true, slackWebhookPrefix: slackPrefix },
      x: { apiUrl: x.baseUrl, credentials: CREDS, lang: 'ja' },
    },
  });
  try {
    const components = await leafComponentIds(app.baseUrl);
    assert.ok(components.length > 0);
    const subscribe = (fields: Record<string, string>) => subscribeForm(app.baseUrl, fields, components);

    // Email: double opt-in.
    const email = await subscribe({ channel: 'email', email: 'reader@example.com', lang: 'ja' });
    assert.equal(email.status, 202, JSON.stringify(email.body));
    await confirmFrom(app.baseUrl, await smtp.waitFor((m) => m.to.includes('reader@example.com'), 10_000));

    // Webhook with an owner, who confirms; the secret is shown once, in the answer.
    const webhook = await subscribe({ channel: 'webhook', url: hook.url, ownerEmail: 'hook-owner@example.com', lang: 'en' });
    assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
    const secret = webhook.body.secret as string;
    assert.match(secret, /^whsec_/);
    await confirmFrom(app.baseUrl, await smtp.waitFor((m) => m.to.includes('hook-owner@example.com'), 10_000));

    // Slack without an owner: active at once.
    const slackSub = await subscribe({ channel: 'slack', url: slack.url, lang: 'ja' });
    assert.equal(slackSub.status, 201, JSON.stringify(slackSub.body));

    // Staff declare an incident: its first update is what everyone hears.
    const staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
    const name = '出金処理の遅延 E2E';
    const declared = await staff.postJson('/staff/incidents', {
      type: 'outage', severity: 'SEV2', status: 'investigating', nameJa: name, nameEn: 'Withdrawal delays E2E',
      bodyJa: '暗号資産の出金処理に遅れが出ています。原因を調査しています。', bodyEn: 'Crypto withdrawals are delayed. We are investigating.',
    });
    const { incidentId } = (await declared.json()) as { incidentId: string };
    assert.equal(declared.status, 200);

    await eventually(async () => {
      await app.fanout.drain();
      return hook.got.length >= 1 && slack.received.length >= 1 && x.tweets.length >= 1;
    }, 20_000, 100);
    const update = await smtp.waitFor((m) => m.to.includes('reader@example.com') && m.subject.includes(name), 10_000);

    // Webhook: Statuspage shape, signed with the subscriber's secret, English as chosen.
    const got = hook.got[0]!;
    assert.deepEqual(verifySignature(secret, got.headers['x-kinkyu-signature'] as string, got.body, new Date()), { ok: true });
    const payload = JSON.parse(got.body) as { incident: { id: string; name: string } };
    assert.equal(payload.incident.id, incidentId);
    assert.equal(payload.incident.name, 'Withdrawal delays E2E');
    assert.ok(got.headers['idempotency-key'], 'an idempotency key for the receiver');

    // Slack and X: the update as a short message and a post; the X post carries the incident's link.
    assert.match(slack.received[0]!.text ?? '', /出金処理の遅延 E2E/);
    assert.match(x.tweets[0]!.text, /【調査中】出金処理の遅延 E2E/);
    assert.ok(x.tweets.at(-1)!.text.includes(incidentId), 'the thread links to the incident');
    assert.match(update.text, /出金処理に遅れ/);

    // Once each: more sweeps send nothing more.
    await app.fanout.drain();
    await new Promise((r) => setTimeout(r, 300));
    await app.fanout.drain();
    assert.equal(hook.got.length, 1);
    assert.equal(slack.received.length, 1);
    assert.equal(x.tweets.filter((t) => t.inReplyTo === null).length, 1, 'one X thread');
    assert.equal(smtp.messages.filter((m) => m.to.includes('reader@example.com') && m.subject.includes(name)).length, 1);

    // The staff incident page shows what went where.
    const page = await (await staff.get(`/staff/incidents/${incidentId}`)).text();
    const table = /<table class="delivery-progress"[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
    for (const channel of ['メール', 'Webhook', 'Slack', 'X']) {
      assert.match(table, new RegExp(`<th scope="row">${channel}</th><td class="" data-count="sent">1</td><td class="" data-count="pending">0</td><td class="" data-count="failed">0</td>`), `${channel} row in ${table}`);
    }
  } finally {
    await app.stop();
    await db.close();
    await Promise.all([hook.close(), slack.close(), x.close(), smtp.stop()]);
  }
});

test('a webhook that keeps failing is retried by the fan-out, then disabled, and its owner is mailed', async () => {
  const smtp = await startSmtpServer();
  const attempts: Array<string | undefined> = [];
  const failing: Server = createServer((req, res) => {
    attempts.push(req.headers['idempotency-key'] as string | undefined);
    req.resume();
    req.on('end', () => {
      res.writeHead(503);
      res.end('down for maintenance');
    });
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(failing.address() as { port: number }).port}/hook`;
  const db = await demoDbAlreadyTold();
  const app = await startApp({
    db,
    demo: false,
    config: {
      smtpUrl: smtp.url,
      mailSender: { pollMs: 50 },
      subscriptions: { ...parseSubscriptionConfig({}), allowLocalWebhooks: true },
      // Retries within milliseconds instead of minutes; everything else as in production.
      fanout: { ...parseFanoutConfig({}), retryBaseMs: 5, retryMaxMs: 20, pollMs: 50 },
    },
  });
  try {
    const components = await leafComponentIds(app.baseUrl);
    const sub = await subscribeForm(app.baseUrl, { channel: 'webhook', url, ownerEmail: 'owner@example.com', lang: 'ja' }, components);
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    await confirmFrom(app.baseUrl, await smtp.waitFor((m) => m.to.includes('owner@example.com'), 10_000));

    const staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
    const declared = await staff.postJson('/staff/incidents', {
      type: 'outage', severity: 'SEV3', status: 'investigating', nameJa: '入金反映の遅延', bodyJa: '入金の反映が遅れています。',
    });
    assert.equal(declared.status, 200);
    const { incidentId } = (await declared.json()) as { incidentId: string };

    const mail = await smtp.waitFor((m) => m.to.includes('owner@example.com') && /停止/.test(m.subject), 30_000);
    assert.ok(mail.text.includes(url), 'the owner is told which URL');
    assert.match(mail.text, /HTTP 503/);
    assert.ok(mail.text.includes(`${app.baseUrl}/subscribe`), 'and where to subscribe again');

    assert.equal(attempts.length, 15, 'retried until the endpoint was disabled (15 failures in a row)');
    assert.equal(new Set(attempts).size, 1, 'every retry carried the same Idempotency-Key');
    const [row] = await app.db.query<{ disabled_at: Date | null }>('SELECT disabled_at FROM subscribers WHERE id = $1', [sub.body.id]);
    assert.ok(row?.disabled_at);

    const page = await (await staff.get(`/staff/incidents/${incidentId}`)).text();
    assert.match(page, /<th scope="row">Webhook<\/th><td class="" data-count="sent">0<\/td><td class="" data-count="pending">0<\/td><td class="delivery-failed" data-count="failed">1<\/td>/);

    // A later update is not sent to the disabled endpoint.
    const before = attempts.length;
    await staff.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'identified', visibility: 'public', bodyJa: '原因を特定しました。' });
    await app.fanout.drain();
    assert.equal(attempts.length, before);
  } finally {
    await app.stop();
    await db.close();
    await smtp.stop();
    await new Promise<void>((r) => { failing.closeAllConnections(); failing.close(() => r()); });
  }
});
