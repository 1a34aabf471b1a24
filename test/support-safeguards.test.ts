/**
 * The support desk's safeguards, as the people involved would notice them: a double-tapped form files one
 * ticket, a stale reply is refused before it reaches the user, a bulk reply reaches each user once, automatic
 * incident links stay out of doubtful cases, SLAs survive a reopen, floods are limited without locking out the
 * honest, and a bulk reply to thousands of tickets completes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, eventually, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';
import { maskSecrets } from '../src/server.ts';
import { t, type Lang, type MessageKey } from '../src/web/i18n.ts';
import { emailFactory, plain } from './support/text.ts';

/** Wednesday 2026-11-25 10:00 JST: a business day, the phone line is open. */
const WED_10_JST = new Date('2026-11-25T01:00:00Z');
let now = WED_10_JST;

let app: RunningApp;
let smtp: SmtpTestServer;
let admin: StaffClient;

const newEmail = emailFactory();

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const msg = (lang: Lang, key: string, params: Record<string, string | number> = {}) => t(lang, key as MessageKey, params);

function postContact(body: URLSearchParams | Record<string, string>, headers: Record<string, string> = {}, base = app.baseUrl): Promise<Response> {
  return fetch(`${base}/contact`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body).toString(),
  });
}

interface Filed {
  id: string;
  /** /tickets/<id>/<token> */
  path: string;
  /** The redirect target (with ?received=1). */
  location: string;
  email: string;
}

function parseLocation(location: string, email: string): Filed {
  const m = /^\/tickets\/([0-9a-z]+)\/([A-Za-z0-9_-]{32})\?received=1$/.exec(location);
  assert.ok(m, `redirect to the secret link, got ${location}`);
  return { id: m[1]!, path: `/tickets/${m[1]}/${m[2]}`, location, email };
}

/** Files a ticket through the HTML form, as a browser without JavaScript would. */
async function fileByForm(text: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}, base = app.baseUrl): Promise<Filed> {
  const email = fields.email ?? newEmail('user');
  const res = await postContact({ body: text, email, ...fields }, headers, base);
  assert.equal(res.status, 303, await res.text());
  return parseLocation(res.headers.get('location') ?? '', email);
}

async function staffJson(client: StaffClient, path: string): Promise<any> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: client.cookie, accept: 'application/json' } });
  const body = await res.json();
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(body)}`);
  return body;
}
const staffTicket = (id: string, client = admin) =>
  staffJson(client, `/staff/tickets/${id}`) as Promise<{ ticket: any; sla: any; messages: { id: number; kind: string; body: string }[] }>;

const getPage = async (path: string, headers: Record<string, string> = {}, base = app.baseUrl) => {
  const res = await fetch(base + path, { headers });
  return { status: res.status, html: await res.text(), res };
};

const mailsTo = (address: string): ReceivedMail[] => smtp.messages.filter((m) => m.to.includes(address));
const confirmationFor = (email: string) => smtp.waitFor((m) => m.to.includes(email) && /受付番号|ticket \d/.test(m.subject), 5000);
const outboxFor = async (ticketId: string) => (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mail_outbox WHERE ticket_id = $1', [ticketId]))[0]!.n;
/** Every queued mail has been handed to the SMTP server (so "no mail arrived" means none was sent). */
const mailDrained = () =>
  eventually(async () => (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL'))[0]!.n === 0, 5000);

const unresolved = async (base = app.baseUrl): Promise<any[]> =>
  ((await (await fetch(`${base}/api/v2/incidents/unresolved.json`)).json()) as { incidents: any[] }).incidents;

/** Declares an incident as staff do, and waits until the public page (what matching reads) shows it. */
async function declare(input: Record<string, unknown>, client = admin): Promise<string> {
  const res = await client.postJson('/staff/incidents', { severity: 'SEV2', status: 'investigating', ...input });
  const body = (await res.json()) as { incidentId: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  await eventually(async () => (await unresolved(client.baseUrl)).some((i) => i.id === body.incidentId), 5000);
  return body.incidentId;
}

async function resolve(incidentId: string, extra: Record<string, string> = {}, client = admin): Promise<void> {
  const res = await client.postForm(`/staff/incidents/${incidentId}/updates`, { status: 'resolved', visibility: 'public', bodyJa: '復旧しました。', ...extra });
  assert.equal(res.status, 303, await res.text());
  await eventually(async () => !(await unresolved(client.baseUrl)).some((i) => i.id === incidentId), 5000);
}

const hidden = (html: string, name: string): string => {
  const value = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];
  assert.ok(value !== undefined, `a hidden "${name}" field`);
  return decode(value);
};
const replyTextarea = (html: string) => decode(/<textarea id="reply"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)?.[1] ?? '');

before(async () => {
  smtp = await startSmtpServer();
  // The demo exchange's components (BTC/JPY, ETH/JPY, REST API, XRP 入出金 …); no incident is open in it.
  app = await startApp({
    clock: () => now,
    config: { smtpUrl: smtp.url, mailSender: { pollMs: 100, backoffBaseMs: 50 }, contactRateLimit: 1000 },
  });
  admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  assert.equal((await unresolved()).length, 0, 'precondition: no open incident');
});
after(async () => {
  await app?.stop();
  await smtp?.stop();
});

describe('the contact form is idempotent', () => {
  test('the same form sent twice files one ticket and one email; a new form files a second', async () => {
    const form = await getPage('/contact');
    const key = hidden(form.html, 'submission');
    assert.match(key, /^[\w-]{16,64}$/);
    const email = newEmail('double-tap');
    const fields = { body: '出金申請が「処理中」のまま2時間たっています', email, lang: 'ja', submission: key };

    const first = await postContact(fields);
    const second = await postContact(fields); // a double tap, or a retry on a flaky mobile connection
    assert.equal(first.status, 303);
    assert.equal(second.status, 303, 'the second send is not an error for the user');
    const a = parseLocation(first.headers.get('location') ?? '', email);
    const b = parseLocation(second.headers.get('location') ?? '', email);
    assert.equal(b.location, a.location, 'both land on the same ticket');
    const numberOn = async (f: Filed) => /受付番号: (\d+)/.exec(plain((await getPage(f.location)).html))?.[1];
    const number = await numberOn(a);
    assert.ok(number);
    assert.equal(await numberOn(b), number, 'with the same number');
    assert.equal((await app.db.query('SELECT 1 FROM tickets WHERE email = $1', [email])).length, 1, 'one ticket');

    const mail = await confirmationFor(email);
    assert.ok(mail.subject.includes(number));
    await mailDrained();
    assert.equal(mailsTo(email).length, 1, 'one confirmation email');

    // A JSON client retrying with its key gets the same ticket back too.
    const jsonKey = 'json-retry-key-0001';
    const json = async () => {
      const res = await fetch(`${app.baseUrl}/contact`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ body: 'API の注文が通りません', email, submission: jsonKey }),
      });
      assert.equal(res.status, 201);
      return (await res.json()) as { ticketId: string; number: number; link: string };
    };
    const j1 = await json();
    const j2 = await json();
    assert.deepEqual(j2, j1);

    // Another form (a new key) is another request: a second ticket and a second email.
    const again = await getPage('/contact');
    const key2 = hidden(again.html, 'submission');
    assert.notEqual(key2, key, 'each form gets its own key');
    const third = await postContact({ ...fields, submission: key2 });
    assert.equal(third.status, 303);
    const c = parseLocation(third.headers.get('location') ?? '', email);
    assert.notEqual(c.id, a.id);
    assert.notEqual(await numberOn(c), number);
    assert.equal((await app.db.query('SELECT 1 FROM tickets WHERE email = $1', [email])).length, 3, 'form twice + JSON twice + new form = 3 tickets');
    await mailDrained();
    assert.equal(mailsTo(email).length, 3);
  });

  test('a key reused by someone else does not hand them the first ticket', async () => {
    // A careless API client with a fixed key, or two devices sharing one: the second sender must not be
    // shown the first sender's ticket, their message or their email address.
    const key = 'fixed-client-key-0000';
    const alice = await fileByForm('口座の凍結について相談したいです (アリス)', { submission: key });
    const bobEmail = newEmail('bob');
    const res = await postContact({ body: 'ログインできません (ボブ)', email: bobEmail, submission: key });
    if (res.status === 303) {
      const bob = parseLocation(res.headers.get('location') ?? '', bobEmail);
      assert.notEqual(bob.id, alice.id, "Bob is not sent to Alice's ticket");
      const page = plain((await getPage(bob.location)).html);
      assert.ok(!page.includes(alice.email) && !page.includes('アリス'), "nothing of Alice's ticket is shown");
    } else {
      assert.ok(res.status === 409 || res.status === 400, `refused clearly, got ${res.status}`);
      const page = plain(await res.text());
      assert.ok(!page.includes(alice.email) && !page.includes('アリス'));
    }
  });
});

describe('the confirmation email', () => {
  test('does not quote what was typed into the form (anyone can type any address), but has the number and link', async () => {
    const lure = 'デモ取引所からのお知らせ: 口座が凍結されました。http://evil.example/login から本人確認してください';
    const filed = await fileByForm(lure, { orderId: 'ORD-1', amount: '10' });
    const number = String((await staffTicket(filed.id)).ticket.number);
    const mail = await confirmationFor(filed.email);
    assert.ok(mail.subject.includes(number), mail.subject);
    assert.ok(mail.text.includes(`受付番号は ${number} です`), 'the number is in the mail');
    assert.ok(mail.text.includes(app.baseUrl + filed.path), 'the secret link is in the mail');
    for (const piece of ['evil.example', '口座が凍結されました', '本人確認してください']) {
      assert.ok(!mail.text.includes(piece) && !mail.subject.includes(piece) && !mail.raw.includes(piece), `«${piece}» is not in the mail`);
    }
    assert.ok(plain((await getPage(filed.path)).html).includes('口座が凍結されました'), 'the message is on the ticket page behind the link');
  });
});

describe('a stale staff reply is refused', () => {
  test('the user wrote after staff opened the ticket: 409, the typed reply kept, no email; with the new page it is sent, once', async () => {
    const filed = await fileByForm('日本円の出金が2営業日たっても着金しません');
    await confirmationFor(filed.email);
    const opened = await (await admin.get(`/staff/tickets/${filed.id}`)).text();
    const oldAfter = hidden(opened, 'after');

    // Meanwhile the user adds something that changes the answer.
    const userText = '追記: 先ほど着金を確認できました。ご確認ありがとうございました。';
    const res = await fetch(app.baseUrl + filed.path, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ body: userText }).toString(),
    });
    assert.equal(res.status, 303);

    const mailsBefore = mailsTo(filed.email).length;
    const outboxBefore = await outboxFor(filed.id);
    const typed = '確認いたしました。振込先の口座名義をお知らせいただけますか。';
    const stale = await admin.postForm(`/staff/tickets/${filed.id}/reply`, { body: typed, after: oldAfter, status: 'pending_user' });
    assert.equal(stale.status, 409);
    const html = await stale.text();
    assert.ok(plain(html).includes(msg('ja', 'error.CONFLICT.ticket_changed')), plain(html).slice(0, 600));
    assert.equal(replyTextarea(html), typed, 'the typed reply is still in the box');
    assert.ok(plain(html).includes(userText), "the refusal page shows the user's new message");
    assert.equal(await outboxFor(filed.id), outboxBefore, 'no email queued');
    let state = await staffTicket(filed.id);
    assert.equal(state.messages.filter((m) => m.kind === 'reply').length, 0);
    assert.equal(state.ticket.status, 'new', 'nothing changed on the ticket');
    assert.equal(state.ticket.firstRespondedAt, null);
    await mailDrained();
    assert.equal(mailsTo(filed.email).length, mailsBefore, 'the user got no email');

    // Reading the ticket again gives the new position; now the reply goes out.
    const fresh = hidden(await (await admin.get(`/staff/tickets/${filed.id}`)).text(), 'after');
    assert.ok(Number(fresh) > Number(oldAfter));
    const finalText = 'ご確認ありがとうございます。着金が確認できたとのことで、本件は解決とさせていただきます。';
    const send = () => admin.postForm(`/staff/tickets/${filed.id}/reply`, { body: finalText, after: fresh, status: 'solved' });
    const ok = await send();
    assert.equal(ok.status, 303);
    // The same form sent again (double click, browser retry) is not a second answer.
    const dup = await send();
    assert.equal(dup.status, 409);
    assert.equal(replyTextarea(await dup.text()), finalText);

    const mail = await smtp.waitFor((m) => m.to.includes(filed.email) && m.text.includes(finalText));
    assert.match(mail.subject, /解決済み/);
    await mailDrained();
    assert.equal(mailsTo(filed.email).filter((m) => m.text.includes(finalText)).length, 1, 'one email');
    state = await staffTicket(filed.id);
    assert.deepEqual(state.messages.filter((m) => m.kind === 'reply').map((m) => m.body), [finalText], 'one reply in the thread');
    assert.equal(state.ticket.status, 'solved');
  });
});

describe('optional fields are lenient', () => {
  test('full-width numbers, units and asset names in Japanese are accepted and stored normalised', async () => {
    const cases: [Record<string, string>, { amount: string | null; asset: string | null; orderId?: string }][] = [
      [{ amount: '１０', asset: 'ビットコイン' }, { amount: '10', asset: 'ビットコイン' }],
      [{ amount: '0.5 BTC', asset: 'ＢＴＣ' }, { amount: '0.5 BTC', asset: 'BTC' }],
      [{ amount: '１，０００円', asset: 'ﾋﾞｯﾄｺｲﾝ', orderId: 'ＯＲＤ－１２３' }, { amount: '1,000円', asset: 'ビットコイン', orderId: 'ORD-123' }],
      [{ amount: '０．５　ＥＴＨ', asset: 'eth' }, { amount: '0.5 ETH', asset: 'ETH' }],
    ];
    for (const [fields, expected] of cases) {
      const filed = await fileByForm('送金した暗号資産が反映されません', fields);
      const { ticket } = await staffTicket(filed.id);
      assert.equal(ticket.amount, expected.amount, JSON.stringify(fields));
      assert.equal(ticket.asset, expected.asset, JSON.stringify(fields));
      if (expected.orderId) assert.equal(ticket.orderId, expected.orderId);
      const page = plain(await (await admin.get(`/staff/tickets/${filed.id}`)).text());
      assert.ok(page.includes(expected.amount!), 'staff see the amount');
    }
  });
});

describe('secret links', () => {
  test('maskSecrets hides the token and keeps the rest', () => {
    assert.equal(maskSecrets('/tickets/abc/SECRET?received=1'), '/tickets/abc/…?received=1');
    for (const url of ['/tickets/abc/SECRET', '/tickets/abc/SECRET?replied=1', '/tickets/abc/SECRET#x', '/tickets/abc/SECRET/extra']) {
      const masked = maskSecrets(url);
      assert.ok(!masked.includes('SECRET'), `${url} → ${masked}`);
      assert.ok(masked.startsWith('/tickets/abc/'), masked);
    }
    for (const [url, masked] of [
      ['/lock/SECRET', '/lock/…'],
      ['/terms/ack/SECRET?lang=en', '/terms/ack/…?lang=en'],
      ['/account/forgot/SECRET', '/account/forgot/…'],
      ['/account/email/confirm/SECRET', '/account/email/confirm/…'],
    ]) assert.equal(maskSecrets(url!), masked);
    assert.equal(maskSecrets('/contact?lang=en'), '/contact?lang=en', 'other URLs are left alone');
  });

  test('an English ticket is shown in English to a browser asking for Japanese, unless a language is chosen', async () => {
    const filed = await fileByForm('Is the exchange down? I cannot sign in.', { lang: 'en' }, { 'accept-language': 'en' });
    const number = (await staffTicket(filed.id)).ticket.number;
    const ja = { 'accept-language': 'ja,en;q=0.5' };
    let page = await getPage(filed.path, ja);
    assert.equal(page.status, 200);
    assert.match(page.html, /<html lang="en">/);
    assert.ok(plain(page.html).includes(msg('en', 'ticket.title', { number })), 'the English title');
    page = await getPage(`${filed.path}?lang=ja`, ja);
    assert.match(page.html, /<html lang="ja">/, '?lang= still wins');
    assert.ok(plain(page.html).includes(msg('ja', 'ticket.title', { number })));
    page = await getPage(filed.path, { ...ja, cookie: 'kinkyu_lang=ja' });
    assert.match(page.html, /<html lang="ja">/, 'a chosen language (cookie) still wins');
  });
});

describe('SLA', () => {
  test('a ticket solved and reopened by the user days later is not instantly breached: its due date moves by the solved time', async () => {
    try {
      now = WED_10_JST;
      const filed = await fileByForm('日本円の入金が反映されていません。振込から3時間経っています');
      let state = await staffTicket(filed.id);
      assert.equal(state.ticket.priority, 'normal', 'precondition: triaged normal (business-hours clock)');
      // 5 business days of 9 h from Wednesday 10:00 JST (the 23rd was a holiday, already past).
      assert.equal(state.ticket.resolutionDueAt, '2026-12-02T01:00:00.000Z');

      now = new Date('2026-11-25T02:00:00Z'); // Wednesday 11:00 JST: answered and solved
      let res = await admin.postForm(`/staff/tickets/${filed.id}/reply`, { body: '反映を確認しました。', status: 'solved', after: hidden(await (await admin.get(`/staff/tickets/${filed.id}`)).text(), 'after') });
      assert.equal(res.status, 303);
      state = await staffTicket(filed.id);
      assert.equal(state.ticket.status, 'solved');
      assert.equal(state.sla.resolution, 'met');

      now = new Date('2026-12-10T01:00:00Z'); // Thursday 10:00 JST, a week after the original due date
      res = await fetch(app.baseUrl + filed.path, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ body: 'また反映されなくなりました。再度確認をお願いします。' }).toString(),
      });
      assert.equal(res.status, 303);
      state = await staffTicket(filed.id);
      assert.equal(state.ticket.status, 'open', 'reopened by the reply');
      assert.equal(state.sla.firstResponse, 'met', 'the first answer still counts');
      assert.notEqual(state.sla.resolution, 'breached', 'not breached the moment it is reopened');
      // 44 business hours remained when it was solved: counted again from Thursday 10:00 JST → Wednesday 18:00 JST.
      assert.equal(state.ticket.resolutionDueAt, '2026-12-16T09:00:00.000Z');
      const breached = await staffJson(admin, '/staff/tickets?sla=breached');
      assert.ok(!breached.tickets.some((x: any) => x.id === filed.id), 'not in the breached view');
      const row = (await (await admin.get('/staff/tickets')).text()).split('</tr>').find((r) => r.includes(`/staff/tickets/${filed.id}"`));
      assert.ok(row && !plain(row).includes(msg('ja', 'desk.sla.breached')), 'the queue row shows no breach');

      now = new Date('2026-12-16T09:01:00Z'); // past the moved due date, it is breached
      assert.equal((await staffTicket(filed.id)).sla.resolution, 'breached');
    } finally {
      now = WED_10_JST;
    }
  });

  test("'waiting on the user' cannot be set by the status form, only by a reply", async () => {
    const filed = await fileByForm('アプリの通知設定を変更したいです');
    const observe = async () => JSON.stringify((await staffTicket(filed.id)).ticket);
    await assertRefusedWithoutChange(observe, () => admin.postForm(`/staff/tickets/${filed.id}/status`, { status: 'pending_user' }), { status: 400, message: /「状態」の値が正しくありません/ });
    await assertRefusedWithoutChange(observe, () => admin.postJson(`/staff/tickets/${filed.id}/status`, { status: 'pending_user' }), { status: 400, code: 'VALIDATION' });
    const page = await (await admin.get(`/staff/tickets/${filed.id}`)).text();
    const select = /<select id="m-status" name="status">([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
    assert.ok(select.includes('value="solved"') && !select.includes('value="pending_user"'), 'the status form does not offer it');
    const res = await admin.postForm(`/staff/tickets/${filed.id}/reply`, { body: 'ご希望の設定をお知らせください。' });
    assert.equal(res.status, 303);
    assert.equal((await staffTicket(filed.id)).ticket.status, 'pending_user', 'a reply does it');
  });
});

describe('automatic incident matching stays out of doubtful cases', () => {
  const linkOf = async (f: Filed) => {
    const { ticket, messages } = await staffTicket(f.id);
    return { type: ticket.type as string, incidentId: ticket.incidentId as string | null, auto: messages.filter((m) => m.kind === 'auto').length };
  };

  test('an open "XRP withdrawals delayed" incident: an ETH order ticket is not linked, an XRP withdrawal ticket is', async () => {
    const xrp = await declare({
      type: 'trading', nameJa: 'XRP の出金遅延', nameEn: 'XRP withdrawals delayed',
      bodyJa: 'XRP の出金処理が遅れています。お客様の資産は安全です。', bodyEn: 'XRP withdrawals are delayed. Your assets are safe.',
      componentStatuses: { xrptransfer0: 'partial_outage' },
    });
    try {
      const eth = await fileByForm('ETHの指値注文が約定しません。注文から1時間たっています');
      let link = await linkOf(eth);
      assert.equal(link.type, 'trading', 'precondition: a trading ticket');
      assert.equal(link.incidentId, null, 'an ETH order is not about XRP withdrawals');
      assert.equal(link.auto, 0, 'and gets no automatic answer about them');
      const mail = await confirmationFor(eth.email);
      assert.ok(!mail.text.includes('XRP の出金処理が遅れています'), 'nor in the email');

      const ethDelayed = await fileByForm('My ETH order is delayed and still not filled after an hour', { lang: 'en' });
      assert.equal((await linkOf(ethDelayed)).incidentId, null, 'one shared word ("delayed") is not enough');

      const named = await fileByForm('ETH/JPY の注文が約定しません。出金の遅延と関係ありますか？');
      assert.equal((await linkOf(named)).incidentId, null, 'it names ETH/JPY, which this incident does not affect');

      const about = await fileByForm('XRPの出金が遅延しています。いつ届きますか？');
      link = await linkOf(about);
      assert.equal(link.incidentId, xrp, 'control: a ticket about the incident is linked');
      assert.equal(link.auto, 1);
    } finally {
      await resolve(xrp);
    }
  });

  test('outages: a ticket naming an unaffected component is not linked; "is it down?" is linked only when one outage is open', async () => {
    const ws = await declare({
      type: 'outage', nameJa: 'WebSocket 配信の停止', nameEn: 'WebSocket feed stopped',
      bodyJa: 'WebSocket の配信が止まっています。', bodyEn: 'The WebSocket feed has stopped.',
      componentStatuses: { websocket000: 'major_outage' },
    });
    let signin: string | null = null;
    try {
      const rest = await fileByForm('REST API が落ちていますか？ 500エラーが返ってきます');
      let link = await linkOf(rest);
      assert.equal(link.type, 'outage', 'precondition: an outage ticket');
      assert.equal(link.incidentId, null, 'it names the REST API, which this outage does not affect');

      const generic = await fileByForm('取引所が落ちていますか？サイトが開きません');
      link = await linkOf(generic);
      assert.equal(link.type, 'outage');
      assert.equal(link.incidentId, ws, 'one outage open: a general "is it down?" means that one');
      assert.equal(link.auto, 1);

      // An automatic answer is not a person answering: the first-response SLA still runs.
      const { ticket, sla } = await staffTicket(generic.id);
      assert.equal(ticket.firstRespondedAt, null);
      assert.notEqual(sla.firstResponse, 'met');
      assert.equal(sla.firstResponse, 'ok');
      assert.ok((await staffJson(admin, '/staff/tickets?sla=due_soon')).tickets.every((x: any) => x.id !== generic.id));

      signin = await declare({
        type: 'outage', nameJa: 'ログインできない障害', nameEn: 'Sign-in failure',
        bodyJa: 'ログインできない状態です。', bodyEn: 'Sign-in is failing.',
        componentStatuses: { signin000000: 'major_outage' },
      });
      const ambiguous = await fileByForm('取引所が落ちていますか？アプリが開きません');
      link = await linkOf(ambiguous);
      assert.equal(link.type, 'outage');
      assert.equal(link.incidentId, null, 'two outages open: which one is meant is left to staff');
      assert.equal(link.auto, 0);
      const mail = await confirmationFor(ambiguous.email);
      assert.ok(!mail.text.includes('WebSocket の配信') && !mail.text.includes('ログインできない状態'), 'no guessed answer by email');
    } finally {
      await resolve(ws);
      if (signin) await resolve(signin);
    }
  });
});

describe('bulk reply to the tickets linked to an incident', () => {
  test('sent twice from the same page: each user gets one email; a security report linked by hand is left alone, also when resolving', async () => {
    const incident = await declare({
      type: 'outage', severity: 'SEV1', nameJa: '取引所全体の接続障害', nameEn: 'Exchange-wide connection failure',
      bodyJa: '取引所に接続しづらい状態です。調査しています。', bodyEn: 'The exchange is hard to reach. We are investigating.',
      componentStatuses: { restapi00000: 'major_outage', pairbtcjpy00: 'major_outage' },
    });
    try {
      const ja = await fileByForm('取引所が落ちていますか？サイトが開きません');
      const en = await fileByForm('Is the exchange down? The site does not load.', { lang: 'en' }, { 'accept-language': 'en' });
      for (const f of [ja, en]) assert.equal((await staffTicket(f.id)).ticket.incidentId, incident, 'linked automatically');
      const security = await fileByForm('身に覚えのない出金があります。アカウントが乗っ取られたかもしれません', { category: 'security' });
      let sec = await staffTicket(security.id);
      assert.equal(sec.ticket.type, 'security');
      assert.equal(sec.ticket.incidentId, null, 'never linked automatically');
      // A colleague links it by hand (it happened during the outage).
      let res = await admin.postForm(`/staff/tickets/${security.id}/link`, { incident });
      assert.equal(res.status, 303);
      sec = await staffTicket(security.id);
      assert.equal(sec.ticket.incidentId, incident);
      assert.equal(sec.ticket.incidentLink, 'staff');
      for (const f of [ja, en, security]) await confirmationFor(f.email);
      await mailDrained();
      const before = new Map([ja, en, security].map((f) => [f.email, mailsTo(f.email).length]));

      const page = await (await admin.get(`/staff/incidents/${incident}/tickets`)).text();
      assert.ok(plain(page).includes(msg('ja', 'desk.linkedCount', { count: 3 })), 'all three are listed');
      const key = hidden(page, 'key');
      const BULK_JA = 'ただいま復旧作業中です。復旧までは注文をお控えください。';
      const BULK_EN = 'We are working on a fix. Please hold off on orders until it is back.';
      const send = () => admin.postForm(`/staff/incidents/${incident}/tickets/reply`, { key, body: BULK_JA, bodyEn: BULK_EN });
      const [r1, r2] = [await send(), await send()];
      for (const r of [r1, r2]) {
        assert.equal(r.status, 303);
        assert.equal(r.headers.get('location'), `/staff/incidents/${incident}/tickets?sent=2`);
      }
      await smtp.waitFor((m) => m.to.includes(ja.email) && m.text.includes(BULK_JA));
      await smtp.waitFor((m) => m.to.includes(en.email) && m.text.includes(BULK_EN));
      await mailDrained();
      for (const [f, text] of [[ja, BULK_JA], [en, BULK_EN]] as const) {
        const got = mailsTo(f.email).slice(before.get(f.email));
        assert.equal(got.length, 1, `exactly one email to ${f.email}`);
        assert.ok(got[0]!.text.includes(text));
        assert.ok(got[0]!.text.includes(app.baseUrl + f.path), 'about their own ticket');
        const { ticket, messages } = await staffTicket(f.id);
        assert.equal(messages.filter((m) => m.kind === 'reply').length, 1, 'one reply in the thread');
        assert.equal(ticket.status, 'pending_user');
      }
      assert.equal(mailsTo(security.email).length, before.get(security.email), 'the security report gets no bulk email');
      sec = await staffTicket(security.id);
      assert.equal(sec.messages.filter((m) => m.kind === 'reply').length, 0);
      assert.equal(sec.ticket.status, 'new', 'it still waits for a person');

      // A fresh page is a fresh key: a deliberate second bulk reply is possible.
      assert.notEqual(hidden(await (await admin.get(`/staff/incidents/${incident}/tickets`)).text(), 'key'), key);

      // Resolving with "solve the linked tickets": the security report is not solved with the outage.
      const RESOLVED_JA = '接続障害は復旧しました。ご迷惑をおかけしました。';
      await resolve(incident, { bodyJa: RESOLVED_JA, bodyEn: 'Connections are back to normal.', solveLinked: 'true' });
      for (const f of [ja, en]) {
        await smtp.waitFor((m) => m.to.includes(f.email) && /解決済み|solved/.test(m.subject));
        assert.equal((await staffTicket(f.id)).ticket.status, 'solved');
      }
      await mailDrained();
      sec = await staffTicket(security.id);
      assert.equal(sec.ticket.status, 'new', 'the security report is not solved');
      assert.equal(sec.messages.filter((m) => m.kind === 'reply').length, 0);
      assert.equal(mailsTo(security.email).length, before.get(security.email), 'and its reporter is told nothing about the outage');
      for (const f of [ja, en]) assert.equal(mailsTo(f.email).length, before.get(f.email)! + 2, 'bulk reply + resolution, once each');
    } finally {
      if ((await unresolved()).some((i) => i.id === incident)) await resolve(incident);
    }
  });
});

describe('a small deployment behind a proxy (contactRateLimit 2, no SMTP)', () => {
  let small: RunningApp;
  let agent: StaffClient;
  const PHONE = '03-6721-1100';
  const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });
  const ticketsFrom = async (ip: string) => (await small.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets WHERE ip = $1', [ip]))[0]!.n;

  before(async () => {
    small = await startApp({ demo: false, config: { contactRateLimit: 2, trustProxy: true } });
    agent = await StaffClient.signIn(small.baseUrl, await makeStaff(small.db, 'agent'));
  });
  after(async () => {
    await small?.stop();
  });

  test('per address: mistakes do not use up the allowance; the third ticket gets 429 with the phone number', async () => {
    const ip = '203.0.113.10';
    for (let i = 0; i < 5; i++) {
      const res = await postContact({ body: '', email: newEmail('typo') }, from(ip), small.baseUrl);
      assert.equal(res.status, 400, 'an empty message is refused');
    }
    await fileByForm('入金が反映されません (1)', {}, from(ip), small.baseUrl);
    await fileByForm('入金が反映されません (2)', {}, from(ip), small.baseUrl);
    const res = await postContact({ body: 'アカウントが乗っ取られました', email: newEmail('third') }, from(ip), small.baseUrl);
    assert.equal(res.status, 429);
    const text = plain(await res.text());
    assert.ok(text.includes(PHONE), `the refusal gives the phone number: ${text.slice(0, 400)}`);
    assert.ok(text.includes(msg('ja', 'error.RATE_LIMITED.contact', { phone: PHONE })));
    assert.ok(text.includes('アカウントが乗っ取られました'), 'the text is kept in the form');
    assert.equal(await ticketsFrom(ip), 2);
    const en = await postContact({ body: 'hacked', email: newEmail('third'), lang: 'en' }, from(ip), small.baseUrl);
    assert.equal(en.status, 429);
    assert.ok(plain(await en.text()).includes(msg('en', 'error.RATE_LIMITED.contact', { phone: PHONE })));
    // Another address behind the same proxy is not affected.
    await fileByForm('入金が反映されません (other)', {}, from('203.0.113.11'), small.baseUrl);
  });

  test('per address: a flood of invalid submissions is limited too (attempts: max(3×, 30) per 10 minutes)', async () => {
    const ip = '203.0.113.20';
    for (let i = 0; i < 30; i++) {
      const res = await postContact({ body: '', email: 'flood@example.jp' }, from(ip), small.baseUrl);
      assert.equal(res.status, 400, `attempt ${i + 1}`);
    }
    const over = await postContact({ body: '', email: 'flood@example.jp' }, from(ip), small.baseUrl);
    assert.equal(over.status, 429, 'the 31st attempt');
    const valid = await postContact({ body: '本当の問い合わせです', email: newEmail('flood') }, from(ip), small.baseUrl);
    assert.equal(valid.status, 429, 'then even a valid one waits');
    assert.ok(plain(await valid.text()).includes(PHONE));
    assert.equal(await ticketsFrom(ip), 0);
  });

  test('per recipient: past 5 in 10 minutes to one address, reports are still filed but get no confirmation mail', async () => {
    // Refusing them would let anyone silence a victim's address by filing five tickets in its name.
    const target = newEmail('target');
    for (let i = 1; i <= 5; i++) await fileByForm(`お問い合わせ ${i}`, { email: target }, from(`198.51.100.${i}`), small.baseUrl);
    const sixth = await postContact({ body: 'お問い合わせ 6', email: target.toUpperCase() }, from('198.51.100.6'), small.baseUrl);
    assert.equal(sixth.status, 303, 'the sixth report is filed');
    assert.equal((await small.db.query('SELECT 1 FROM tickets WHERE lower(email) = $1', [target])).length, 6);
    const outbox = await small.db.query('SELECT 1 FROM mail_outbox WHERE lower(to_address) = $1', [target]);
    assert.equal(outbox.length, 5, 'five confirmation emails at most (the same address in capitals counts as the same recipient)');
    await fileByForm('別の宛先なら受け付けます', {}, from('198.51.100.6'), small.baseUrl);
  });

  test('a bulk reply to 2,000 linked tickets completes: one reply and one queued email per ticket', async () => {
    const commander = await StaffClient.signIn(small.baseUrl, await makeStaff(small.db, 'incident_commander'));
    const incident = await declare({
      type: 'outage', severity: 'SEV1', nameJa: '全面停止', nameEn: 'Full outage', bodyJa: '全面的に停止しています。', bodyEn: 'Everything is down.',
    }, commander);
    const N = 2000;
    await small.db.query(
      `INSERT INTO tickets (id, email, lang, body, type, priority, triage_type, triage_priority, status, incident_id, incident_link,
                            first_response_due_at, resolution_due_at, created_at, updated_at)
       SELECT 'bulk' || lpad(g::text, 8, '0'), 'bulk-' || g || '@example.jp', CASE WHEN g % 10 = 0 THEN 'en' ELSE 'ja' END,
              '取引所が落ちていますか？ #' || g, 'outage', 'high', 'outage', 'high', 'open', $1, 'auto',
              now() + interval '4 hours', now() + interval '2 days', now(), now()
         FROM generate_series(1, $2::int) AS g`,
      [incident, N],
    );
    const page = await (await agent.get(`/staff/incidents/${incident}/tickets`)).text();
    assert.ok(plain(page).includes(msg('ja', 'desk.linkedCount', { count: N })));
    const key = hidden(page, 'key');
    const BULK_JA = '現在復旧作業中です。';
    const BULK_EN = 'We are working on it.';
    const started = Date.now();
    const res = await agent.postForm(`/staff/incidents/${incident}/tickets/reply`, { key, body: BULK_JA, bodyEn: BULK_EN });
    const took = Date.now() - started;
    console.log(`bulk reply to ${N} linked tickets on PGlite: ${took} ms`);
    assert.equal(res.status, 303, await res.text());
    assert.equal(res.headers.get('location'), `/staff/incidents/${incident}/tickets?sent=${N}`);

    const [counts] = await small.db.query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM ticket_messages WHERE kind = 'reply' AND ticket_id LIKE 'bulk%')::int AS replies,
              (SELECT count(DISTINCT ticket_id) FROM ticket_messages WHERE kind = 'reply' AND ticket_id LIKE 'bulk%')::int AS replied,
              (SELECT count(*) FROM mail_outbox WHERE ticket_id LIKE 'bulk%')::int AS mails,
              (SELECT count(DISTINCT ticket_id) FROM mail_outbox WHERE ticket_id LIKE 'bulk%')::int AS mailed,
              (SELECT count(*) FROM mail_outbox o JOIN tickets t ON t.id = o.ticket_id
                WHERE t.id LIKE 'bulk%' AND o.to_address = t.email
                  AND strpos(o.text_body, CASE WHEN t.lang = 'en' THEN $1 ELSE $2 END) > 0)::int AS right_text,
              (SELECT count(*) FROM tickets WHERE id LIKE 'bulk%' AND status = 'pending_user' AND first_responded_at IS NOT NULL)::int AS waiting`,
      [BULK_EN, BULK_JA],
    );
    assert.deepEqual(counts, { replies: N, replied: N, mails: N, mailed: N, right_text: N, waiting: N });

    // The same form again: nothing more.
    const again = await agent.postForm(`/staff/incidents/${incident}/tickets/reply`, { key, body: BULK_JA, bodyEn: BULK_EN });
    assert.equal(again.status, 303);
    const [total] = await small.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE ticket_id LIKE 'bulk%'`);
    assert.equal(total!.n, N);
  });
});
