/**
 * Public subscriptions through HTTP, with a real SMTP server: email double opt-in (and its expiry), no address
 * enumeration, RFC 8058 one-click unsubscribe, the manage link, webhook SSRF refusals and the test flag, the Slack
 * URL prefix, hostile input refused with nothing stored, the staff list, and /subscribe in a phone-sized browser.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { eventually, makeStaff, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium } from './support/browser.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { startSlackStandin, type SlackStandin } from './support/slack-standin.ts';
import { emailFactory, plain } from './support/text.ts';
import { parseSubscriptionConfig } from '../src/notify/subscriptions/config.ts';
import { SubscriberLinks } from '../src/notify/subscriptions/links.ts';
import { assertPublicHost } from '../src/notify/subscriptions/endpoint-check.ts';
import { loadLinkKey } from '../src/desk/ticket-links.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';
import { maskSecrets } from '../src/server.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';

let smtp: SmtpTestServer;
let app: RunningApp;
let now = new Date('2026-11-25T10:00:00+09:00');
let links: SubscriberLinks;
const email = emailFactory();

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({
    clock: () => now,
    config: {
      smtpUrl: smtp.url,
      mailSender: { pollMs: 50, backoffBaseMs: 50 },
      subscriptions: { ...parseSubscriptionConfig({}), rateLimitPerIp: 10_000 },
    },
  });
  links = new SubscriberLinks(await loadLinkKey(app.db, app.config.secret), app.config.publicUrl);
});
after(async () => {
  await app?.stop();
  await smtp?.stop();
});

type Fields = Record<string, string | string[]>;

function form(fields: Fields): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
  return body.toString();
}

function post(base: string, path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + path, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

const leafIds = (a: RunningApp) => a.site.current()!.components.filter((c) => !c.isGroup).map((c) => c.id);
const subscribeEmail = (address: string, extra: Fields = {}, base = app.baseUrl) =>
  post(base, '/subscribe', form({ channel: 'email', email: address, components: leafIds(app), lang: 'ja', ...extra }));

async function rowCount(a: RunningApp = app): Promise<number> {
  const [row] = await a.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscribers');
  return Number(row!.n);
}

async function rowFor(address: string) {
  const [row] = await app.db.query<{ id: string; confirmed_at: Date | null; unsubscribed_at: Date | null; disabled_at: Date | null; components: unknown; lang: string; target: string }>(
    `SELECT id, confirmed_at, unsubscribed_at, disabled_at, components, lang, target FROM subscribers WHERE target_key = $1 ORDER BY created_at DESC LIMIT 1`,
    [address.toLowerCase()],
  );
  return row;
}

const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
const confirmToken = (m: ReceivedMail) => /\/subscriptions\/confirm\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1] ?? '';

async function subscribedAndConfirmed(address: string): Promise<string> {
  assert.equal((await subscribeEmail(address)).status, 200);
  const mail = await smtp.waitFor((m) => m.to.includes(address) && confirmToken(m) !== '');
  const res = await post(app.baseUrl, `/subscriptions/confirm/${confirmToken(mail)}`, '');
  assert.equal(res.status, 200);
  const row = await rowFor(address);
  assert.ok(row?.confirmed_at);
  return row.id;
}

test('subscriber links never reach the logs', () => {
  assert.equal(maskSecrets('/subscriptions/abc123/unsubscribe/SECRETTOKEN'), '/subscriptions/abc123/unsubscribe/…');
  assert.equal(maskSecrets('/subscriptions/abc123/manage/SECRETTOKEN?lang=en'), '/subscriptions/abc123/manage/…?lang=en');
  assert.equal(maskSecrets('/subscriptions/confirm/SECRETTOKEN'), '/subscriptions/confirm/…');
});

describe('the status page', () => {
  test('links to /subscribe in both languages (absolute, so the static mirror links to the live server)', async () => {
    const ja = await (await fetch(`${app.baseUrl}/`)).text();
    assert.ok(ja.includes(`<a href="${app.baseUrl}/subscribe">更新を受け取る</a>`), 'ja link');
    const en = await (await fetch(`${app.baseUrl}/?lang=en`)).text();
    assert.ok(en.includes(`<a href="${app.baseUrl}/subscribe?lang=en">Subscribe to updates</a>`), 'en link');
  });

  test('/subscribe lists every component under its group, all ticked, in Japanese by default and English on request', async () => {
    const ja = await (await fetch(`${app.baseUrl}/subscribe`)).text();
    assert.match(ja, /<html lang="ja">/);
    assert.match(ja, /<h1>更新を受け取る<\/h1>/);
    for (const id of leafIds(app)) assert.match(ja, new RegExp(`name="components" value="${id}" checked`));
    const groups = app.site.current()!.components.filter((c) => c.isGroup);
    for (const g of groups) assert.ok(plain(ja).includes(g.nameJa), `group ${g.nameJa} is a legend`);
    assert.doesNotMatch(ja, /<script/i);
    const en = await (await fetch(`${app.baseUrl}/subscribe?lang=en&channel=webhook`)).text();
    assert.match(en, /<html lang="en">/);
    assert.match(en, /Webhook URL/);
    assert.match(en, /aria-current="page">Webhook</);
  });
});

describe('email: double opt-in', () => {
  test('subscribe → confirmation mail → the GET only shows a button → POST confirms → active', async () => {
    const address = email('optin');
    const before = await rowCount();
    const res = await subscribeEmail(address, { lang: 'en' });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Check your inbox|確認メールをご確認ください/);
    assert.equal(await rowCount(), before + 1);
    const pending = await rowFor(address);
    assert.equal(pending?.confirmed_at, null, 'not active before the address confirms');
    assert.equal(pending?.components, null, 'every component chosen = everything, future ones included');

    const mail = await smtp.waitFor((m) => m.to.includes(address));
    assert.match(mail.subject, /please confirm/);
    assert.match(mail.messageId, /^<[^@\s]+@example\.com>$/);
    const token = confirmToken(mail);
    assert.ok(token.length >= 40);
    const [stored] = await app.db.query<{ confirm_token_hash: string }>('SELECT confirm_token_hash FROM subscribers WHERE id = $1', [pending.id]);
    assert.notEqual(stored!.confirm_token_hash, token, 'only a hash of the token is stored');

    // A mail scanner opening the link confirms nothing.
    const page = await fetch(`${app.baseUrl}/subscriptions/confirm/${token}`);
    assert.equal(page.status, 200);
    const pageText = await page.text();
    assert.match(pageText, /<form method="post" action="\/subscriptions\/confirm\//);
    assert.equal((await rowFor(address))?.confirmed_at, null);

    const confirmed = await post(app.baseUrl, `/subscriptions/confirm/${token}`, '');
    assert.equal(confirmed.status, 200);
    const confirmedText = await confirmed.text();
    assert.match(confirmedText, /You are subscribed/, 'in the language chosen for the subscription');
    const row = await rowFor(address);
    assert.ok(row?.confirmed_at, 'active');
    assert.match(confirmedText, new RegExp(`/subscriptions/${row.id}/manage/`));
    // Pressing again is harmless.
    assert.equal((await post(app.baseUrl, `/subscriptions/confirm/${token}`, '')).status, 200);
  });

  test('an expired confirmation link is refused and the row stays unconfirmed', async () => {
    const address = email('expired');
    await subscribeEmail(address);
    const token = confirmToken(await smtp.waitFor((m) => m.to.includes(address)));
    const saved = now;
    now = new Date(now.getTime() + 49 * 3_600_000);
    try {
      const get = await fetch(`${app.baseUrl}/subscriptions/confirm/${token}`);
      assert.equal(get.status, 410);
      assert.match(await get.text(), /有効期限が切れています/);
      const res = await post(app.baseUrl, `/subscriptions/confirm/${token}`, '');
      assert.equal(res.status, 410);
      assert.equal((await rowFor(address))?.confirmed_at, null);
    } finally {
      now = saved;
    }
    assert.equal((await fetch(`${app.baseUrl}/subscriptions/confirm/${'x'.repeat(43)}`)).status, 404, 'an unknown token');
  });

  test('no enumeration: a new, a pending and an already-subscribed address get the very same answer', async () => {
    const known = email('known');
    await subscribedAndConfirmed(known);
    const fresh = email('fresh');
    const answers = await Promise.all([subscribeEmail(fresh), subscribeEmail(known)]);
    const pendingAgain = await subscribeEmail(fresh);
    const bodies = await Promise.all([...answers, pendingAgain].map(async (r) => `${r.status} ${await r.text()}`));
    assert.equal(bodies[0], bodies[1], 'new vs already subscribed');
    assert.equal(bodies[0], bodies[2], 'new vs pending');
    // The subscribed address is told so by mail, with its manage link; nothing was changed.
    const id = (await rowFor(known))!.id;
    const told = await smtp.waitFor((m) => m.to.includes(known) && /すでに登録済みです/.test(m.subject));
    assert.ok(told.text.includes(links.manageUrl(id)));
    assert.ok(told.text.includes(links.unsubscribeUrl(id)));
    assert.equal(confirmToken(told), '', 'no confirmation link for an active address');
    const [{ n }] = (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscribers WHERE target_key = $1`, [known])) as [{ n: number }];
    assert.equal(n, 1, 'no second row');
  });

  test('one address gets at most three mails an hour, and the answer never changes', async () => {
    const address = email('flood');
    const bodies = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await subscribeEmail(address);
      bodies.add(`${res.status} ${await res.text()}`);
    }
    assert.equal(bodies.size, 1);
    await eventually(async () => mailsTo(address).length >= 3, 5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(mailsTo(address).length, 3);
    // The newest link works. The mails are sent concurrently and may arrive in any order, so the newest is the one
    // queued last, not the one received last; the earlier links are refused.
    const [queuedLast] = await app.db.query<{ text_body: string }>('SELECT text_body FROM mail_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1', [address]);
    const newest = mailsTo(address).find((m) => confirmToken(m) === confirmToken({ ...m, text: queuedLast!.text_body }))!;
    assert.ok(newest, 'the newest mail was received');
    for (const older of mailsTo(address).filter((m) => m !== newest)) {
      assert.equal((await post(app.baseUrl, `/subscriptions/confirm/${confirmToken(older)}`, '')).status, 404);
    }
    assert.equal((await post(app.baseUrl, `/subscriptions/confirm/${confirmToken(newest)}`, '')).status, 200);
  });
});

describe('unsubscribe and manage', () => {
  test('RFC 8058 one-click: a POST with List-Unsubscribe=One-Click and no cookie unsubscribes at once; again is fine', async () => {
    const address = email('oneclick');
    const id = await subscribedAndConfirmed(address);
    const url = links.unsubscribeUrl(id);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(res.status, 200);
    assert.ok((await rowFor(address))?.unsubscribed_at, 'unsubscribed');
    const first = (await rowFor(address))!.unsubscribed_at;
    const again = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(again.status, 200);
    assert.deepEqual((await rowFor(address))!.unsubscribed_at, first, 'idempotent');
  });

  test('a multipart one-click POST works too', async () => {
    const address = email('multipart');
    const id = await subscribedAndConfirmed(address);
    const body = new FormData();
    body.append('List-Unsubscribe', 'One-Click');
    const res = await fetch(links.unsubscribeUrl(id), { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.ok((await rowFor(address))?.unsubscribed_at);
  });

  test('GET shows a one-button page and unsubscribes nothing; a wrong token is the same 404 as an unknown id', async () => {
    const address = email('getonly');
    const id = await subscribedAndConfirmed(address);
    const page = await fetch(links.unsubscribeUrl(id));
    assert.equal(page.status, 200);
    const text = await page.text();
    assert.match(text, /<button type="submit">通知を解除する<\/button>/);
    assert.equal((await rowFor(address))?.unsubscribed_at, null);

    const wrongToken = await fetch(`${app.baseUrl}/subscriptions/${id}/unsubscribe/${'A'.repeat(43)}`);
    const unknownId = await fetch(`${app.baseUrl}/subscriptions/zzzzzzzzzzzz/unsubscribe/${links.token('zzzzzzzzzzzz', 'unsubscribe')}`);
    assert.equal(wrongToken.status, 404);
    assert.equal(unknownId.status, 404);
    assert.equal(await wrongToken.text(), await unknownId.text());
    const wrongPost = await post(app.baseUrl, `/subscriptions/${id}/unsubscribe/${'A'.repeat(43)}`, 'List-Unsubscribe=One-Click');
    assert.equal(wrongPost.status, 404);
    assert.equal((await rowFor(address))?.unsubscribed_at, null);
  });

  test('the unsubscribe link (in every List-Unsubscribe header) does not open the manage page, nor the reverse', async () => {
    const address = email('purpose');
    const id = await subscribedAndConfirmed(address);
    const unsubscribeToken = links.unsubscribeUrl(id).split('/').pop()!;
    const manageToken = links.manageUrl(id).split('/').pop()!;
    assert.notEqual(unsubscribeToken, manageToken);
    assert.equal((await fetch(`${app.baseUrl}/subscriptions/${id}/manage/${unsubscribeToken}`)).status, 404);
    const changed = await post(app.baseUrl, `/subscriptions/${id}/manage/${unsubscribeToken}`, form({ components: leafIds(app)[0]!, lang: 'en' }));
    assert.equal(changed.status, 404);
    assert.equal((await rowFor(address))?.lang, 'ja', 'preferences unchanged');
    const viaManage = await post(app.baseUrl, `/subscriptions/${id}/unsubscribe/${manageToken}`, 'List-Unsubscribe=One-Click');
    assert.equal(viaManage.status, 404);
    assert.equal((await rowFor(address))?.unsubscribed_at, null);
    assert.equal((await fetch(links.manageUrl(id))).status, 200, 'each link still opens its own page');
  });

  test('manage: change components and language; a form from another site is refused', async () => {
    const address = email('manage');
    const id = await subscribedAndConfirmed(address);
    const path = new URL(links.manageUrl(id)).pathname;
    const page = await fetch(app.baseUrl + path);
    assert.equal(page.status, 200);
    const one = leafIds(app)[0]!;
    const res = await post(app.baseUrl, path, form({ components: one, lang: 'en' }));
    assert.equal(res.status, 303);
    let row = await rowFor(address);
    assert.deepEqual(row?.components, [one]);
    assert.equal(row?.lang, 'en');
    const foreign = await post(app.baseUrl, path, form({ components: leafIds(app), lang: 'ja' }), { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
    row = await rowFor(address);
    assert.deepEqual(row?.components, [one]);
    const none = await post(app.baseUrl, path, form({ lang: 'ja' }));
    assert.equal(none.status, 400);
    assert.match(await none.text(), /Choose at least one service/);
    assert.equal((await fetch(`${app.baseUrl}/subscriptions/${id}/manage/${'B'.repeat(43)}`)).status, 404);
  });
});

describe('webhooks and Slack with the test flag off', () => {
  const PRIVATE = /インターネットから届かないアドレス/;
  const HTTPS = /https:\/\/ で始まるものにしてください/;
  const refusedUrls: Array<[string, RegExp]> = [
    ['https://127.0.0.1/hook', PRIVATE],
    ['http://127.0.0.1:8080/hook', HTTPS],
    ['https://10.1.2.3/hook', PRIVATE],
    ['https://192.168.1.10/hook', PRIVATE],
    ['https://169.254.169.254/latest/meta-data/', PRIVATE],
    ['https://[::1]/hook', PRIVATE],
    ['https://[::ffff:127.0.0.1]/hook', PRIVATE],
    ['https://[fd00:ec2::254]/hook', PRIVATE],
    ['https://0x7f000001/hook', PRIVATE],
    ['https://localhost/hook', PRIVATE],
    ['https://api.localhost/hook', PRIVATE],
    ['http://example.com/hook', HTTPS],
    ['https://user:secret@example.com/hook', /ユーザー名やパスワード/],
    ['javascript:alert(1)', HTTPS],
    ['ftp://example.com/hook', HTTPS],
    ['not a url', /URL の形式が正しくありません/],
  ];
  for (const [url, message] of refusedUrls) {
    test(`refuses ${url}`, async () => {
      const before = await rowCount();
      const res = await post(app.baseUrl, '/subscribe', form({ channel: 'webhook', url, components: leafIds(app) }));
      assert.equal(res.status, 400);
      const text = await res.text();
      assert.match(text, /role="alert"/);
      assert.match(plain(text), message);
      assert.equal(await rowCount(), before, 'nothing stored');
    });
  }

  test('a host name is refused when any one of its addresses is private', async () => {
    const lookup = async () => ['93.184.216.34', '10.0.0.7'];
    await assert.rejects(assertPublicHost('mixed.example', { allowLoopback: false, lookup }), /url_private/);
    await assert.rejects(assertPublicHost('loop.example', { allowLoopback: false, lookup: async () => ['127.0.0.1'] }), /url_private/);
    await assert.rejects(assertPublicHost('nowhere.example', { allowLoopback: false, lookup: async () => { throw new Error('ENOTFOUND'); } }), /url_unresolvable/);
    await assertPublicHost('public.example', { allowLoopback: false, lookup: async () => ['93.184.216.34', '2606:2800:220:1::1'] });
  });

  test('Slack: only the configured prefix (hooks.slack.com) is accepted', async () => {
    const before = await rowCount();
    for (const url of ['https://example.com/services/T0/B0/x', 'https://hooks.slack.com.evil.example/services/T0/B0/x', 'https://hooks.slack.com/services/', 'https://hooks.slack.com/other/T0/B0/x']) {
      const res = await post(app.baseUrl, '/subscribe', form({ channel: 'slack', url, components: leafIds(app) }));
      assert.equal(res.status, 400, url);
      assert.match(await res.text(), /Slack の Incoming Webhook/);
    }
    assert.equal(await rowCount(), before);
    const ok = await post(app.baseUrl, '/subscribe', form({ channel: 'slack', url: 'https://hooks.slack.com/services/T0KINKYU/B0TEST/abcdef123456', components: leafIds(app) }));
    assert.equal(ok.status, 201);
    assert.equal(await rowCount(), before + 1);
    const dup = await post(app.baseUrl, '/subscribe', form({ channel: 'slack', url: 'https://hooks.slack.com/services/T0KINKYU/B0TEST/abcdef123456', components: leafIds(app) }));
    assert.equal(dup.status, 409);
    assert.equal(await rowCount(), before + 1);
  });
});

describe('hostile input is refused with a localized message and nothing stored', () => {
  const cases: Array<{ name: string; body: () => string; headers?: Record<string, string>; status: number; message: RegExp }> = [
    { name: 'script in the address', body: () => form({ channel: 'email', email: '"><script>alert(1)</script>@example.com', components: leafIds(app) }), status: 400, message: /メールアドレスの形式が正しくありません/ },
    { name: 'an address of 10,000 characters', body: () => form({ channel: 'email', email: `${'a'.repeat(10_000)}@example.com`, components: leafIds(app) }), status: 400, message: /254 文字以内/ },
    { name: 'a body over the size limit', body: () => form({ channel: 'email', email: `${'a'.repeat(300_000)}@example.com` }), status: 413, message: /大きすぎます/ },
    { name: 'bytes that are not UTF-8', body: () => `channel=email&email=%FF%FEa@example.com&${leafIds(app).map((id) => `components=${id}`).join('&')}`, status: 400, message: /文字コード/ },
    { name: 'two addresses (an array)', body: () => form({ channel: 'email', email: ['a@example.com', 'b@example.com'], components: leafIds(app) }), status: 400, message: /文字列で入力/ },
    { name: 'two channels (an array)', body: () => form({ channel: ['email', 'webhook'], email: 'a@example.com', components: leafIds(app) }), status: 400, message: /「受け取る方法」の値が正しくありません/ },
    { name: 'an unknown component with markup', body: () => form({ channel: 'email', email: 'a@example.com', components: '<img src=x onerror=alert(1)>' }), status: 400, message: /「通知を受け取るサービス」の値が正しくありません/ },
    { name: 'no component', body: () => form({ channel: 'email', email: 'a@example.com' }), status: 400, message: /1つ以上選んでください/ },
    { name: 'an unknown language', body: () => form({ channel: 'email', email: 'a@example.com', lang: 'xx', components: leafIds(app) }), status: 400, message: /「通知の言語」の値が正しくありません/ },
    { name: 'control characters', body: () => form({ channel: 'email', email: 'a\u0001b@example.com', components: leafIds(app) }), status: 400, message: /メールアドレスの形式/ },
    // A NUL is refused before any form sees it (src/web/body-guard.ts), naming the field.
    { name: 'a NUL character', body: () => form({ channel: 'email', email: 'a\u0000b@example.com', components: leafIds(app) }), status: 400, message: /「メールアドレス」に使えない制御文字/ },
    { name: 'a webhook URL with a line break', body: () => form({ channel: 'webhook', url: 'https://example.com/\r\nX: y', components: leafIds(app) }), status: 400, message: /形式が正しくありません/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = await rowCount();
      const mails = smtp.messages.length;
      const res = await post(app.baseUrl, '/subscribe', c.body(), { 'accept-language': 'ja', ...c.headers });
      assert.equal(res.status, c.status);
      const text = await res.text();
      assert.match(text, c.message);
      assert.doesNotMatch(text, /<script>alert|<img src=x/);
      assert.equal(await rowCount(), before);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(smtp.messages.length, mails, 'no mail');
    });
  }

  test('a JSON body with an object for the address gets a JSON refusal', async () => {
    const before = await rowCount();
    const res = await fetch(`${app.baseUrl}/subscribe`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ channel: 'email', email: { $gt: '' }, components: leafIds(app) }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'VALIDATION');
    assert.ok(body.message.length > 0);
    assert.equal(await rowCount(), before);
  });

  test('the refused form comes back filled in, escaped', async () => {
    const res = await post(app.baseUrl, '/subscribe?lang=en', form({ channel: 'email', email: '"><b>x</b>', components: leafIds(app).slice(0, 1) }));
    const text = await res.text();
    assert.match(text, /value="&quot;&gt;&lt;b&gt;x&lt;\/b&gt;"/);
    assert.match(text, /That email address does not look right/);
  });
});

describe('staff: /staff/subscribers', () => {
  test('a viewer sees counts but no address and cannot disable; an admin searches, disables and erases, audited', async () => {
    const address = email('staffsee');
    const id = await subscribedAndConfirmed(address);
    const viewer = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'));
    const viewPage = await (await viewer.get(`/staff/subscribers?q=${encodeURIComponent(address)}`)).text();
    assert.match(viewPage, /有効/);
    assert.ok(!viewPage.includes(address), 'no address for a reader without subscriber.manage');
    const denied = await viewer.postForm(`/staff/subscribers/${id}/disable`, { reason: 'x' });
    assert.equal(denied.status, 403);
    assert.equal((await rowFor(address))?.disabled_at, null);

    const admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const found = await (await admin.get(`/staff/subscribers?q=${encodeURIComponent(address.slice(0, 12))}`)).text();
    assert.ok(found.includes(address));
    const noCsrf = await admin.postForm(`/staff/subscribers/${id}/disable`, { reason: 'bounces' }, { csrf: false });
    assert.equal(noCsrf.status, 403);
    const disabled = await admin.postForm(`/staff/subscribers/${id}/disable`, { reason: 'bounces' });
    assert.equal(disabled.status, 303);
    assert.ok((await rowFor(address))?.disabled_at);
    const [audit] = await app.db.query<{ data: Record<string, unknown>; actor_type: string }>(
      `SELECT data, actor_type FROM audit_log WHERE action = 'subscriber.disable' AND target_id = $1`, [id]);
    assert.equal(audit?.actor_type, 'staff');
    assert.equal(audit?.data.reason, 'bounces');
    assert.ok(!JSON.stringify(audit?.data).includes(address), 'no address in the permanent log');

    const erased = await admin.postForm(`/staff/subscribers/${id}/erase`, {});
    assert.equal(erased.status, 303);
    const [row] = await app.db.query<{ target: string; unsubscribed_at: Date | null }>('SELECT target, unsubscribed_at FROM subscribers WHERE id = $1', [id]);
    assert.equal(row?.target, 'erased');
    assert.ok(row?.unsubscribed_at);
    assert.equal((await fetch(links.manageUrl(id))).status, 404, 'an erased subscription has no manage page');
    assert.equal((await admin.postForm('/staff/subscribers/nosuchid0000/disable', {})).status, 404);
    assert.ok((await verifyAudit(app.db)).ok);
  });
});

describe('staff: a Slack webhook URL is a credential', () => {
  test('the list shows its host and a masked path; searching pieces of it finds nothing', async () => {
    const owner = email('slackowner');
    const secretPart = 'Zq9SeCrEtPaRt7x3456';
    const url = `https://hooks.slack.com/services/T0MASKED/B0MASKED/${secretPart}`;
    const res = await post(app.baseUrl, '/subscribe', form({ channel: 'slack', url, ownerEmail: owner, components: leafIds(app) }));
    assert.equal(res.status, 201);
    const admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const page = await (await admin.get(`/staff/subscribers?q=${encodeURIComponent(owner)}`)).text();
    assert.ok(page.includes('hooks.slack.com/services/T…/…3456'), 'host, path kind and last four characters');
    assert.ok(!page.includes(secretPart) && !page.includes('T0MASKED') && !page.includes('B0MASKED'), 'no part of the secret path');
    assert.ok(page.includes(owner));
    for (const piece of ['hooks.slack.com/services/T0MASKED', 'B0MASKED', secretPart.slice(0, 6)]) {
      const probe = await (await admin.get(`/staff/subscribers?q=${encodeURIComponent(piece)}`)).text();
      assert.ok(!probe.includes('hooks.slack.com/services/T…/…3456'), `a piece (${piece}) finds nothing`);
    }
    const whole = await (await admin.get(`/staff/subscribers?q=${encodeURIComponent(url)}`)).text();
    assert.ok(whole.includes('hooks.slack.com/services/T…/…3456'), 'the whole URL finds it');
  });
});

describe('with WEBHOOK_ALLOW_LOCAL and a Slack stand-in (tests and demos)', () => {
  let local: RunningApp;
  let receiver: Server;
  let receiverUrl = '';
  let slack: SlackStandin;

  before(async () => {
    slack = await startSlackStandin();
    receiver = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`;
    local = await startApp({
      config: {
        smtpUrl: smtp.url,
        mailSender: { pollMs: 50, backoffBaseMs: 50 },
        subscriptions: { ...parseSubscriptionConfig({}), allowLocalWebhooks: true, slackWebhookPrefix: slack.url.replace(/(\/services\/).*$/, '$1'), rateLimitPerIp: 8 },
      },
    });
  });
  after(async () => {
    await local?.stop();
    await slack?.close();
    await new Promise((r) => receiver?.close(r));
  });

  test('a loopback webhook without an owner is active at once and shows its secret once', async () => {
    const res = await post(local.baseUrl, '/subscribe', form({ channel: 'webhook', url: receiverUrl, components: leafIds(local) }));
    assert.equal(res.status, 201);
    const text = await res.text();
    const secret = /<code id="webhook-secret">(whsec_[A-Za-z0-9_-]+)<\/code>/.exec(text)?.[1];
    assert.ok(secret, 'the secret is on the page');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const [row] = await local.db.query<{ id: string; secret: string; confirmed_at: Date | null }>(`SELECT id, secret, confirmed_at FROM subscribers WHERE channel = 'webhook'`);
    assert.equal(row?.secret, secret);
    assert.ok(row?.confirmed_at);
    const manage = await (await fetch(`${local.baseUrl}${new URL(/href="([^"]+\/manage\/[^"]+)"/.exec(text)![1]!).pathname}`)).text();
    assert.ok(!manage.includes(secret), 'never shown again');
  });

  test('private and metadata addresses stay refused with the flag on', async () => {
    const before = await rowCount(local);
    for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/', 'http://10.0.0.1/hook', 'http://example.com/hook']) {
      const res = await post(local.baseUrl, '/subscribe', form({ channel: 'webhook', url, components: leafIds(local) }));
      assert.equal(res.status, 400, url);
    }
    assert.equal(await rowCount(local), before);
  });

  test('a webhook with an owner email waits for the owner to confirm; Slack accepts the stand-in prefix', async () => {
    const owner = email('owner');
    const res = await post(local.baseUrl, '/subscribe?lang=en', form({ channel: 'webhook', url: `${receiverUrl}/owned`, ownerEmail: owner, lang: 'en', components: leafIds(local) }));
    assert.equal(res.status, 201);
    assert.match(await res.text(), /emailed the owner/);
    const mail = await smtp.waitFor((m) => m.to.includes(owner));
    assert.match(mail.subject, /Webhook/);
    assert.match(mail.text, /127\.0\.0\.1:\d+/);
    const [pending] = await local.db.query<{ confirmed_at: Date | null }>(`SELECT confirmed_at FROM subscribers WHERE owner_email = $1`, [owner]);
    assert.equal(pending?.confirmed_at, null);
    assert.equal((await post(local.baseUrl, `/subscriptions/confirm/${confirmToken(mail)}`, '')).status, 200);
    const [active] = await local.db.query<{ confirmed_at: Date | null }>(`SELECT confirmed_at FROM subscribers WHERE owner_email = $1`, [owner]);
    assert.ok(active?.confirmed_at);

    const slackRes = await post(local.baseUrl, '/subscribe', form({ channel: 'slack', url: slack.url, components: leafIds(local) }));
    assert.equal(slackRes.status, 201);
  });

  test('attempts per client address are limited', async () => {
    let limited: Response | null = null;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await post(local.baseUrl, '/subscribe', form({ channel: 'email', email: email('limit'), components: leafIds(local) }));
      if (res.status === 429) limited = res;
      else await res.text();
    }
    assert.ok(limited, 'refused within ten attempts');
    assert.match(await limited.text(), /登録の試行が多すぎます/);
  });
});

describe('in a phone-sized browser', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  for (const [lang, path] of [['ja', '/subscribe'], ['en', '/subscribe?lang=en&channel=webhook'], ['ja', '/subscribe?channel=slack']] as const) {
    test(`${path}: no axe violations, nothing scrolls sideways`, async () => {
      const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(app.baseUrl + path);
      assert.deepEqual(await axeViolations(page), []);
      assert.ok(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth'));
      await context.close();
    });
  }

  test('subscribing works with JavaScript off', async () => {
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.getByRole('link', { name: '更新を受け取る' }).first().click();
    const address = email('browser');
    await page.getByLabel('メールアドレス').fill(address);
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByRole('heading', { name: '確認メールをご確認ください', level: 1 }).waitFor();
    const mail = await smtp.waitFor((m) => m.to.includes(address));
    await page.goto(`${app.baseUrl}/subscriptions/confirm/${confirmToken(mail)}`);
    await page.getByRole('button', { name: '登録を確定する' }).click();
    await page.getByRole('heading', { name: '登録が完了しました', level: 1 }).waitFor();
    assert.ok((await rowFor(address))?.confirmed_at);
    await context.close();
  });
});

describe('two subscribes for a new address at the same moment (PostgreSQL)', () => {
  test('both get the usual answer, not a conflict; one subscription', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries on this machine' }, async () => {
    const pg = await startPostgres();
    const pgApp = await startApp({
      databaseUrl: pg.url,
      config: { smtpUrl: smtp.url, subscriptions: { ...parseSubscriptionConfig({}), rateLimitPerIp: 10_000 } },
    });
    try {
      const address = email('race');
      const body = form({ channel: 'email', email: address, components: leafIds(pgApp), lang: 'ja' });
      // Hold inserts back until both requests have looked for the address and found nothing: then both insert,
      // and the unique index makes the second one wait for the first.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = pgApp.db.transaction(async (tx) => {
        await tx.query('LOCK TABLE subscribers IN SHARE MODE');
        locked();
        await released;
      });
      await isLocked;
      const both = Promise.all([post(pgApp.baseUrl, '/subscribe', body), post(pgApp.baseUrl, '/subscribe', body)]);
      await eventually(async () => {
        const [w] = await pgApp.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'subscribers'::regclass`);
        return Number(w?.n) >= 2;
      }, 10_000);
      release();
      await holding;
      const [a, b] = await both;
      assert.deepEqual([a.status, b.status], [200, 200]);
      assert.equal(await a.text(), await b.text(), 'the same page for both');
      const [rows] = await pgApp.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscribers WHERE target_key = $1', [address.toLowerCase()]);
      assert.equal(Number(rows?.n), 1);
    } finally {
      await pgApp.stop();
      pg.destroy();
    }
  });
});
