import { test } from 'node:test';
import assert from 'node:assert/strict';
import twitter from 'twitter-text';

import type { Component } from '../src/domain/component.ts';
import type { Incident } from '../src/domain/incident.ts';
import { buildSnapshot, type PageSnapshot } from '../src/status/page/snapshot.ts';
import { renderApi } from '../src/status/api-v2.ts';
import { componentWebhookPayload, incidentWebhookPayload } from '../src/notify/channels/webhook-payload.ts';
import { verifySignature, signatureHeader } from '../src/notify/channels/webhook-signature.ts';
import {
  nextRetryDelay, recordAttempt, retryDelayFor, sendWebhook, shouldDisable, NO_FAILURES, RETRY_CAP_MS,
} from '../src/notify/channels/webhook-delivery.ts';
import { updateNotice } from '../src/notify/channels/update-notice.ts';
import { sendSlack, slackMessage, SLACK_LIMITS } from '../src/notify/channels/slack.ts';
import { composeXThread, weightedLength, xUpdateText } from '../src/notify/channels/x-compose.ts';
import { postXThread } from '../src/notify/channels/x-client.ts';
import { hmacSha1Signature, signatureBaseString } from '../src/notify/channels/oauth1.ts';
import { validateStatuspage, validateStatuspageWebhook } from './support/statuspage-schema.ts';
import { startSlackStandin } from './support/slack-standin.ts';
import { startXStandin } from './support/x-standin.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

const T0 = new Date('2026-03-02T01:00:00Z');
const PAGE = { id: 'kinkyu', nameJa: 'キンキュウ', nameEn: 'Kinkyu', url: 'https://status.example.jp', timeZone: 'Asia/Tokyo' };

function component(id: string, status: Component['status']): Component {
  return {
    id, groupId: null, isGroup: false, nameJa: `取引 ${id}`, nameEn: `Trading ${id}`, descriptionJa: null, descriptionEn: null,
    position: 1, status, showcase: true, onlyShowIfDegraded: false, startDate: null, createdAt: T0, updatedAt: T0,
  };
}

function incident(body: string): Incident {
  return {
    id: 'inc1', kind: 'incident', type: 'outage', severity: 'SEV2', nameJa: '現物取引の遅延', nameEn: 'Spot trading delays',
    status: 'investigating', impact: 'major', componentIds: ['spot'], createdAt: T0, updatedAt: T0, startedAt: T0,
    monitoringAt: null, resolvedAt: null, scheduledFor: null, scheduledUntil: null, autoTransition: false,
    updates: [{
      id: 'upd1', incidentId: 'inc1', status: 'investigating', visibility: 'public', bodyJa: body, bodyEn: 'We are investigating delays.',
      affectedComponents: [{ code: 'spot', name: 'Spot', old_status: 'operational', new_status: 'partial_outage' }],
      deliverNotifications: true, authorId: null, createdAt: T0, displayAt: T0, editedAt: null,
    }],
  };
}

function snapshot(body = '現物取引の注文処理に遅延が発生しています。原因を調査中です。'): PageSnapshot {
  return buildSnapshot({
    version: 1, changedAt: T0, loadedAt: T0, page: PAGE, components: [component('spot', 'partial_outage')],
    incidents: [incident(body)], history: new Map(),
  });
}

const META = { unsubscribeUrl: 'https://status.example.jp/subscriptions/webhook/abc/unsubscribe', generatedAt: T0 };

// ---------- webhook payload + signature ----------

test('incident webhook payload has Statuspage meta/page and an incident that validates as /api/v2 does', () => {
  const payload = incidentWebhookPayload(snapshot(), 'inc1', 'ja', META);
  assert.ok(payload);
  assert.deepEqual(Object.keys(payload).sort(), ['incident', 'meta', 'page']);
  assert.equal(payload.meta.unsubscribe, META.unsubscribeUrl);
  assert.match(payload.meta.documentation, /^https:\/\//);
  assert.deepEqual(payload.page, { id: 'kinkyu', status_indicator: 'major', status_description: '大規模な障害が発生しています' });
  // The whole body as Statuspage's webhook schema has it; its incident is /api/v2's plus the webhook's fields.
  assert.deepEqual(validateStatuspageWebhook(payload), []);
  const api = (renderApi('incidents', snapshot(), 'ja') as { incidents: Array<Record<string, unknown>> }).incidents[0]!;
  for (const [key, value] of Object.entries(api)) {
    if (key !== 'incident_updates') assert.deepEqual(payload.incident?.[key], value, `incident.${key} as /api/v2 has it`);
  }
  assert.equal(payload.incident?.['backfilled'], false);
  assert.equal(payload.incident?.['postmortem_body'], null);
  assert.equal(payload.incident?.['scheduled_for'], null);
  const updates = payload.incident?.['incident_updates'] as Array<{ id: string; body: string; wants_twitter_update: boolean }>;
  assert.equal(updates[0]?.id, 'upd1');
  assert.equal(updates[0]?.wants_twitter_update, false);
  assert.equal(incidentWebhookPayload(snapshot(), 'nope', 'ja', META), null);
});

test('component webhook payload carries component_update and a /api/v2 component', () => {
  const change = { id: 'chg1', componentId: 'spot', oldStatus: 'operational' as const, newStatus: 'partial_outage' as const, createdAt: T0 };
  const payload = componentWebhookPayload(snapshot(), change, 'en', META);
  assert.ok(payload);
  assert.deepEqual(payload.component_update, {
    id: 'chg1', component_id: 'spot', component_type: 'Component', old_status: 'operational', new_status: 'partial_outage', created_at: '2026-03-02T10:00:00.000+09:00',
  });
  assert.deepEqual(validateStatuspageWebhook(payload), []);
  const fullPage = (renderApi('status', snapshot(), 'en') as { page: unknown }).page;
  assert.deepEqual(validateStatuspage('components', { page: fullPage, components: [payload.component] }), []);
  assert.equal(payload.component?.['name'], 'Trading spot');
});

test('an incident with a published postmortem: the webhook carries it in postmortem_* (Statuspage\'s webhook fields)', () => {
  const T1 = new Date(T0.getTime() + 3_600_000);
  const T2 = new Date(T0.getTime() + 86_400_000);
  const base = incident('原因を調査中です。');
  const first = base.updates[0]!;
  const resolved: Incident = {
    ...base, status: 'postmortem', resolvedAt: T1, updatedAt: T2,
    updates: [
      { ...first, id: 'upd3', status: 'postmortem', bodyJa: '原因は注文キューの滞留でした。', bodyEn: 'The cause was a stuck order queue.', createdAt: T2, displayAt: T2, affectedComponents: [] },
      { ...first, id: 'upd2', status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'Resolved.', createdAt: T1, displayAt: T1, affectedComponents: [] },
      first,
    ],
  };
  const s = buildSnapshot({ version: 2, changedAt: T2, loadedAt: T2, page: PAGE, components: [component('spot', 'operational')], incidents: [resolved], history: new Map() });
  const payload = incidentWebhookPayload(s, 'inc1', 'en', META);
  assert.ok(payload);
  assert.deepEqual(validateStatuspageWebhook(payload), []);
  assert.equal(payload.incident?.['postmortem_body'], 'The cause was a stuck order queue.');
  assert.equal(payload.incident?.['postmortem_published_at'], '2026-03-03T10:00:00.000+09:00');
  assert.equal(payload.incident?.['postmortem_notified_subscribers'], true);
});

test('signature verifies over the raw body; a tampered body, wrong secret or stale timestamp fails', () => {
  const body = JSON.stringify(incidentWebhookPayload(snapshot(), 'inc1', 'ja', META));
  const header = signatureHeader('s3cret', body, T0);
  assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.deepEqual(verifySignature('s3cret', header, body, T0), { ok: true });
  assert.deepEqual(verifySignature('s3cret', header, body.replace('遅延', '復旧'), T0), { ok: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature('other', header, body, T0), { ok: false, reason: 'mismatch' });
  assert.deepEqual(verifySignature('s3cret', header, body, new Date(T0.getTime() + 10 * 60_000)), { ok: false, reason: 'stale' });
  assert.deepEqual(verifySignature('s3cret', 'garbage', body, T0), { ok: false, reason: 'malformed' });
  // During a rotation both secrets sign; either verifies.
  const rotated = signatureHeader(['old', 'new'], body, T0);
  assert.deepEqual(verifySignature('new', rotated, body, T0), { ok: true });
});

// ---------- webhook sender against a real receiver ----------

const webhookRequest = (url: string) => ({
  url, body: JSON.stringify(incidentWebhookPayload(snapshot(), 'inc1', 'ja', META)), secret: 'whsec', updateId: 'upd1', subscriberId: 'sub9',
});

test('webhook sender: 200 → delivered, with a verifiable signature and the idempotency key', async () => {
  const r = await startWebhookReceiver({ status: 200 });
  try {
    const outcome = await sendWebhook(webhookRequest(r.url));
    assert.deepEqual(outcome, { kind: 'delivered', status: 200 });
    const got = r.got[0];
    assert.ok(got);
    assert.equal(got.headers['idempotency-key'], 'upd1:sub9');
    assert.match(String(got.headers['content-type']), /^application\/json/);
    assert.deepEqual(verifySignature('whsec', got.headers['x-kinkyu-signature'] as string, got.body, new Date()), { ok: true });
    assert.equal((JSON.parse(got.body) as { incident: { id: string } }).incident.id, 'inc1');
  } finally {
    await r.close();
  }
});

test('webhook sender: 500 → retry honouring Retry-After; 404 → permanent; 410 → disable at once', async () => {
  const r500 = await startWebhookReceiver({ status: 500, retryAfter: '120' });
  const r404 = await startWebhookReceiver({ status: 404 });
  const r410 = await startWebhookReceiver({ status: 410 });
  const r302 = await startWebhookReceiver({ status: 302 });
  try {
    const o500 = await sendWebhook(webhookRequest(r500.url));
    assert.equal(o500.kind, 'retry');
    assert.ok(o500.kind === 'retry' && !o500.permanent && o500.reason === 'server_error' && o500.retryAfterMs === 120_000);
    assert.ok(retryDelayFor(o500, 1, () => 0) >= 120_000, 'Retry-After wins over a shorter back-off');
    const o404 = await sendWebhook(webhookRequest(r404.url));
    assert.ok(o404.kind === 'retry' && o404.permanent && !o404.gone);
    const o302 = await sendWebhook(webhookRequest(r302.url));
    assert.ok(o302.kind === 'retry' && o302.reason === 'redirect', 'a redirect is a failure, not followed');
    const o410 = await sendWebhook(webhookRequest(r410.url));
    assert.equal(shouldDisable(recordAttempt(NO_FAILURES, o410)), true);
  } finally {
    await Promise.all([r500.close(), r404.close(), r410.close(), r302.close()]);
  }
});

test('webhook sender: a receiver that never answers times out → retry', async () => {
  const r = await startWebhookReceiver('hang');
  try {
    const outcome = await sendWebhook({ ...webhookRequest(r.url), timeoutMs: 300 });
    assert.ok(outcome.kind === 'retry' && outcome.reason === 'timeout' && outcome.status === null, JSON.stringify(outcome));
  } finally {
    await r.close();
  }
});

test('webhook sender: nothing listening → network retry; a non-http URL → permanent without a request', async () => {
  const r = await startWebhookReceiver({ status: 200 });
  const url = r.url;
  await r.close();
  const down = await sendWebhook(webhookRequest(url));
  assert.ok(down.kind === 'retry' && down.reason === 'network' && !down.permanent);
  const bad = await sendWebhook(webhookRequest('file:///etc/passwd'));
  assert.ok(bad.kind === 'retry' && bad.permanent);
});

test('back-off grows, is jittered and capped; repeated failure disables, a success resets', () => {
  assert.equal(nextRetryDelay(1, () => 1), 30_000);
  assert.equal(nextRetryDelay(1, () => 0), 15_000);
  assert.equal(nextRetryDelay(3, () => 1), 120_000);
  assert.equal(nextRetryDelay(50, () => 1), RETRY_CAP_MS);
  assert.ok(nextRetryDelay(50, () => 0) >= RETRY_CAP_MS / 2);
  const timeout = { kind: 'retry', status: null, reason: 'timeout', permanent: false, gone: false, retryAfterMs: null, detail: '' } as const;
  const notFound = { ...timeout, status: 404, reason: 'client_error', permanent: true } as const;
  let rec = NO_FAILURES;
  for (let i = 0; i < 14; i++) rec = recordAttempt(rec, timeout);
  assert.equal(shouldDisable(rec), false);
  assert.equal(shouldDisable(recordAttempt(rec, timeout)), true);
  assert.equal(shouldDisable(recordAttempt(rec, { kind: 'delivered', status: 204 })), false);
  rec = NO_FAILURES;
  for (let i = 0; i < 7; i++) rec = recordAttempt(rec, notFound);
  assert.equal(shouldDisable(rec), false);
  assert.equal(shouldDisable(recordAttempt(rec, notFound)), true, 'permanent failures disable sooner');
});

// ---------- Slack ----------

test('Slack: a Block Kit message is accepted by the stand-in', async () => {
  const slack = await startSlackStandin();
  try {
    const notice = updateNotice(snapshot(), 'inc1', 'upd1', 'ja');
    assert.ok(notice);
    const outcome = await sendSlack(slack.url, slackMessage(notice));
    assert.deepEqual(outcome, { kind: 'delivered', status: 200 });
    const msg = slack.received[0];
    assert.ok(msg?.blocks);
    assert.deepEqual(msg.blocks.map((b) => b['type']), ['header', 'section', 'context', 'actions']);
    assert.match(msg.text ?? '', /調査中/);
    assert.match(JSON.stringify(msg.blocks), /https:\/\/status\.example\.jp\/incidents\/inc1/);
  } finally {
    await slack.close();
  }
});

test('Slack: over-long text and hostile markup are truncated and escaped, and still accepted', async () => {
  const slack = await startSlackStandin();
  try {
    const long = `<!channel> ${'障害の詳細 & 対応状況。'.repeat(400)}`;
    const s = snapshot(long);
    s.incidents[0]!.nameJa = '名'.repeat(400);
    const notice = updateNotice(s, 'inc1', 'upd1', 'ja');
    assert.ok(notice);
    const message = slackMessage(notice);
    const outcome = await sendSlack(slack.url, message);
    assert.equal(outcome.kind, 'delivered', JSON.stringify(outcome));
    const [header, section] = slack.received[0]!.blocks! as Array<{ text: { text: string } }>;
    assert.ok(header!.text.text.length <= SLACK_LIMITS.headerText && header!.text.text.endsWith('…'));
    assert.ok(section!.text.text.length <= SLACK_LIMITS.sectionText && section!.text.text.endsWith('…'));
    assert.ok(!section!.text.text.includes('<!channel>'), 'no @channel ping from staff text');
    assert.doesNotMatch(section!.text.text, /&(?!amp;|lt;|gt;)/, 'no half-cut escapes');
  } finally {
    await slack.close();
  }
});

test('Slack stand-in refuses what Slack refuses, and the sender classifies it', async () => {
  const slack = await startSlackStandin();
  try {
    const tooLong = { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] };
    const o = await sendSlack(slack.url, tooLong);
    assert.ok(o.kind === 'retry' && o.permanent && o.status === 400 && o.detail.includes('invalid_blocks'));
    const empty = await sendSlack(slack.url, { text: '', blocks: [] });
    assert.ok(empty.kind === 'retry' && empty.detail.includes('no_text'));
    slack.rateLimitNext(1, 30);
    const limited = await sendSlack(slack.url, { text: 'hi', blocks: [] });
    assert.ok(limited.kind === 'retry' && limited.reason === 'rate_limited' && limited.retryAfterMs === 30_000);
    assert.equal(slack.received.length, 0);
  } finally {
    await slack.close();
  }
});

// ---------- X ----------

const CREDS = { consumerKey: 'ck-kinkyu', consumerSecret: 'cs-secret', accessToken: '123-at', accessTokenSecret: 'ats-secret' };

test('OAuth 1.0a signature matches the known answer from X documentation', () => {
  const url = new URL('https://api.twitter.com/1.1/statuses/update.json?include_entities=true');
  const base = signatureBaseString('POST', url, [
    ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
    ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
    ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '1318622958'],
    ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
    ['oauth_version', '1.0'],
  ]);
  const sig = hmacSha1Signature(base, 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw', 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE');
  assert.equal(sig, 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
});

test('X: a short Japanese update is one post with the link, posted to the stand-in', async () => {
  const x = await startXStandin(CREDS);
  try {
    const notice = updateNotice(snapshot(), 'inc1', 'upd1', 'ja');
    assert.ok(notice);
    const parts = composeXThread(xUpdateText(notice), notice.url);
    assert.equal(parts.length, 1);
    assert.ok(parts[0]!.endsWith(notice.url));
    assert.doesNotMatch(parts[0]!, /\(1\/1\)/);
    const result = await postXThread({ credentials: CREDS, baseUrl: x.baseUrl }, parts);
    assert.ok(result.ok);
    assert.equal(x.tweets.length, 1);
    assert.equal(x.tweets[0]!.text, parts[0]);
  } finally {
    await x.close();
  }
});

test('X: a long update becomes a numbered thread, each part ≤ 280 weighted, posted as replies in order', async () => {
  const x = await startXStandin(CREDS);
  try {
    const sentence = '現物取引の注文処理で遅延が続いており、担当チームが原因を調べています。';
    const body = `${sentence.repeat(6)}詳細は https://example.jp/help/delay-guide-with-a-very-long-path-name をご覧ください。${'区切りのない長い文章'.repeat(40)}。Withdrawals of BTC are paused! 😀👨‍👩‍👧 ${sentence}`;
    const notice = updateNotice(snapshot(body), 'inc1', 'upd1', 'ja');
    assert.ok(notice);
    const parts = composeXThread(xUpdateText(notice), notice.url);
    assert.ok(parts.length >= 3, `thread of ${parts.length}`);
    parts.forEach((p, i) => {
      assert.ok(weightedLength(p) <= 280, `part ${i + 1} weighs ${weightedLength(p)}`);
      assert.ok(p.endsWith(`(${i + 1}/${parts.length})`), p);
      assert.ok(!/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/.test(p.replace(/ \(\d+\/\d+\)$/, '')), 'no split surrogate pair');
    });
    const all = parts.join('\n');
    assert.ok(all.includes('https://example.jp/help/delay-guide-with-a-very-long-path-name'), 'the URL is never cut');
    assert.ok(all.includes('👨‍👩‍👧'), 'an emoji sequence stays whole');
    assert.ok(parts.at(-1)!.includes(notice.url), 'the incident link is in the last post');
    // Sentence-boundary splits: the first part ends with a full sentence.
    assert.match(parts[0]!, /。 \(1\/\d+\)$/);

    const result = await postXThread({ credentials: CREDS, baseUrl: x.baseUrl }, parts);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(x.tweets.length, parts.length);
    x.tweets.forEach((t, i) => {
      assert.equal(t.text, parts[i]);
      assert.equal(t.inReplyTo, i === 0 ? null : x.tweets[i - 1]!.id);
    });
    assert.equal(twitter.parseTweet(x.tweets[0]!.text).valid, true);
  } finally {
    await x.close();
  }
});

test('X: wrong credentials → 401, handled as a permanent failure; nothing posted', async () => {
  const x = await startXStandin(CREDS);
  try {
    const result = await postXThread({ credentials: { ...CREDS, consumerSecret: 'wrong' }, baseUrl: x.baseUrl }, ['テスト']);
    assert.ok(!result.ok);
    assert.ok(result.outcome.kind === 'retry' && result.outcome.status === 401 && result.outcome.permanent);
    assert.equal(x.tweets.length, 0);
  } finally {
    await x.close();
  }
});

test('X: the stand-in refuses a post over 280 weighted characters like X does', async () => {
  const x = await startXStandin(CREDS);
  try {
    const result = await postXThread({ credentials: CREDS, baseUrl: x.baseUrl }, ['あ'.repeat(141)]);
    assert.ok(!result.ok && result.outcome.kind === 'retry' && result.outcome.status === 400);
    assert.equal(x.tweets.length, 0);
  } finally {
    await x.close();
  }
});

test('X: 429 surfaces x-rate-limit-reset as retry-after, and a retry resumes the thread without reposting', async () => {
  const x = await startXStandin(CREDS);
  try {
    const parts = ['一つ目 (1/3)', '二つ目 (2/3)', '三つ目 (3/3)'];
    const resetAt = Math.floor(Date.now() / 1000) + 900;
    x.setRateLimit(1, resetAt);
    const first = await postXThread({ credentials: CREDS, baseUrl: x.baseUrl }, parts);
    assert.ok(!first.ok);
    assert.equal(first.ids.length, 1);
    assert.ok(first.outcome.kind === 'retry' && first.outcome.reason === 'rate_limited');
    assert.ok(first.outcome.retryAfterMs !== null && first.outcome.retryAfterMs > 800_000 && first.outcome.retryAfterMs <= 900_000);
    x.setRateLimit(10, resetAt);
    const second = await postXThread({ credentials: CREDS, baseUrl: x.baseUrl }, parts, first.ids);
    assert.ok(second.ok);
    assert.deepEqual(x.tweets.map((t) => t.text), parts);
    assert.equal(x.tweets[2]!.inReplyTo, x.tweets[1]!.id);
  } finally {
    await x.close();
  }
});
