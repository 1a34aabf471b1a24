/**
 * The anti-phishing code (issue 16, point 3), through HTTP and a real SMTP server: a user sets it in the security
 * center (after a step-up); a code with HTML or control characters is refused and nothing changes; every mail kinkyu
 * composes opens with it when it goes to the account's address (each composer sent through the outbox, and the real
 * flows that write mail by their own statements: the contact form's intake, staff replies, lock links, the lock
 * itself, password resets); it never appears on a page fetched without the session; a status-mail subscriber sets
 * one from the manage link, confirmed from the mailbox, and it opens every status mail (escaped in the HTML part).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueMail } from '../src/mail/outbox.ts';
import { AccountEvents } from '../src/protection/account-events.ts';
import { AntiPhishingCodes } from '../src/security-center/anti-phishing.ts';
import { maskSecrets } from '../src/server.ts';
import type { RunningApp } from './support/app.ts';
import type { ReceivedMail, SmtpTestServer } from './support/smtp.ts';
import { plain } from './support/text.ts';
import { KINDS } from './support/mail-fixtures.ts';
import { createTestUser, startAppWithSmtp, stopAppWithSmtp, UserBrowser } from './support/user-client.ts';

let now = new Date('2026-12-03T01:00:00Z');
const clock = () => now;
let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;
const address = (tag: string) => `${tag}-${++counter}@example.jp`;

const JA_LINE = (code: string) => `アンチフィッシングコード: ${code}\n(このコードのないメールは、当社からのものではありません)\n\n`;
const EN_LINE = (code: string) => `Anti-phishing code: ${code}\n(An email without this code is not from us.)\n\n`;

before(async () => {
  ({ app, smtp } = await startAppWithSmtp(clock));
});
after(() => stopAppWithSmtp(app, smtp));

/** A signed-in user who just passed a step-up (sensitive changes need one). */
async function signedInUser(tag: string): Promise<{ email: string; id: string; b: UserBrowser }> {
  const { email, id } = await createTestUser(app, address(tag));
  const b = new UserBrowser(app, clock);
  assert.equal((await b.signIn(email)).status, 200);
  await b.stepUp(email);
  return { email, id, b };
}

const storedCode = async (id: string) =>
  (await app.db.query<{ code: string }>(`SELECT code FROM anti_phishing_codes WHERE account_id = $1`, [id]))[0]?.code ?? null;
const outboxCount = async (to: string) => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1`, [to]))[0]!.n;

/** The next mail to `to` whose subject matches, as the SMTP server received it. */
const mailTo = (to: string, subject: RegExp, after = 0): Promise<ReceivedMail> =>
  smtp.waitFor((m) => m.to.includes(to) && subject.test(m.subject) && smtp.messages.indexOf(m) >= after, 10_000);

describe('setting the code', () => {
  test('a code is set after a step-up, in NFKC form; one with HTML or control characters, or of the wrong length, is refused and nothing changes', async () => {
    const { email, id, b } = await signedInUser('refuse');
    const set = await b.post('/account/anti-phishing', { code: 'ＵＳＡＧＩ　と　かめ' });
    assert.equal(set.status, 303, set.body);
    assert.equal(await storedCode(id), 'USAGI と かめ', 'full-width letters and the ideographic space are normalised (NFKC)');
    const shown = await b.get('/account/anti-phishing?done=set');
    assert.match(shown.body, /<code id="anti-phishing-code">USAGI と かめ<\/code>/);
    assert.match(plain(shown.body), /アンチフィッシングコードを設定しました/);

    const mailsBefore = await outboxCount(email);
    const [{ n: auditsBefore }] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1`, [id]) as [{ n: number }];
    const refused: Array<[string, RegExp]> = [
      ['<b>うさぎ</b>', /記号 < > & " ' ` は使えません/],
      ['うさぎ&かめ', /記号 < > & " ' ` は使えません/],
      ['うさぎ"かめ', /記号/],
      ["うさぎ'かめ", /記号/],
      ['うさぎ`かめ', /記号/],
      ['＜うさぎ＞', /記号/], // full-width brackets become < > under NFKC
      ['うさ\nぎかめ', /制御文字/],
      ['うさぎ\tかめ', /制御文字/],
      ['うさぎ\u202Eめかめ', /制御文字/], // a right-to-left override would reorder the mail's text
      ['うさぎ\u200Dかめ', /制御文字/],
      ['abc', /4〜20文字/],
      ['あ'.repeat(21), /4〜20文字/],
      ['   ', /4〜20文字/],
    ];
    for (const [code, message] of refused) {
      const r = await b.post('/account/anti-phishing', { code });
      assert.equal(r.status, 400, `${JSON.stringify(code)}: ${r.status}`);
      assert.match(plain(r.body), message, JSON.stringify(code));
      assert.match(plain(r.body), /何も変更していません/);
      assert.match(r.body, /aria-invalid="true"/);
      assert.doesNotMatch(r.body, /<b>うさぎ<\/b>/, 'what was typed is escaped when shown again');
      assert.equal(await storedCode(id), 'USAGI と かめ', `${JSON.stringify(code)} changed nothing`);
    }
    const en = await b.post('/account/anti-phishing?lang=en', { code: '<script>' });
    assert.equal(en.status, 400);
    assert.match(plain(en.body), /cannot contain the symbols < > & " ' `\. Please use other characters\. Nothing was changed\./);
    assert.equal(await outboxCount(email), mailsBefore, 'a refusal sends no mail');
    const [{ n: auditsAfter }] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1`, [id]) as [{ n: number }];
    assert.equal(auditsAfter, auditsBefore, 'and audits nothing');

    // Removing it is a security change too; the security center then says it is not set.
    assert.equal((await b.post('/account/anti-phishing/remove', {})).status, 303);
    assert.equal(await storedCode(id), null);
    assert.match(plain((await b.get('/account?lang=ja')).body), /アンチフィッシングコード 未設定です/);
  });

  test('setting it needs a recent step-up; without one nothing is stored', async () => {
    const { email, id } = await createTestUser(app, address('nostep'));
    const b = new UserBrowser(app, clock);
    await b.signIn(email);
    now = new Date(now.getTime() + 11 * 60_000); // past the sign-in's window (no second factor at sign-in anyway)
    const r = await b.post('/account/anti-phishing', { code: 'うさぎ2026' });
    assert.equal(r.status, 403);
    assert.match(r.body, /action="\/account\/step-up"/);
    assert.equal(await storedCode(id), null);
  });
});

describe('in every mail', () => {
  test('each mail composer, sent through the outbox to the account\'s address, arrives with the code on top (ja and en); mail to another address has none', async () => {
    const { email, b } = await signedInUser('composers');
    assert.equal((await b.post('/account/anti-phishing', { code: 'うさぎ2026' })).status, 303);
    const domain = 'mail.example.jp';
    const sent: Array<{ id: string; name: string; lang: 'ja' | 'en'; text: string }> = [];
    await app.db.transaction(async (tx) => {
      for (const kind of KINDS) {
        if (kind.name === 'renderUpdateEmail') continue; // status mail goes through the fan-out: tested below
        for (const lang of ['ja', 'en'] as const) {
          const mail = kind.render(lang);
          const id = `<ap-${kind.name}-${lang}-${++counter}@${domain}>`;
          await enqueueMail(tx, { to: email, subject: mail.subject, text: mail.text, lang, messageId: id }, { domain });
          sent.push({ id, name: kind.name, lang, text: mail.text });
        }
      }
      await enqueueMail(tx, { to: 'someone-else@example.jp', subject: 'other', text: 'not the account', lang: 'ja', messageId: `<ap-other@${domain}>` }, { domain });
    });
    app.mail.kick();
    assert.ok(sent.length >= 60, `${sent.length} mails`);
    for (const s of sent) {
      const got = await smtp.waitFor((m) => m.messageId === s.id, 15_000);
      const line = s.lang === 'ja' ? JA_LINE('うさぎ2026') : EN_LINE('うさぎ2026');
      assert.ok(got.text.startsWith(line), `${s.name} (${s.lang}) opens with the code:\n${got.text.slice(0, 200)}`);
      assert.equal(got.text.slice(line.length).trimEnd(), s.text.replace(/\r\n/g, '\n').trimEnd(), `${s.name} (${s.lang}): the mail itself follows unchanged`);
    }
    const other = await smtp.waitFor((m) => m.messageId === `<ap-other@${domain}>`, 10_000);
    assert.equal(other.text.trim(), 'not the account');
    // The outbox keeps the text without the code (staff tools and logs never see it).
    const rows = await app.db.query<{ text_body: string }>(`SELECT text_body FROM mail_outbox WHERE to_address = $1`, [email]);
    assert.ok(rows.length > sent.length);
    for (const r of rows) assert.ok(!r.text_body.includes('うさぎ2026'), 'not stored in the outbox');
  });

  test('real flows that write mail by their own statements carry it: the security notice, the contact form, a staff reply, a lock link, a password reset, the lock', async () => {
    const { email, id, b } = await signedInUser('flows');
    const code = 'かめ の こうら';
    const from = smtp.messages.length;
    assert.equal((await b.post('/account/anti-phishing', { code })).status, 303);
    const opens = (m: ReceivedMail) => assert.ok(m.text.startsWith(JA_LINE(code)), `${m.subject}:\n${m.text.slice(0, 160)}`);

    // The change itself is announced (with a lock link), already under the new code.
    const notice = await mailTo(email, /アンチフィッシングコードの変更/, from);
    opens(notice);
    assert.match(notice.text, /\/lock\/[\w-]+/);

    // The contact form's one-statement intake, and a staff member's reply, to the account's address.
    const ticket = await app.desk.submit({ body: '出金先アドレスを追加した覚えがありません。確認してください。', email }, { lang: 'ja', ip: null });
    opens(await mailTo(email, new RegExp(`${ticket.number}`), from));
    const replies = smtp.messages.length;
    await app.desk.reply({ type: 'staff', id: null }, ticket.ticketId, { body: 'ご連絡ありがとうございます。確認いたします。' });
    app.mail.kick();
    opens(await mailTo(email, new RegExp(`${ticket.number}`), replies));

    // A lock link asked for from the help center, without signing in.
    const help = await fetch(`${app.baseUrl}/help/lock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ identifier: email }).toString() });
    assert.equal(help.status, 200);
    opens(await mailTo(email, /ロック/, smtp.messages.length));

    // "Forgot my password".
    const forgot = new UserBrowser(app, clock);
    await forgot.get('/account/forgot');
    const resetAsked = smtp.messages.length;
    assert.equal((await forgot.post('/account/forgot', { email, _pre: forgot.pre })).status, 200);
    opens(await mailTo(email, /パスワードの再設定/, resetAsked));

    // The lock, from the security center: its confirmation mail.
    const locking = smtp.messages.length;
    const locked = await b.post('/account/lock', {});
    assert.equal(locked.status, 200, locked.body);
    opens(await mailTo(email, /ロックしました|ロックされました/, locking));
    assert.equal(await storedCode(id), code);
  });
});

describe('after an email change', () => {
  test('the new address and the replaced one (where "this wasn\'t me" goes) both carry the code; the confirmation to a not-yet address, a disowned or a re-used address do not', async () => {
    const { email: old, id, b } = await signedInUser('moving');
    const code = 'ひっこし2026';
    assert.equal((await b.post('/account/anti-phishing', { code })).status, 303);
    const fresh = address('moved');
    const from = smtp.messages.length;
    assert.equal((await b.post('/account/email', { email: fresh, current: 'user password 2026' })).status, 303);
    const confirm = await mailTo(fresh, /新しいメールアドレスの確認/, from);
    assert.ok(!confirm.text.includes(code), 'an address that is not the account\'s yet gets no code');
    const path = /\/account\/email\/confirm\/[\w-]+/.exec(confirm.text)![0];
    await b.get(path);
    assert.equal((await b.post(path, {})).status, 200);
    const toNew = await mailTo(fresh, /メールアドレスの変更/, from);
    const toOld = await mailTo(old, /メールアドレスの変更/, from);
    assert.ok(toNew.text.startsWith(JA_LINE(code)), toNew.text.slice(0, 160));
    assert.ok(toOld.text.startsWith(JA_LINE(code)), `the replaced address is told with the code too:\n${toOld.text.slice(0, 160)}`);

    const send = async (to: string, tag: string) => {
      const messageId = `<ap-${tag}-${++counter}@mail.example.jp>`;
      await app.db.transaction((tx) => enqueueMail(tx, { to, subject: tag, text: 'body', lang: 'ja', messageId }, { domain: 'mail.example.jp' }));
      app.mail.kick();
      return smtp.waitFor((m) => m.messageId === messageId, 10_000);
    };
    // A restore after a takeover disowns the replaced address (it was the intruder's): no code there any more.
    await app.db.query(`UPDATE xch_email_history SET disowned_at = $2 WHERE account_id = $1`, [id, now]);
    assert.equal((await send(old, 'disowned')).text.trim(), 'body');
    await app.db.query(`UPDATE xch_email_history SET disowned_at = NULL WHERE account_id = $1`, [id]);
    assert.ok((await send(old, 'previous')).text.startsWith(JA_LINE(code)));
    // Someone else's account at that address now: never the former owner's code.
    const other = await createTestUser(app, old);
    assert.equal((await send(old, 'reused')).text.trim(), 'body');
    await app.db.query(`DELETE FROM user_credentials WHERE account_id = $1`, [other.id]);
    await app.db.query(`DELETE FROM xch_accounts WHERE id = $1`, [other.id]);
    assert.ok((await send(old, 'previous-again')).text.startsWith(JA_LINE(code)));
    // 30 days after the change the replaced address is no longer the account's; the current one still is.
    now = new Date(now.getTime() + 31 * 86_400_000);
    assert.equal((await send(old, 'too-old')).text.trim(), 'body');
    assert.ok((await send(fresh, 'current')).text.startsWith(JA_LINE(code)));
  });
});

describe('accounts in an exchange core', () => {
  test('found by the address kept with the code, and by its previous addresses as changed here or as the core said at the last sign-in', async () => {
    let core = { id: 'core-acct-1', email: 'core-b@example.jp', previousEmails: ['core-a@example.jp'], locked: false, tradingBlocked: false, withdrawalsBlocked: false, withdrawalHoldUntil: null };
    const codes = new AntiPhishingCodes(app.db, { findAccount: async () => core }, clock);
    const events = new AccountEvents(app.db);
    codes.attach(events);
    await codes.set(app.db, core.id, 'こあ2026', 'core-a@example.jp', now);
    assert.equal(await codes.forAddress('CORE-A@example.jp'), 'こあ2026', 'by the address kept with the code, any case');
    await events.record({ accountId: core.id, kind: 'email_changed', at: now, data: { from: 'core-a@example.jp', to: 'core-b@example.jp' } });
    assert.equal(await codes.forAddress('core-b@example.jp'), 'こあ2026', 'the new address');
    assert.equal(await codes.forAddress('core-a@example.jp'), 'こあ2026', 'the replaced one');
    // The core changed it again elsewhere and disowned the first: the next sign-in learns it.
    core = { ...core, email: 'core-c@example.jp', previousEmails: ['core-b@example.jp'] };
    await events.record({ accountId: core.id, kind: 'sign_in', at: now });
    assert.equal(await codes.forAddress('core-c@example.jp'), 'こあ2026');
    assert.equal(await codes.forAddress('core-b@example.jp'), 'こあ2026');
    assert.equal(await codes.forAddress('core-a@example.jp'), null, 'an address the core no longer counts gets no code');
    now = new Date(now.getTime() + 31 * 86_400_000);
    assert.equal(await codes.forAddress('core-b@example.jp'), null, 'nor one replaced more than 30 days ago');
    assert.equal(await codes.remove(app.db, core.id), true);
    assert.equal(await codes.forAddress('core-c@example.jp'), null);
  });
});

describe('never on a page without the session', () => {
  test('public pages, link pages reachable by a token alone, and the subscriber\'s manage page never show the code; the signed-in page does', async () => {
    const { email, b } = await signedInUser('secret');
    const code = 'ひみつ暗号77';
    const from = smtp.messages.length;
    assert.equal((await b.post('/account/anti-phishing', { code })).status, 303);
    const notice = await mailTo(email, /アンチフィッシングコードの変更/, from);
    const lockPath = /\/lock\/[\w-]+/.exec(notice.text)![0];
    const ticket = await app.desk.submit({ body: 'ログインできません。パスワードは合っているはずです。', email }, { lang: 'ja', ip: null });
    const [sub] = await app.db.query<{ id: string }>(
      `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at, anti_phishing_code) VALUES ('apsecret1', 'email', $1, lower($1), 'ja', now(), $2) RETURNING id`,
      [email, code],
    );
    const { SubscriberLinks } = await import('../src/notify/subscriptions/links.ts');
    const { loadLinkKey } = await import('../src/desk/ticket-links.ts');
    const links = new SubscriberLinks(await loadLinkKey(app.db, app.config.secret), app.baseUrl);
    const pages = [
      '/', '/?lang=en', '/history', '/help', '/help/lock', '/help/prepare', '/help/articles/spot-phishing', '/contact', '/subscribe',
      '/account', '/account/login', '/account/forgot', '/account/anti-phishing', '/account/settings-lock', '/account/session',
      lockPath, `${lockPath}?lang=en`, ticket.link, new URL(links.manageUrl(sub!.id)).pathname, new URL(links.unsubscribeUrl(sub!.id)).pathname,
    ];
    for (const path of pages) {
      const res = await fetch(app.baseUrl + path, { redirect: 'manual' });
      const body = await res.text();
      assert.ok(res.status < 500, `${path}: ${res.status}`);
      assert.ok(!body.includes(code) && !body.includes(encodeURIComponent(code)), `${path} shows the code`);
    }
    // The lock link page, opened from the mail, shows no account detail at all; the signed-in page shows the code.
    assert.equal((await fetch(app.baseUrl + lockPath)).status, 200);
    assert.ok((await b.get('/account/anti-phishing')).body.includes(code), 'the signed-in security center shows it');
  });
});

describe('status mail', () => {
  test('the code-change links never reach the logs', () => {
    assert.equal(maskSecrets('/subscriptions/abc123/anti-phishing/SECRETTOKEN?lang=en'), '/subscriptions/abc123/anti-phishing/…?lang=en');
    assert.equal(maskSecrets('/subscriptions/abc123/manage/SECRETTOKEN/anti-phishing'), '/subscriptions/abc123/manage/…/anti-phishing');
  });

  test('a subscriber sets a code from the manage link, confirmed from the mailbox; it opens every status mail (text, and HTML escaped); an account\'s code reaches its address too', async () => {
    const components = ((await (await fetch(`${app.baseUrl}/api/v2/components.json`)).json()) as { components: Array<{ id: string; group: boolean }> })
      .components.filter((c) => !c.group).map((c) => c.id);
    const subscribe = async (to: string) => {
      const form = new URLSearchParams({ channel: 'email', email: to, lang: 'ja' });
      for (const c of components) form.append('components', c);
      const r = await fetch(`${app.baseUrl}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
      assert.equal(r.status, 202);
      const confirm = await mailTo(to, /登録の確認/);
      const path = /\/subscriptions\/confirm\/[\w-]+/.exec(confirm.text)![0];
      const done = await fetch(app.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      const manage = /href="(\/subscriptions\/[^/"]+\/manage\/[^"?]+)/.exec(await done.text())![1]!;
      return manage;
    };
    const form = (path: string, fields: Record<string, string>) =>
      fetch(app.baseUrl + path, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

    // 1. A plain subscriber sets one: the manage page asks, the mailbox confirms.
    const reader = address('reader');
    const manage = await subscribe(reader);
    const code = 'ほしぞら2026';
    const refused = await form(`${manage}/anti-phishing`, { code: '<img src=x>' });
    assert.equal(refused.status, 400);
    assert.match(plain(await refused.text()), /記号 < > & " ' ` は使えません/);
    const [pendingAfterRefusal] = await app.db.query<{ anti_phishing_pending: string | null }>(`SELECT anti_phishing_pending FROM subscribers WHERE target_key = $1`, [reader]);
    assert.equal(pendingAfterRefusal!.anti_phishing_pending, null, 'a refused code leaves nothing pending');
    const asked = smtp.messages.length;
    const requested = await form(`${manage}/anti-phishing`, { code });
    assert.equal(requested.status, 303);
    const confirmMail = await mailTo(reader, /アンチフィッシングコードの変更の確認/, asked);
    assert.ok(!confirmMail.text.includes(code), 'the confirmation mail does not quote the new code');
    const [before] = await app.db.query<{ anti_phishing_code: string | null }>(`SELECT anti_phishing_code FROM subscribers WHERE target_key = $1`, [reader]);
    assert.equal(before!.anti_phishing_code, null, 'nothing changes before the mailbox confirms');
    const link = /\/subscriptions\/[^/\s]+\/anti-phishing\/[\w-]+/.exec(confirmMail.text)![0];
    const page = await fetch(app.baseUrl + link);
    assert.equal(page.status, 200);
    assert.ok(!(await page.text()).includes(code));
    const confirmed = await form(link, {});
    assert.equal(confirmed.status, 200);
    assert.match(plain(await confirmed.text()), /変更を確定しました/);
    assert.equal((await form(link, {})).status, 404, 'the link works once');
    const managePage = await (await fetch(app.baseUrl + manage)).text();
    assert.match(plain(managePage), /コードは設定されています/);
    assert.ok(!managePage.includes(code), 'the manage page (a link alone opens it) never shows the code');

    // 2. An account holder with a code subscribes without one of their own: status mail carries the account's code.
    const { email: holder, b } = await signedInUser('holder');
    assert.equal((await b.post('/account/anti-phishing', { code: 'うさぎ2026' })).status, 303);
    await subscribe(holder);

    // 3. A code with HTML in it (only possible by editing the database) is escaped in the HTML part.
    const odd = address('odd');
    await subscribe(odd);
    await app.db.query(`UPDATE subscribers SET anti_phishing_code = 'x<i>&y' WHERE target_key = $1`, [odd]);

    const name = '出金の遅延 (アンチフィッシング)';
    await app.commands.declareIncident({ type: 'staff', id: null }, { type: 'outage', severity: 'SEV3', nameJa: name, nameEn: 'Delays', bodyJa: '出金が遅れています。', bodyEn: 'Withdrawals are delayed.', componentStatuses: {} });
    await app.site.refresh();
    const status = (to: string) => smtp.waitFor((m) => m.to.includes(to) && m.subject.includes(name), 20_000);
    const kick = setInterval(() => void app.fanout.drain().catch(() => undefined), 200);
    try {
      const readerMail = await status(reader);
      assert.ok(readerMail.text.startsWith(JA_LINE(code)), readerMail.text.slice(0, 200));
      assert.ok(readerMail.html.includes(`アンチフィッシングコード: ${code}`), 'and in the HTML part');
      const holderMail = await status(holder);
      assert.ok(holderMail.text.startsWith(JA_LINE('うさぎ2026')), holderMail.text.slice(0, 200));
      const oddMail = await status(odd);
      assert.ok(oddMail.html.includes('アンチフィッシングコード: x&lt;i&gt;&amp;y'), oddMail.html.slice(0, 600));
      assert.ok(!oddMail.html.includes('x<i>&y'), 'never raw in the HTML');
    } finally {
      clearInterval(kick);
    }
  });
});
