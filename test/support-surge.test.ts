import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, makeStaff, StaffClient, eventually, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { t, type MessageKey } from '../src/web/i18n.ts';
import { emailFactory, plain } from './support/text.ts';

let app: RunningApp;
let smtp: SmtpTestServer;
let commander: StaffClient;
let agent: StaffClient;

const newEmail = emailFactory();


interface Filed {
  id: string;
  path: string;
  location: string;
  email: string;
}

/** A user files a ticket through the HTML form (no JavaScript). */
async function fileByForm(text: string, lang: 'ja' | 'en' = 'ja'): Promise<Filed> {
  const email = newEmail(lang === 'en' ? 'user-en' : 'user');
  const res = await fetch(`${app.baseUrl}/contact`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
    body: new URLSearchParams({ body: text, email, lang }).toString(),
  });
  assert.equal(res.status, 303, await res.text());
  const location = res.headers.get('location') ?? '';
  const m = /^\/tickets\/([0-9a-z]+)\/([A-Za-z0-9_-]{32})\?received=1$/.exec(location);
  assert.ok(m, location);
  return { id: m[1]!, path: `/tickets/${m[1]}/${m[2]}`, location, email };
}

async function staffJson(client: StaffClient, path: string): Promise<any> {
  const res = await fetch(client.baseUrl + path, { headers: { cookie: client.cookie, accept: 'application/json' } });
  assert.equal(res.status, 200, path);
  return res.json();
}
const staffTicket = (id: string) => staffJson(agent, `/staff/tickets/${id}`) as Promise<{ ticket: any; sla: any; messages: { kind: string; body: string }[] }>;

const mailsTo = (address: string): ReceivedMail[] => smtp.messages.filter((m) => m.to.includes(address));
const unresolved = async (): Promise<any[]> => ((await (await fetch(`${app.baseUrl}/api/v2/incidents/unresolved.json`)).json()) as { incidents: any[] }).incidents;

async function declare(input: Record<string, unknown>): Promise<string> {
  const res = await commander.postJson('/staff/incidents', input);
  const body = (await res.json()) as { ok: boolean; incidentId: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.incidentId;
}

before(async () => {
  smtp = await startSmtpServer();
  // The demo exchange's components; no incident is open in the demo data.
  app = await startApp({ config: { smtpUrl: smtp.url, mailSender: { pollMs: 100, backoffBaseMs: 50 }, contactRateLimit: 1000 } });
  commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
  agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
});
after(async () => {
  await app?.stop();
  await smtp?.stop();
});

describe('a surge of "is it down?" during an outage', () => {
  const LATEST_JA = '原因はロードバランサーの故障と判明しました。切り替え作業を行っています。お客様の資産は安全です。';
  const LATEST_EN = 'The cause is a failed load balancer; we are switching to a spare. Your assets are safe.';
  const BULK_JA = '現在、取引所に接続しづらい状態が続いています。復旧までは注文をお控えください。';
  const BULK_EN = 'The exchange is still hard to reach. Please hold off on orders until it is fixed.';
  const RESOLVED_JA = '切り替えが完了し、すべての機能が正常に戻りました。ご迷惑をおかけしました。';
  const RESOLVED_EN = 'The switch is done and everything works normally again. We are sorry for the trouble.';
  let incidentId = '';
  let linked: Filed[] = [];
  let english: Filed;
  let unlinked: Filed;
  let security: Filed;

  test('declared outage reaches the public snapshot', async () => {
    assert.equal((await unresolved()).length, 0, 'precondition: no open incident');
    incidentId = await declare({
      type: 'outage', severity: 'SEV1', status: 'investigating',
      nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable',
      bodyJa: '取引所のWebサイトとアプリに接続できない状態です。調査しています。',
      bodyEn: 'The exchange website and app cannot be reached. We are investigating.',
      componentStatuses: { pairbtcjpy00: 'major_outage', restapi00000: 'major_outage' },
    });
    const res = await commander.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'identified', bodyJa: LATEST_JA, bodyEn: LATEST_EN });
    assert.equal(res.status, 200, await res.text());
    await eventually(async () => (await unresolved()).some((i) => i.id === incidentId && i.incident_updates.length === 2), 5000);
  });

  test('each "is it down?" ticket is linked, open, answered at once with the latest public update, also by email', async () => {
    linked = [
      await fileByForm('取引所が落ちていますか？サイトが開きません'),
      await fileByForm('アプリが真っ白で何も表示されません。取引所が落ちていますか？'),
    ];
    english = await fileByForm('Is the exchange down? The trading page has been down for 20 minutes, is there an outage?', 'en');
    linked.push(english);
    unlinked = await fileByForm('サイトが重すぎて注文画面が開けない。取引所が落ちていますか？');

    for (const filed of [...linked, unlinked]) {
      const { ticket, messages } = await staffTicket(filed.id);
      assert.equal(ticket.type, 'outage', filed.email);
      assert.equal(ticket.incidentId, incidentId, `${filed.email} linked automatically`);
      assert.equal(ticket.incidentLink, 'auto');
      assert.equal(ticket.status, 'open', 'answered, so not "new"');
      const auto = messages.filter((m) => m.kind === 'auto');
      assert.equal(auto.length, 1);
      const latest = filed === english ? LATEST_EN : LATEST_JA;
      assert.ok(auto[0]!.body.includes(latest), `the automatic answer has the latest update: ${auto[0]!.body}`);
      assert.ok(!auto[0]!.body.includes('調査しています'), 'not an older one');

      const page = plain(await (await fetch(app.baseUrl + filed.location, { headers: { 'accept-language': filed === english ? 'en' : 'ja' } })).text());
      assert.ok(page.includes(latest), 'the user page shows it');
      assert.ok(page.includes(t(filed === english ? 'en' : 'ja', 'contact.linkedIncident')));

      const mail = await smtp.waitFor((m) => m.to.includes(filed.email));
      assert.ok(mail.text.includes(latest), `the confirmation mail has the update:\n${mail.text}`);
      assert.ok(mail.text.includes(app.baseUrl + filed.path));
    }
    assert.match((await smtp.waitFor((m) => m.to.includes(english.email))).subject, /We received your request/);
  });

  test('a security report during the same outage is not linked and stays first in the queue', async () => {
    security = await fileByForm('my BTC was withdrawn without my permission', 'en');
    const { ticket, messages } = await staffTicket(security.id);
    assert.equal(ticket.type, 'security');
    assert.equal(ticket.priority, 'urgent');
    assert.equal(ticket.incidentId, null, 'never linked automatically');
    assert.equal(ticket.status, 'new');
    assert.ok(!messages.some((m) => m.kind === 'auto'));
    const mail = await smtp.waitFor((m) => m.to.includes(security.email));
    assert.ok(!mail.text.includes(LATEST_EN), 'no outage answer to a takeover report');
    const queue = await staffJson(agent, '/staff/tickets');
    assert.equal(queue.tickets[0].id, security.id);
    const linkedQueue = await staffJson(agent, `/staff/tickets?incident=${incidentId}`);
    assert.deepEqual(new Set(linkedQueue.tickets.map((x: any) => x.id)), new Set([...linked, unlinked].map((f) => f.id)));
  });

  test('staff unlink and link', async () => {
    let res = await agent.postForm(`/staff/tickets/${unlinked.id}/unlink`, {});
    assert.equal(res.status, 303);
    assert.equal((await staffTicket(unlinked.id)).ticket.incidentId, null);

    res = await agent.postForm(`/staff/tickets/${linked[0]!.id}/unlink`, {});
    assert.equal(res.status, 303);
    assert.equal((await staffTicket(linked[0]!.id)).ticket.incidentId, null);
    res = await agent.postForm(`/staff/tickets/${linked[0]!.id}/link`, { incident: incidentId });
    assert.equal(res.status, 303);
    const { ticket } = await staffTicket(linked[0]!.id);
    assert.equal(ticket.incidentId, incidentId);
    assert.equal(ticket.incidentLink, 'staff');
    assert.ok(plain(await (await agent.get(`/staff/tickets/${linked[0]!.id}`)).text()).includes(t('ja', 'desk.linkStaff' as MessageKey)));

    res = await agent.postForm(`/staff/tickets/${unlinked.id}/link`, { incident: 'nosuchincident' });
    assert.equal(res.status, 404);
    assert.equal((await staffTicket(unlinked.id)).ticket.incidentId, null);

    const page = await agent.get(`/staff/incidents/${incidentId}/tickets`);
    assert.equal(page.status, 200);
    const text = plain(await page.text());
    assert.ok(text.includes(t('ja', 'desk.linkedCount', { count: 3 })), text.slice(0, 800));
  });

  test('bulk reply: one email per linked open ticket, none to the security or unlinked ticket', async () => {
    const before = new Map([...linked, unlinked, security].map((f) => [f.email, mailsTo(f.email).length]));
    const res = await agent.postForm(`/staff/incidents/${incidentId}/tickets/reply`, { body: BULK_JA, bodyEn: BULK_EN });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/staff/incidents/${incidentId}/tickets?sent=3`);
    for (const f of linked) await smtp.waitFor((m) => m.to.includes(f.email) && (m.text.includes(BULK_JA) || m.text.includes(BULK_EN)));
    await sleep(500);
    for (const f of linked) {
      const replies = mailsTo(f.email).slice(before.get(f.email));
      assert.equal(replies.length, 1, `exactly one mail to ${f.email}`);
      const expected = f === english ? BULK_EN : BULK_JA;
      assert.ok(replies[0]!.text.includes(expected), `${f.email} got ${replies[0]!.text}`);
      assert.ok(replies[0]!.text.includes(app.baseUrl + f.path), 'on their own ticket');
      const { ticket, messages } = await staffTicket(f.id);
      assert.equal(ticket.status, 'pending_user');
      assert.equal(messages.filter((m) => m.kind === 'reply').length, 1);
    }
    assert.equal(mailsTo(security.email).length, before.get(security.email), 'the security ticket gets nothing');
    assert.equal(mailsTo(unlinked.email).length, before.get(unlinked.email), 'the unlinked ticket gets nothing');
    assert.equal((await staffTicket(security.id)).messages.filter((m) => m.kind === 'reply').length, 0);
  });

  test('resolving with solveLinked solves the linked tickets and tells each user', async () => {
    const before = new Map([...linked, unlinked, security].map((f) => [f.email, mailsTo(f.email).length]));
    const res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, {
      status: 'resolved', visibility: 'public', bodyJa: RESOLVED_JA, bodyEn: RESOLVED_EN, solveLinked: 'true',
    });
    assert.equal(res.status, 303);
    for (const f of linked) {
      const expected = f === english ? RESOLVED_EN : RESOLVED_JA;
      const mail = await smtp.waitFor((m) => m.to.includes(f.email) && m.text.includes(expected));
      assert.match(mail.subject, f === english ? /solved/ : /解決済み/);
      assert.equal((await staffTicket(f.id)).ticket.status, 'solved');
      const page = plain(await (await fetch(app.baseUrl + f.path)).text());
      assert.ok(page.includes(expected));
    }
    await sleep(400);
    for (const f of linked) assert.equal(mailsTo(f.email).length, before.get(f.email)! + 1, `one resolution mail to ${f.email}`);
    assert.equal(mailsTo(security.email).length, before.get(security.email));
    assert.equal(mailsTo(unlinked.email).length, before.get(unlinked.email));
    assert.equal((await staffTicket(security.id)).ticket.status, 'new');
    assert.equal((await staffTicket(unlinked.id)).ticket.status, 'open');
  });

  test('resolving without solveLinked leaves the linked tickets open', async () => {
    const second = await declare({
      type: 'outage', severity: 'SEV2', nameJa: 'WebSocket 配信の停止', nameEn: 'WebSocket feed stopped',
      bodyJa: 'WebSocket の配信が止まっています。', componentStatuses: { websocket000: 'major_outage' },
    });
    await eventually(async () => (await unresolved()).some((i) => i.id === second), 5000);
    const filed = await fileByForm('取引所が落ちていますか？板が更新されません');
    const { ticket } = await staffTicket(filed.id);
    assert.equal(ticket.incidentId, second, 'linked to the open incident, not the resolved one');
    assert.equal(ticket.status, 'open');
    await smtp.waitFor((m) => m.to.includes(filed.email));
    const res = await commander.postForm(`/staff/incidents/${second}/updates`, { status: 'resolved', visibility: 'public', bodyJa: '配信を再開しました。' });
    assert.equal(res.status, 303);
    await sleep(400);
    assert.equal((await staffTicket(filed.id)).ticket.status, 'open');
    assert.equal(mailsTo(filed.email).length, 1, 'only the confirmation');
  });
});

describe('a large queue', () => {
  test('300 outage tickets and one security report: the security report is the first row', async () => {
    const big = await startApp({ demo: false });
    try {
      const staff = await StaffClient.signIn(big.baseUrl, await makeStaff(big.db, 'agent'));
      for (let i = 0; i < 300; i++) {
        await big.desk.submit({ body: `サイトが重すぎて注文画面が開けない。障害ですか？ #${i}`, email: `surge-${i}@example.jp` }, { lang: 'ja', ip: null });
      }
      const sec = await big.desk.submit({ body: 'BTCが勝手に出金されています！私は操作していません', email: 'victim@example.jp' }, { lang: 'ja', ip: null });
      assert.equal(sec.type, 'security');
      const started = Date.now();
      const res = await staff.get('/staff/tickets');
      const html = await res.text();
      const took = Date.now() - started;
      assert.equal(res.status, 200);
      const firstRow = html.split('<tbody>')[1]!.split('</tr>')[0]!;
      assert.ok(firstRow.includes(`>${sec.number}</a>`), 'the security report heads the page');
      assert.ok(plain(html).includes(t('ja', 'desk.count', { count: 301 })));
      assert.ok(took < 5000, `the queue page took ${took} ms`);
      const next = await staff.get('/staff/tickets?offset=100');
      assert.equal(next.status, 200);
      assert.ok(!(await next.text()).includes(`>${sec.number}</a>`));
    } finally {
      await big.stop();
    }
  });
});
