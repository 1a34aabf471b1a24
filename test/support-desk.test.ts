import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, makeStaff, StaffClient, eventually, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';
import { t, type Lang, type MessageKey } from '../src/web/i18n.ts';
import { emailFactory, plain } from './support/text.ts';

/** Wednesday 2026-11-25 10:00 JST: the phone line is open. */
const WED_10_JST = new Date('2026-11-25T01:00:00Z');
let now = WED_10_JST;

let app: RunningApp;
let smtp: SmtpTestServer;
let admin: StaffClient;
let agent: StaffClient;
let viewer: StaffClient;
let agentId: string;
let agentName: string;

const newEmail = emailFactory();


const msg = (lang: Lang, key: string, params: Record<string, string | number> = {}) => t(lang, key as MessageKey, params);

function postContact(body: string | Buffer | URLSearchParams, headers: Record<string, string> = {}, base = app.baseUrl): Promise<Response> {
  return fetch(`${base}/contact`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body instanceof URLSearchParams ? body.toString() : body,
  });
}

interface Filed {
  id: string;
  token: string;
  /** /tickets/<id>/<token> */
  path: string;
  /** The redirect target (with ?received=1). */
  location: string;
  email: string;
}

/** Files a ticket through the HTML form, as a browser without JavaScript would. */
async function fileByForm(text: string, fields: Record<string, string> = {}, base = app.baseUrl): Promise<Filed> {
  const email = fields.email ?? newEmail('user');
  const res = await postContact(new URLSearchParams({ body: text, email, ...fields }), {}, base);
  assert.equal(res.status, 303, await res.text());
  const location = res.headers.get('location') ?? '';
  const m = /^\/tickets\/([0-9a-z]+)\/([A-Za-z0-9_-]{32})\?received=1$/.exec(location);
  assert.ok(m, `redirect to the secret link, got ${location}`);
  return { id: m[1]!, token: m[2]!, path: `/tickets/${m[1]}/${m[2]}`, location, email };
}

/** Files a ticket as a JSON client. */
async function fileByJson(text: string, fields: Record<string, string> = {}): Promise<{ ticketId: string; number: number; link: string; type: string; priority: string; email: string }> {
  const email = fields.email ?? newEmail('json');
  const res = await fetch(`${app.baseUrl}/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ body: text, email, ...fields }),
  });
  assert.equal(res.status, 201);
  return { ...((await res.json()) as { ticketId: string; number: number; link: string; type: string; priority: string }), email };
}

async function staffJson(client: StaffClient, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: client.cookie, accept: 'application/json' } });
  return { status: res.status, body: await res.json() };
}

const staffTicket = async (id: string) => {
  const { status, body } = await staffJson(admin, `/staff/tickets/${id}`);
  assert.equal(status, 200);
  return body as { ticket: any; sla: any; messages: { kind: string; body: string }[] };
};

const queueJson = async (query = '') => {
  const { status, body } = await staffJson(admin, `/staff/tickets${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body as { total: number; tickets: any[] };
};

const getPage = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(app.baseUrl + path, { headers });
  return { status: res.status, html: await res.text(), res };
};

const ticketCount = async (db = app.db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets'))[0]!.n;
const mailsTo = (address: string): ReceivedMail[] => smtp.messages.filter((m) => m.to.includes(address));
const confirmationFor = (email: string) => smtp.waitFor((m) => m.to.includes(email) && /受付番号|ticket \d/.test(m.subject), 5000);

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({
    demo: false,
    clock: () => now,
    config: { smtpUrl: smtp.url, mailSender: { pollMs: 100, backoffBaseMs: 50 }, contactRateLimit: 1000 },
  });
  admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  const agentEmail = await makeStaff(app.db, 'agent');
  agent = await StaffClient.signIn(app.baseUrl, agentEmail);
  viewer = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'));
  const [row] = await app.db.query<{ id: string; name: string }>('SELECT id, name FROM staff WHERE email = $1', [agentEmail]);
  agentId = row!.id;
  agentName = row!.name;
});
after(async () => {
  await app?.stop();
  await smtp?.stop();
});

describe('the contact form', () => {
  test('GET /contact: Japanese by default, English on request, every field, no script', async () => {
    const ja = await getPage('/contact');
    assert.equal(ja.status, 200);
    assert.match(ja.html, /<html lang="ja">/);
    assert.ok(plain(ja.html).includes(msg('ja', 'contact.title')));
    assert.ok(plain(ja.html).includes(msg('ja', 'contact.noSecrets')), 'the form warns never to send passwords or keys');
    const en = await getPage('/contact?lang=en');
    assert.equal(en.status, 200);
    assert.match(en.html, /<html lang="en">/);
    assert.ok(plain(en.html).includes('Contact support'));
    assert.ok(!plain(en.html).includes(msg('ja', 'contact.title')), 'no Japanese heading on the English page');

    for (const page of [ja.html, en.html]) {
      assert.match(page, /<form method="post" action="\/contact"/);
      assert.match(page, /<textarea[^>]*name="body"/);
      assert.match(page, /<input type="email"[^>]*name="email"/);
      for (const field of ['orderId', 'transactionId', 'asset', 'amount']) assert.match(page, new RegExp(`<input[^>]*name="${field}"`), field);
      const select = /<select id="category" name="category">([\s\S]*?)<\/select>/.exec(page);
      assert.ok(select, 'a category select');
      for (const type of ['', 'outage', 'security', 'trading', 'regulatory', 'other']) assert.ok(select[1]!.includes(`value="${type}"`), type);
      assert.doesNotMatch(page, /<script/i, 'works without JavaScript');
    }
  });
});

describe('the staff queue', () => {
  test('a security report filed after a flood of outage reports is the first row; filters narrow the list', async () => {
    const outages: string[] = [];
    for (let i = 0; i < 5; i++) outages.push((await fileByJson(`サイトが重すぎて注文画面が開けない。障害ですか？ (${i})`)).ticketId);
    const security = await fileByJson('身に覚えのない出金があります。アカウントが乗っ取られたかもしれません');
    assert.equal(security.type, 'security');
    assert.equal(security.priority, 'urgent');

    const queue = await queueJson();
    assert.equal(queue.tickets[0].id, security.ticketId, 'the urgent security ticket leads the queue');
    for (const id of outages) assert.ok(queue.tickets.some((x) => x.id === id));
    const page = await admin.get('/staff/tickets');
    assert.equal(page.status, 200);
    const html = await page.text();
    const firstRow = html.split('<tbody>')[1]!.split('</tr>')[0]!;
    assert.ok(firstRow.includes(`>${security.number}</a>`), 'first row on the page is the security ticket');
    assert.ok(plain(firstRow).includes(msg('ja', 'desk.urgentSecurity')));

    const ids = (q: { tickets: any[] }) => q.tickets.map((x) => x.id as string);
    const bySecurity = await queueJson('?type=security');
    assert.ok(bySecurity.tickets.every((x) => x.type === 'security'));
    assert.ok(ids(bySecurity).includes(security.ticketId));
    assert.ok(!outages.some((id) => ids(bySecurity).includes(id)));

    const urgent = await queueJson('?priority=urgent');
    assert.ok(urgent.tickets.every((x) => x.priority === 'urgent'));
    assert.ok(ids(urgent).includes(security.ticketId));

    // Assign one; it leaves the unassigned view and shows in the agent's.
    assert.equal((await admin.postForm(`/staff/tickets/${outages[0]}/assign`, { assignee: agentId })).status, 303);
    const unassigned = await queueJson('?assignee=none');
    assert.ok(unassigned.tickets.every((x) => x.assigneeId === null));
    assert.ok(!ids(unassigned).includes(outages[0]!));
    assert.ok(ids(unassigned).includes(outages[1]!));
    assert.deepEqual(ids(await queueJson(`?assignee=${agentId}`)), [outages[0]]);

    // Solved tickets leave the default (active) view but stay under status=all.
    assert.equal((await admin.postForm(`/staff/tickets/${outages[1]}/status`, { status: 'solved' })).status, 303);
    assert.ok(!ids(await queueJson()).includes(outages[1]!));
    const all = await queueJson('?status=all');
    assert.ok(ids(all).includes(outages[1]!));
    assert.ok(all.total > (await queueJson()).total);
    assert.deepEqual(ids(await queueJson('?status=solved')), [outages[1]]);

    // No incident is open in this app: nothing is linked.
    assert.equal((await queueJson('?incident=any')).total, 0);
    assert.ok(ids(await queueJson('?incident=none')).includes(security.ticketId));

    // Combined filters.
    assert.deepEqual(ids(await queueJson('?type=outage&priority=urgent')), []);

    // A bad filter value is refused with a message, not ignored.
    for (const [query, text] of [
      ['?priority=panic', '「優先度」の値が正しくありません。'],
      ['?status=everything', '「状態」の値が正しくありません。'],
      ['?sla=late', '「SLA」の値が正しくありません。'],
      ['?incident=%27%3B--', '「障害」の ID が正しくありません。'],
      ['?type=hack', '「種類」の値が正しくありません。'],
    ] as const) {
      const res = await admin.get(`/staff/tickets${query}`);
      assert.equal(res.status, 400, query);
      const body = plain(await res.text());
      assert.ok(body.includes(text), `${query}: ${body.slice(0, 300)}`);
    }
    const json = await staffJson(admin, '/staff/tickets?priority=panic');
    assert.equal(json.status, 400);
    assert.equal(json.body.code, 'VALIDATION');
    assert.match(json.body.message, /優先度/);
  });
});

describe('filing a ticket', () => {
  test('form POST → 303 to the secret link, a number, next steps, and a confirmation email with the same link', async () => {
    const filed = await fileByForm('日本円の入金が反映されていません。振込から3時間経っています');
    const page = await getPage(filed.location);
    assert.equal(page.status, 200);
    assert.equal(page.res.headers.get('cache-control'), 'no-store');
    assert.equal(page.res.headers.get('referrer-policy'), 'no-referrer', 'the secret link never leaks in a Referer');
    assert.match(page.res.headers.get('x-robots-tag') ?? '', /noindex/);
    const text = plain(page.html);
    const number = /受付番号: (\d+)/.exec(text)?.[1];
    assert.ok(number, `the number is shown: ${text.slice(0, 500)}`);
    assert.ok(text.includes(msg('ja', 'contact.received')));
    assert.ok(text.includes(msg('ja', 'next.title')), 'next steps are shown');
    assert.ok(text.includes(msg('ja', 'contact.emailSent', { email: filed.email })));

    const mail = await confirmationFor(filed.email);
    assert.ok(mail.subject.includes(number), `number in the subject: ${mail.subject}`);
    assert.ok(mail.text.includes(`受付番号は ${number} です`));
    const link = app.baseUrl + filed.path;
    assert.ok(mail.text.includes(`\n${link}\n`), `the exact secret link is in the mail:\n${mail.text}`);
    // Anyone can type any address into the form: the mail must not carry their words under the exchange's name.
    assert.ok(!mail.text.includes('日本円の入金が反映されていません'), 'the message is not quoted back');
    // An automatic mail (RFC 3834), from the Japanese sender name.
    assert.equal(mail.headers['auto-submitted'], 'auto-generated');
    assert.match(mail.from, new RegExp(`^"?${app.config.exchangeNameJa}"? <`));
    // An English request gets its confirmation under the English name.
    const english = await fileByForm('My JPY deposit has not arrived after three hours.', { lang: 'en' });
    const englishMail = await confirmationFor(english.email);
    assert.match(englishMail.subject, /We received your request/);
    assert.match(englishMail.from, new RegExp(`^"?${app.config.exchangeNameEn}"? <`));

    const followed = await fetch(link);
    assert.equal(followed.status, 200);
    const followedText = plain(await followed.text());
    assert.ok(followedText.includes(msg('ja', 'ticket.title', { number })));
    assert.ok(followedText.includes('日本円の入金が反映されていません'));
    assert.ok(!followedText.includes(msg('ja', 'contact.received')), 'the "received" box is for the first visit only');

    const [row] = await app.db.query<{ number: string; email: string; lang: string }>('SELECT number, email, lang FROM tickets WHERE id = $1', [filed.id]);
    assert.equal(String(row!.number), number);
    assert.equal(row!.email, filed.email);
    assert.equal(row!.lang, 'ja');
  });

  test('next steps follow triage: security (phone open / closed), outage, trading', async () => {
    const sec = await fileByForm('身に覚えのない出金があります。アカウントが乗っ取られたかもしれません');
    const { ticket } = await staffTicket(sec.id);
    assert.equal(ticket.type, 'security');
    assert.equal(ticket.priority, 'urgent');
    const phone = app.config.supportPhone;
    const secPage = (await getPage(sec.location)).html;
    let text = plain(secPage);
    for (const key of ['next.security.lead', 'next.security.lock', 'next.security.password', 'next.security.twoFactor', 'next.security.police']) {
      assert.ok(text.includes(msg('ja', key)), key);
    }
    // Lock first, and every step that can be done is a link that does it.
    const steps = secPage.slice(secPage.indexOf('<ol class="steps">'));
    const firstStep = steps.slice(steps.indexOf('<li>'), steps.indexOf('</li>'));
    assert.match(firstStep, new RegExp(`^<li><a class="next-lock" href="/help/lock">${msg('ja', 'next.security.lock')}</a>`), firstStep);
    for (const [key, href] of [['next.security.password', '/account#password'], ['next.security.twoFactor', '/account/2fa'], ['next.security.police', app.config.policeCyberUrl]] as const) {
      assert.ok(steps.includes(`href="${href}"${href.startsWith('http') ? ' rel="noopener"' : ''}>${msg('ja', key)}</a>`), key);
    }
    assert.ok(text.includes(msg('ja', 'next.security.call', { number: ticket.number })), 'call us, quoting the number');
    assert.ok(text.includes(phone));
    assert.ok(text.includes('受付中 (18:00 まで)'), 'Wednesday 10:00 JST: the line is open');
    assert.ok(!text.includes('次の受付開始'));
    const enSteps = (await getPage(`${sec.location}&lang=en`)).html;
    assert.ok(enSteps.includes(`<a class="next-lock" href="/help/lock?lang=en">${msg('en', 'next.security.lock')}</a>`), 'English: the lock link first too');
    const mail = await confirmationFor(sec.email);
    assert.ok(mail.text.includes(phone), 'the confirmation mail has the phone number too');
    assert.ok(mail.text.includes('パスワードを変更'));

    try {
      now = new Date('2026-11-27T18:00:00Z'); // Saturday 03:00 JST
      text = plain((await getPage(sec.location)).html);
      assert.ok(!text.includes('受付中'));
      assert.ok(text.includes('受付時間外です。次の受付開始: 11月30日(月) 9:00'), text.slice(text.indexOf('緊急連絡用'), text.indexOf('緊急連絡用') + 300));
      assert.ok(text.includes(msg('ja', 'help.phone.closed.lock')), 'while closed: lock first');
      now = new Date('2026-12-29T01:00:00Z'); // Tuesday 10:00 JST, but the year-end closure
      text = plain((await getPage(sec.location)).html);
      assert.ok(text.includes('次の受付開始: 1月4日(月) 9:00'));
      assert.ok(text.includes(msg('ja', 'help.phone.reason.year_end')));
      const en = plain((await getPage(`${sec.location}&lang=en`)).html);
      assert.ok(en.includes('Closed now. Opens Mon 1/4 9:00'), 'English too');
    } finally {
      now = WED_10_JST;
    }

    const outage = await fileByForm('サイトが重すぎて注文画面が開けない。障害ですか？');
    assert.equal((await staffTicket(outage.id)).ticket.type, 'outage');
    const outagePage = (await getPage(outage.location)).html;
    text = plain(outagePage);
    assert.ok(text.includes(msg('ja', 'next.outage.lead')), 'do not trade during the outage');
    assert.ok(outagePage.includes(`<a href="/">${msg('ja', 'next.outage.status')}</a>`), 'a link to the status page');
    assert.ok(text.includes(msg('ja', 'next.outage.allOk')), 'no incident is open right now');
    assert.ok(!text.includes(msg('ja', 'next.security.password')));

    const trading = await fileByForm('指値注文が約定価格に達しているのに約定しません');
    assert.equal((await staffTicket(trading.id)).ticket.type, 'trading');
    text = plain((await getPage(trading.location)).html);
    assert.ok(text.includes(msg('ja', 'next.trading.lead')));
    for (const item of ['注文ID', 'トランザクションID (TXID)', '通貨と数量', '発生した日時']) assert.ok(text.includes(item), item);
    assert.ok(!text.includes(msg('ja', 'help.phone.title')) && !text.includes(app.config.supportPhone), 'the phone line is for security cases only');
  });
});

describe('working a ticket', () => {
  let filed: Filed;
  let number: number;

  before(async () => {
    filed = await fileByForm('日本円の入金が3時間たっても反映されません。振込は完了しています', { orderId: 'ORD-77', asset: 'jpy', amount: '100,000' });
    number = (await staffTicket(filed.id)).ticket.number;
    await confirmationFor(filed.email);
  });

  test('triage reasons, public reply by email, SLA paused, internal notes stay internal, the user answers', async () => {
    const page = await admin.get(`/staff/tickets/${filed.id}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const { ticket } = await staffTicket(filed.id);
    assert.ok(ticket.triageReasons.length > 0, 'triage explains itself');
    const reasons = /<ul class="reasons">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    assert.ok(plain(html).includes(msg('ja', 'desk.triageReasons')));
    for (const r of ticket.triageReasons) assert.ok(reasons.includes(`data-rule="${r.rule}"`), `reason ${r.rule} shown`);
    assert.ok(plain(html).includes('ORD-77') && plain(html).includes('JPY'), 'the form details are shown');

    const replyText = 'お問い合わせありがとうございます。入金の状況を確認しています。振込名義をお知らせください。';
    let res = await admin.postForm(`/staff/tickets/${filed.id}/reply`, { body: replyText });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/staff/tickets/${filed.id}?ok=replied`);
    const mail = await smtp.waitFor((m) => m.to.includes(filed.email) && m.text.includes(replyText));
    assert.equal(mail.headers['auto-submitted'], undefined, 'a person wrote it');
    assert.ok(mail.subject.includes(String(number)));
    assert.ok(mail.subject.includes('回答'));
    assert.ok(mail.text.includes(app.baseUrl + filed.path), 'the reply mail carries the secret link');

    let state = await staffTicket(filed.id);
    assert.equal(state.ticket.status, 'pending_user');
    assert.equal(state.sla.firstResponse, 'met');
    assert.equal(state.sla.resolution, 'paused');
    assert.ok(plain(await (await admin.get(`/staff/tickets/${filed.id}`)).text()).includes(msg('ja', 'desk.sla.paused')));

    const note = '社内メモ: 銀行側のバッチ遅延の可能性。経理に確認中 (外部に出さないこと)';
    res = await admin.postForm(`/staff/tickets/${filed.id}/notes`, { body: note });
    assert.equal(res.status, 303);
    assert.ok(plain(await (await admin.get(`/staff/tickets/${filed.id}`)).text()).includes(note), 'staff see the note');
    const userHtml = (await getPage(filed.path)).html;
    assert.ok(plain(userHtml).includes(replyText), 'the user sees the public reply');
    assert.ok(!userHtml.includes('バッチ遅延'), 'the note is not on the user page');
    assert.ok(!plain(userHtml).includes(msg('ja', 'ticket.from.note')));
    const userJson = await fetch(app.baseUrl + filed.path, { headers: { accept: 'application/json' } });
    assert.equal(userJson.status, 200);
    const userData = (await userJson.json()) as { number: number; status: string; messages: { kind: string; body: string }[] };
    assert.equal(userData.number, number);
    assert.ok(userData.messages.every((m) => m.kind !== 'note' && !m.body.includes('バッチ遅延')), 'nor in its JSON');
    assert.ok(userData.messages.some((m) => m.kind === 'reply' && m.body === replyText));
    await sleep(300);
    assert.ok(!mailsTo(filed.email).some((m) => m.text.includes('バッチ遅延')), 'and never emailed');

    const answer = '振込名義はヤマダタロウです。よろしくお願いします。';
    res = await fetch(app.baseUrl + filed.path, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ body: answer }).toString(),
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `${filed.path}?replied=1`);
    assert.ok(plain((await getPage(`${filed.path}?replied=1`)).html).includes(msg('ja', 'ticket.replied')));
    state = await staffTicket(filed.id);
    assert.equal(state.ticket.status, 'open', 'the reply reopens the ticket');
    assert.equal(state.sla.resolution === 'paused', false, 'and restarts the clock');
    assert.equal(state.messages.at(-1)?.kind, 'user');
    assert.equal(state.messages.at(-1)?.body, answer);
    assert.ok(plain(await (await admin.get(`/staff/tickets/${filed.id}`)).text()).includes(answer), 'staff see it');
  });

  test('assignment, status change, triage correction (automatic result kept), information request, mark received', async () => {
    let res = await admin.postForm(`/staff/tickets/${filed.id}/assign`, { assignee: agentId });
    assert.equal(res.status, 303);
    let { ticket } = await staffTicket(filed.id);
    assert.equal(ticket.assigneeId, agentId);
    assert.ok(plain(await (await admin.get('/staff/tickets')).text()).includes(agentName), 'the queue names the assignee');

    res = await agent.postForm(`/staff/tickets/${filed.id}/status`, { status: 'solved' });
    assert.equal(res.status, 303);
    assert.equal((await staffTicket(filed.id)).ticket.status, 'solved');
    assert.ok(plain((await getPage(filed.path)).html).includes(`${msg('ja', 'ticket.status')}: ${msg('ja', 'ticket.status.solved')}`), 'the user sees it solved');
    res = await agent.postForm(`/staff/tickets/${filed.id}/status`, { status: 'open' });
    assert.equal(res.status, 303);

    const before = (await staffTicket(filed.id)).ticket;
    const newType = before.type === 'security' ? 'trading' : 'security';
    res = await agent.postForm(`/staff/tickets/${filed.id}/triage`, { type: newType, priority: 'high', note: '入金ではなく不正出金の疑い' });
    assert.equal(res.status, 303);
    ticket = (await staffTicket(filed.id)).ticket;
    assert.equal(ticket.type, newType);
    assert.equal(ticket.priority, 'high');
    assert.equal(ticket.triageType, before.triageType, 'the automatic result is kept');
    assert.equal(ticket.triagePriority, before.triagePriority);
    const staffPage = plain(await (await agent.get(`/staff/tickets/${filed.id}`)).text());
    assert.ok(
      staffPage.includes(msg('ja', 'desk.triageWas', { type: msg('ja', `type.${before.triageType}`), priority: msg('ja', `priority.${before.triagePriority}`) })),
      'the page still shows what automatic triage said (自動判定)',
    );
    assert.ok(staffPage.includes('入金ではなく不正出金の疑い'), 'the correction history shows the note');
    const corrections = await app.db.query<Record<string, string>>('SELECT * FROM triage_corrections WHERE ticket_id = $1', [filed.id]);
    assert.equal(corrections.length, 1);
    assert.equal(corrections[0]!.from_type, before.type);
    assert.equal(corrections[0]!.to_type, newType);
    assert.equal(corrections[0]!.to_priority, 'high');
    assert.equal(corrections[0]!.body, '入金ではなく不正出金の疑い');

    const mailsBefore = mailsTo(filed.email).length;
    res = await agent.postForm(`/staff/tickets/${filed.id}/request-info`, { items: ['transaction_id', 'occurred_at'], body: 'お手数ですがよろしくお願いします。' });
    assert.equal(res.status, 303);
    assert.equal((await staffTicket(filed.id)).ticket.status, 'pending_user');
    let userPage = plain((await getPage(filed.path)).html);
    const requested = userPage.slice(userPage.indexOf(msg('ja', 'ticket.requested')));
    assert.ok(requested.includes('トランザクションID (TXID)') && requested.includes('発生した日時'), 'the user page lists what is requested');
    const mail = await smtp.waitFor((m) => m.to.includes(filed.email) && m.text.includes('・トランザクションID (TXID)'));
    assert.ok(mail.text.includes('・発生した日時'));
    assert.ok(mail.text.includes('お手数ですがよろしくお願いします。'));
    assert.ok(mail.text.includes(app.baseUrl + filed.path));
    assert.equal(mailsTo(filed.email).length, mailsBefore + 1);

    res = await agent.postForm(`/staff/tickets/${filed.id}/checklist`, { item: 'transaction_id', received: 'true' });
    assert.equal(res.status, 303);
    const checklist = (await staffTicket(filed.id)).ticket.checklist as { item: string; receivedAt: string | null }[];
    assert.ok(checklist.find((e) => e.item === 'transaction_id')?.receivedAt);
    assert.equal(checklist.find((e) => e.item === 'occurred_at')?.receivedAt, null);
    userPage = plain((await getPage(filed.path)).html);
    assert.ok(userPage.includes(`トランザクションID (TXID) — ${msg('ja', 'ticket.itemReceived')}`));
    assert.ok(!userPage.includes(`発生した日時 — ${msg('ja', 'ticket.itemReceived')}`));

    // Unknown item, unknown assignee, unknown status: refused, nothing changes.
    const observe = async () => JSON.stringify((await staffTicket(filed.id)).ticket);
    await assertRefusedWithoutChange(observe, () => agent.postForm(`/staff/tickets/${filed.id}/request-info`, { items: ['password'] }), { status: 400, message: /「依頼する情報」の値が正しくありません/ });
    await assertRefusedWithoutChange(observe, () => agent.postForm(`/staff/tickets/${filed.id}/assign`, { assignee: 'nosuchstaff0' }), { status: 404 });
    await assertRefusedWithoutChange(observe, () => agent.postForm(`/staff/tickets/${filed.id}/status`, { status: 'deleted' }), { status: 400 });
  });
});

describe('SLA', () => {
  test('a normal ticket filed Friday 17:00 JST is due Monday 17:00; past due it shows as breached; urgent counts around the clock', async () => {
    try {
      now = new Date('2026-11-27T08:00:00Z'); // Friday 17:00 JST
      const normal = await fileByJson('日本円の入金が反映されていません。振込から3時間経っています');
      assert.equal(normal.priority, 'normal', 'precondition: triaged normal');
      let state = await staffTicket(normal.ticketId);
      assert.equal(state.ticket.firstResponseDueAt, '2026-11-30T08:00:00.000Z', 'one business hour on Friday, eight on Monday');
      assert.equal(state.sla.firstResponse, 'ok');

      now = new Date('2026-11-30T07:59:00Z');
      assert.ok(!(await queueJson('?sla=breached')).tickets.some((x) => x.id === normal.ticketId));
      assert.ok((await queueJson('?sla=due_soon')).tickets.some((x) => x.id === normal.ticketId), 'a minute before: due soon');

      now = new Date('2026-11-30T08:01:00Z'); // Monday 17:01 JST
      state = await staffTicket(normal.ticketId);
      assert.equal(state.sla.firstResponse, 'breached');
      const breached = await queueJson('?sla=breached');
      assert.ok(breached.tickets.some((x) => x.id === normal.ticketId));
      const html = await (await admin.get('/staff/tickets?sla=breached')).text();
      const row = html.split('</tr>').find((r) => r.includes(`>${normal.number}</a>`));
      assert.ok(row, 'the breached ticket is on the page');
      assert.ok(plain(row).includes(`${msg('ja', 'desk.firstResponse')}: ${msg('ja', 'desk.sla.breached')}`), plain(row));

      now = new Date('2026-11-27T18:00:00Z'); // Saturday 03:00 JST
      const urgent = await fileByJson('BTCが勝手に出金されています！私は操作していません');
      assert.equal(urgent.priority, 'urgent');
      state = await staffTicket(urgent.ticketId);
      assert.equal(state.ticket.firstResponseDueAt, '2026-11-27T19:00:00.000Z', 'Saturday 04:00 JST: urgent does not wait for Monday');
    } finally {
      now = WED_10_JST;
    }
  });
});

describe("the user's side is private", () => {
  test('wrong, unknown, truncated or borrowed tokens: the same 404, telling nothing', async () => {
    const a = await fileByForm('アプリのダークモードはありますか');
    const b = await fileByForm('登録しているメールアドレスを変更したいです');
    const variants = [
      `/tickets/${a.id}/${'A'.repeat(32)}`,
      `/tickets/zzzzzzzzzzzz/${a.token}`,
      `/tickets/${a.id}/${a.token.slice(0, 31)}`,
      `/tickets/${a.id}/${b.token}`,
      `/tickets/${a.id.toUpperCase()}/${a.token}`,
      `/tickets/${a.id}/${a.token}x`,
    ];
    const bodies = new Set<string>();
    for (const path of variants) {
      const res = await fetch(app.baseUrl + path);
      assert.equal(res.status, 404, path);
      const body = await res.text();
      assert.ok(!body.includes('アプリのダークモード') && !body.includes(a.email), 'nothing of the ticket');
      bodies.add(body);
      const json = await fetch(app.baseUrl + path, { headers: { accept: 'application/json' } });
      assert.equal(json.status, 404);
      assert.equal(((await json.json()) as { code: string }).code, 'NOT_FOUND');
    }
    assert.equal(bodies.size, 1, 'every wrong link gets the very same page');
    assert.ok(plain([...bodies][0]!).includes(msg('ja', 'ticket.notFound')));

    // A reply through a wrong link is not stored anywhere.
    const messages = async () => JSON.stringify((await staffTicket(a.id)).messages);
    await assertRefusedWithoutChange(messages, () => fetch(`${app.baseUrl}/tickets/${a.id}/${b.token}`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'body=hello',
    }), { status: 404 });
    assert.equal((await getPage(a.path)).status, 200, 'the right link still works');
  });

  test('a viewer can read the queue but not reply', async () => {
    const filed = await fileByForm('法人口座の開設に必要な書類を教えてください');
    const number = (await staffTicket(filed.id)).ticket.number;
    const queue = await viewer.get('/staff/tickets');
    assert.equal(queue.status, 200);
    assert.ok((await queue.text()).includes(`>${number}</a>`));
    const page = await viewer.get(`/staff/tickets/${filed.id}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(await page.text(), /action="[^"]*\/reply"/, 'no reply form for a viewer');
    const observe = async () => JSON.stringify([(await staffTicket(filed.id)).messages, (await app.db.query('SELECT count(*)::int AS n FROM mail_outbox'))[0]]);
    await assertRefusedWithoutChange(observe, () => viewer.postForm(`/staff/tickets/${filed.id}/reply`, { body: 'こんにちは' }), { status: 403 });
    await assertRefusedWithoutChange(observe, () => viewer.postJson(`/staff/tickets/${filed.id}/notes`, { body: 'メモ' }), { status: 403, code: 'FORBIDDEN' });
    await assertRefusedWithoutChange(observe, () => viewer.postForm(`/staff/tickets/${filed.id}/status`, { status: 'closed' }), { status: 403 });
  });
});

describe('email trouble', () => {
  test('SMTP down at submission: the ticket and its number exist; the confirmation arrives once SMTP is back, exactly once', async () => {
    smtp.setFailing('all');
    const refusedBefore = smtp.refused;
    let filed: Filed;
    try {
      filed = await fileByForm('APIが502を返し続けています。自動売買が止まっています');
      const text = plain((await getPage(filed.location)).html);
      const number = /受付番号: (\d+)/.exec(text)?.[1];
      assert.ok(number, 'the user sees the number while mail is down');
      assert.equal((await app.db.query('SELECT 1 FROM tickets WHERE id = $1 AND number = $2', [filed.id, number])).length, 1);
      await eventually(async () => smtp.refused >= refusedBefore + 2, 5000);
      const [row] = await app.db.query<{ attempts: number; sent_at: unknown }>('SELECT attempts, sent_at FROM mail_outbox WHERE ticket_id = $1', [filed.id]);
      assert.ok(row!.attempts >= 1);
      assert.equal(row!.sent_at, null);
      assert.equal(mailsTo(filed.email).length, 0);
    } finally {
      smtp.setFailing(0);
    }
    const mail = await confirmationFor(filed.email);
    assert.ok(mail.text.includes(app.baseUrl + filed.path));
    await sleep(600);
    assert.equal(mailsTo(filed.email).length, 1, 'delivered exactly once');
  });
});

describe('bad input is refused clearly, in the user language, and nothing is stored', () => {
  const observe = async () => JSON.stringify((await app.db.query('SELECT (SELECT count(*) FROM tickets)::int AS t, (SELECT count(*) FROM mail_outbox)::int AS m'))[0]);
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => () =>
    postContact(new URLSearchParams({ email: 'ok@example.jp', body: '入金が反映されません', ...fields }), headers);
  const refused = async (send: () => Promise<Response>, status: number, text: string) => {
    const before = await observe();
    const res = await send();
    const page = await res.text();
    assert.equal(res.status, status, page.slice(0, 300));
    assert.ok(plain(page).includes(text), `expected «${text}» in: ${plain(page).slice(0, 600)}`);
    assert.equal(await observe(), before, 'nothing stored');
    return page;
  };

  test('empty, too long, bad email, unknown category', async () => {
    await refused(form({ body: '' }), 400, '「お問い合わせ内容」を入力してください。');
    await refused(form({ body: '   \n  ' }), 400, '「お問い合わせ内容」を入力してください。');
    await refused(form({ body: '' }, { 'accept-language': 'en' }), 400, 'Please fill in "Message".');
    await refused(form({ body: '', lang: 'en' }), 400, 'Please fill in "Message".');
    const long = await refused(form({ body: 'a'.repeat(100_000) }), 400, '「お問い合わせ内容」は 20000 文字以内で入力してください。');
    assert.ok(long.length < 60_000, 'a refused 100 KB text is not echoed back whole');
    for (const email of ['not-an-email', 'user@localhost', 'a b@example.jp', 'user@example.jp\r\nBcc: x@example.jp', '']) {
      await refused(form({ email }), 400, email === '' ? '「メールアドレス」を入力してください。' : 'メールアドレスの形式が正しくありません。');
    }
    await refused(form({ email: 'nope' }, { 'accept-language': 'en' }), 400, 'That email address does not look right.');
    await refused(form({ category: 'hacking' }), 400, '「お問い合わせの種類」の値が正しくありません。');
    await refused(form({ transactionId: '<script>alert(1)</script>' }), 400, '「トランザクションID」の形式が正しくありません。');
    // The refused form comes back filled in, so nothing typed is lost.
    const page = await refused(form({ category: 'hacking', body: '入金が反映されません。注文番号 123' }), 400, '入金が反映されません。注文番号 123');
    assert.match(page, /<input type="email"[^>]*value="ok@example.jp"/);
  });

  test('oversized body, malformed JSON, wrongly encoded forms', async () => {
    await refused(form({ body: 'あ'.repeat(100_000) }), 413, '送信された内容が大きすぎます。'); // ~900 KB encoded
    await refused(() => postContact(`email=ok%40example.jp&body=${'a'.repeat(300 * 1024)}`, { 'accept-language': 'en' }), 413, 'What you sent is too large.');
    const before = await observe();
    const json = await fetch(`${app.baseUrl}/contact`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"body": "down?", "email": ' });
    assert.equal(json.status, 400);
    const err = (await json.json()) as { code: string; message: string };
    assert.equal(err.code, 'MALFORMED_BODY');
    assert.equal(err.message, msg('ja', 'error.MALFORMED_BODY'));
    const wrongType = await fetch(`${app.baseUrl}/contact`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"body": ["x"], "email": "ok@example.jp"}' });
    assert.equal(wrongType.status, 400);
    assert.equal(((await wrongType.json()) as { code: string }).code, 'VALIDATION');
    assert.equal(await observe(), before);

    // Raw bytes that are not UTF-8 (Shift_JIS "あいう").
    await refused(
      () => postContact(Buffer.concat([Buffer.from('email=ok%40example.jp&body='), Buffer.from([0x82, 0xa0, 0x82, 0xa2, 0x82, 0xa4])])),
      400, '「お問い合わせ内容」の文字コードが正しくありません',
    );
    // Percent-escapes that decode to bytes that are not UTF-8.
    await refused(() => postContact('email=ok%40example.jp&body=%FF%FE%82%A0'), 400, '「お問い合わせ内容」の文字コードが正しくありません');
    await refused(() => postContact('email=ok%40example.jp&body=%E5%85%A5%E9%87%91%FF'), 400, '「お問い合わせ内容」の文字コードが正しくありません');
  });

  test('a flood from one address: the 4th submission within 10 minutes gets 429 and is not stored', async () => {
    const small = await startApp({ demo: false, clock: () => now, config: { contactRateLimit: 3 } });
    try {
      const count = () => ticketCount(small.db);
      for (let i = 0; i < 3; i++) await fileByForm(`サイトが重すぎて注文画面が開けない (${i})`, {}, small.baseUrl);
      assert.equal(await count(), 3);
      const res = await postContact(new URLSearchParams({ body: 'サイトが開きません', email: 'flood@example.jp' }), {}, small.baseUrl);
      assert.equal(res.status, 429);
      const text = plain(await res.text());
      assert.ok(text.includes(msg('ja', 'error.RATE_LIMITED.contact', { phone: '03-6721-1100' })), text.slice(0, 500));
      assert.ok(text.includes('サイトが開きません'), 'the text is kept in the form for later');
      const en = await postContact(new URLSearchParams({ body: 'down?', email: 'flood@example.jp', lang: 'en' }), {}, small.baseUrl);
      assert.equal(en.status, 429);
      assert.ok(plain(await en.text()).includes(msg('en', 'error.RATE_LIMITED.contact', { phone: '03-6721-1100' })));
      const json = await fetch(`${small.baseUrl}/contact`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ body: 'down?', email: 'flood@example.jp' }) });
      assert.equal(json.status, 429);
      assert.equal(((await json.json()) as { code: string }).code, 'RATE_LIMITED');
      assert.equal(await count(), 3, 'nothing stored for the refused submissions');
    } finally {
      await small.stop();
    }
  });
});
