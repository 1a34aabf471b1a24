/**
 * Honest answers when PostgreSQL is down (a real server, stopped with pg_ctl): the help center's lock-link
 * request, the lock link, the security center's lock and the contact form each say plainly, in the user's
 * language, that nothing was done and what to do instead (the emergency line and whether it is open now; try
 * again in a minute) — and never "sent" or "locked". The answer is the same for an existing and an unknown
 * account. After PostgreSQL is started again, the same running app serves every one of them (no restart).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { createTestUser, UserBrowser } from './support/user-client.ts';
import { plain } from './support/text.ts';

// A Wednesday, 10:00 in Tokyo: the emergency line is open until 18:00.
const now = new Date('2026-12-02T01:00:00Z');
const skip = postgresAvailable() ? false : 'no PostgreSQL binaries (initdb/pg_ctl) on this machine';

let pg: PostgresServer;
let smtp: SmtpTestServer;
let app: RunningApp;

async function form(path: string, fields: Record<string, string>, lang: 'ja' | 'en' = 'ja', headers: Record<string, string> = {}) {
  const res = await fetch(app.baseUrl + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang, origin: 'null', 'sec-fetch-site': 'same-origin', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

const tokenOf = (link: string) => link.split('/lock/')[1]!;

describe('with PostgreSQL stopped, every emergency path answers honestly; after it returns, the app recovers', { skip }, () => {
  let user: { email: string; id: string };
  let signedIn: UserBrowser;
  let lockToken: string;

  before(async () => {
    pg = await startPostgres();
    smtp = await startSmtpServer();
    app = await startApp({ databaseUrl: pg.url, clock: () => now, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });
    user = await createTestUser(app, `honest-${process.pid}@example.jp`);
    signedIn = new UserBrowser(app, () => now);
    assert.equal((await signedIn.signIn(user.email)).status, 200);
    await signedIn.get('/account/lock');
    lockToken = tokenOf(await app.lock.issueLockLink(user.id, user.email, 'new_sign_in'));
    pg.stop();
  });
  after(async () => {
    try { pg.start(); } catch { /* already running */ }
    await app?.stop();
    await smtp?.stop();
    pg?.destroy();
  });

  for (const lang of ['ja', 'en'] as const) {
    const says = lang === 'ja'
      ? { linksNotSent: /ロック用リンクは送られていません/, notLocked: /アカウントはまだロックされていません/, contact: /お問い合わせを受け付けられませんでした/, retry: /1分ほど待ってから/, open: /受付中 \(18:00 まで\)/ }
      : { linksNotSent: /No lock link has been sent/, notLocked: /It is NOT locked yet/, contact: /we could not take your message/, retry: /wait a minute and try again/, open: /Open now \(until 18:00\)/ };

    test(`${lang}: /help/lock says no link was sent, identically for an existing and an unknown account`, async () => {
      const known = await form('/help/lock', { identifier: user.email }, lang);
      const unknown = await form('/help/lock', { identifier: `nobody-${process.pid}@example.jp` }, lang);
      assert.equal(known.status, 503);
      assert.equal(known.retryAfter, '60');
      const text = plain(known.body);
      assert.match(text, says.linksNotSent);
      assert.match(text, says.retry);
      assert.match(text, says.open, 'the emergency line and whether it is open now');
      assert.match(known.body, /href="tel:/);
      assert.doesNotMatch(text, /Request received|受け付けました/);
      const strip = (body: string, id: string) => plain(body).replace(id, 'ID');
      assert.equal(strip(known.body, user.email), strip(unknown.body, `nobody-${process.pid}@example.jp`), 'nothing tells whether the account exists');
    });

    test(`${lang}: the lock link says the account is not locked yet, and the link still works later`, async () => {
      const res = await fetch(`${app.baseUrl}/lock/${lockToken}`, { headers: { 'accept-language': lang } });
      assert.equal(res.status, 503);
      assert.match(plain(await res.text()), says.notLocked);
      const posted = await form(`/lock/${lockToken}`, {}, lang);
      assert.equal(posted.status, 503);
      assert.match(plain(posted.body), says.notLocked);
      assert.match(plain(posted.body), says.open);
      assert.doesNotMatch(plain(posted.body), /Your account is locked\b|アカウントをロックしました/);
    });

    test(`${lang}: the security center's lock says it was not done`, async () => {
      const res = await fetch(app.baseUrl + '/account/lock', {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang, cookie: [...signedIn.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        body: new URLSearchParams({ _csrf: signedIn.csrf }).toString(),
      });
      assert.equal(res.status, 503);
      const text = plain(await res.text());
      assert.match(text, says.notLocked);
      assert.match(text, says.open);
    });

    test(`${lang}: the contact form says the message was not taken, and keeps what the user wrote`, async () => {
      const message = lang === 'ja' ? '身に覚えのない出金があります。至急確認してください。' : 'There is a withdrawal I did not make. Please check urgently.';
      const res = await form('/contact', { body: message, email: user.email, lang }, lang);
      assert.equal(res.status, 503);
      assert.match(plain(res.body), says.contact);
      assert.match(plain(res.body), says.open);
      assert.ok(res.body.includes(message), 'the message is still in the form');
      assert.doesNotMatch(res.body, /\/tickets\//, 'no ticket link: nothing was filed');
    });
  }

  test('PostgreSQL returns: the same process sends lock links, locks by link and files tickets', async () => {
    pg.start();
    // The pool reconnects on its own: wait for the first answer that is not 503.
    let sent = { status: 503, body: '', retryAfter: null as string | null };
    for (let i = 0; i < 100 && sent.status === 503; i++) {
      sent = await form('/help/lock', { identifier: user.email });
      if (sent.status === 503) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(sent.status, 200);
    const mail = await smtp.waitFor((m) => m.to.includes(user.email) && /ロック/.test(m.subject) && /\/lock\//.test(m.text), 15_000);
    const mailedToken = /\/lock\/([\w-]+)/.exec(mail.text)![1]!;
    // Nothing sent while the database was down was kept: exactly one help-center link went out.
    const [links] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lock_tokens WHERE account_id = $1 AND reason = 'help_center'`, [user.id]);
    assert.equal(links!.n, 1);

    // The link shown as "not locked yet" while the database was down still works; the help center's new one locks.
    assert.equal((await fetch(`${app.baseUrl}/lock/${lockToken}`)).status, 200);
    const locked = await form(`/lock/${mailedToken}`, {});
    assert.equal(locked.status, 200);
    assert.match(plain(locked.body), /アカウントをロックしました/);
    await app.lock.settled();
    const [record] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM account_locks WHERE account_id = $1`, [user.id]);
    assert.equal(record!.n, 1);

    const contact = await form('/contact', { body: 'ログインできません', email: user.email });
    assert.equal(contact.status, 303);
  });
});
