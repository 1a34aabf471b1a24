/**
 * Regulatory notices and terms of service through HTTP, as the people involved would notice them: a published
 * notice on the status page, /notices and the feeds; new terms that stop a user at sign-in until they agree
 * (the emergency lock still works); the staff report of who has not agreed and its CSV; a reminder email on a
 * real SMTP server whose one-time link works once; a readable, inert diff; and every bad form input refused
 * with nothing stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, eventually, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';
import { plain } from './support/text.ts';
import { createUserAccount, DEMO_USER_EMAIL, DEMO_USER_PASSWORD, seedDemoUser } from '../src/security-center/user-accounts.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { csvCell } from '../src/notices/csv.ts';
import { NoticeCenter } from '../src/notices/service.ts';

/** Wednesday 2026-11-25 10:00 JST. */
let now = new Date('2026-11-25T01:00:00Z');
const setNow = (iso: string) => { now = new Date(iso); };

let app: RunningApp;
let smtp: SmtpTestServer;
let admin: StaffClient;
let viewer: StaffClient;
const PASSWORD = 'user password 2026';
let counter = 0;

/** A browser without JavaScript: keeps cookies, reads the CSRF tokens from the last page. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';
  pre = '';
  /** The browser's language: sign-in remembers it for the user's emails. */
  constructor(readonly lang: 'ja' | 'en' = 'ja') {}
  private cookieHeader() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      const value = pair.slice(i + 1);
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), value);
    }
  }
  private async finish(res: Response) {
    this.keep(res);
    const body = await res.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.csrf;
    this.pre = /name="_pre" value="([^"]+)"/.exec(body)?.[1] ?? this.pre;
    return { status: res.status, body, location: res.headers.get('location') };
  }
  async get(path: string) {
    return this.finish(await fetch(app.baseUrl + path, { redirect: 'manual', headers: { cookie: this.cookieHeader(), 'accept-language': this.lang } }));
  }
  async post(path: string, fields: Record<string, string> = {}) {
    const form = new URLSearchParams(fields);
    if (path === '/account/login') form.set('_pre', this.pre);
    else form.set('_csrf', this.csrf);
    return this.finish(await fetch(app.baseUrl + path, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), 'accept-language': this.lang },
      body: form.toString(),
    }));
  }
  /** Signs in with the password (and a TOTP code when the account has one); returns the password step's answer. */
  async signIn(email: string, password = PASSWORD, totpSecret?: string) {
    await this.get('/account/login');
    const first = await this.post('/account/login', { email, password });
    if (first.location !== '/account/login/2fa') return first;
    assert.ok(totpSecret, 'this account needs a TOTP code');
    await this.get('/account/login/2fa');
    return this.post('/account/login/2fa', { code: totpCode(totpSecret, now) });
  }
}

async function newUser(tag: string, lang: 'ja' | 'en' = 'ja', email?: string): Promise<{ email: string; id: string }> {
  const address = email ?? `${tag}-${++counter}@example.jp`;
  const id = await createUserAccount(app.db, app.referenceStore!, { email: address, password: PASSWORD, lang });
  return { email: address, id };
}

const count = async (table: string) => Number((await app.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

/** Everything a refused staff form could have changed. */
async function stored(): Promise<string> {
  const rows = await app.db.query(
    `SELECT (SELECT count(*) FROM notices) AS notices, (SELECT count(*) FROM notice_revisions) AS revisions,
            (SELECT count(*) FROM terms_versions) AS terms, (SELECT count(*) FROM audit_log) AS audit,
            (SELECT string_agg(md5(n::text), ',' ORDER BY id) FROM notices n) AS notice_rows,
            (SELECT string_agg(md5(v::text), ',' ORDER BY id) FROM terms_versions v) AS terms_rows,
            (SELECT version FROM page_state WHERE id = 1) AS page_version`,
  );
  return JSON.stringify(rows);
}

const get = (path: string, lang = 'ja') => fetch(app.baseUrl + path, { headers: { 'accept-language': lang } });
const text = async (path: string, lang = 'ja') => {
  const res = await get(path, lang);
  assert.equal(res.status, 200, path);
  return res.text();
};

const NOTICE = {
  titleJa: '暗号資産の送付に関する規則の改正にともなう本人確認の追加',
  titleEn: 'Additional identity checks for crypto transfers after a rule change',
  changesJa: '2026年12月1日から、外部の取引所への送付時に、受取人の氏名と住所のご入力が必要になります。',
  changesEn: 'From 1 December 2026, sending crypto to another exchange needs the recipient\'s name and address.',
  actionJa: 'お手数ですが、12月15日までにマイページから送付先情報のご登録をお願いします。',
  actionEn: 'Please register your recipients in your account by 15 December.',
  effectiveFrom: '2026-12-01',
  deadline: '2026-12-15',
};

const TERMS_V1 = `# 利用規約

## 第1条 (目的)
この規約は、当社の暗号資産交換サービスの利用条件を定めるものです。

## 第2条 (出金)
お客様は、平日に限り出金を申請できます。
出金手数料は無料です。

## 第3条 (禁止事項)
不正なアクセスを禁止します。
`;

const TERMS_V2 = `# 利用規約

## 第1条 (目的)
この規約は、当社の暗号資産交換サービスの利用条件を定めるものです。

## 第2条 (出金)
お客様は、毎日出金を申請できます。
出金手数料は1回につき550円です。

## 第3条 (禁止事項)
不正なアクセスを禁止します。

## 第4条 (送付先情報)
外部への送付には、受取人の氏名と住所の登録が必要です。[詳しくはこちら](/notices)
`;

const EN_V1 = 'Article 2. Withdrawals may be requested on business days only. The withdrawal fee is free of charge.';
const EN_V2 = 'Article 2. Withdrawals may be requested every day. The withdrawal fee is 550 yen each.';

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({ clock: () => now, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });
  admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  viewer = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'));
});

after(async () => {
  await app?.stop();
  await smtp?.stop();
});

describe('notices', () => {
  let noticeId = '';

  test('a published notice is on the status page, /notices, its own page and the Atom and RSS feeds', async () => {
    const res = await admin.postForm('/staff/notices', { ...NOTICE, intent: 'publish' });
    assert.equal(res.status, 303, await res.text());
    const m = /^\/staff\/notices\/([0-9a-z]+)\?ok=published$/.exec(res.headers.get('location') ?? '');
    assert.ok(m, res.headers.get('location') ?? '');
    noticeId = m[1]!;

    // The status page is served from prebuilt bytes: the change reaches it through the snapshot reload.
    await eventually(async () => (await text('/')).includes(NOTICE.titleJa), 5000);
    const status = plain(await text('/'));
    assert.match(status, /お知らせ/);
    assert.match(status, /適用開始: 2026年12月1日/);
    assert.match(status, /手続きの期限: 2026年12月15日/);
    assert.match(plain(await text('/?lang=en')), /Notices.*Additional identity checks for crypto transfers/);

    const list = plain(await text('/notices'));
    assert.ok(list.includes(NOTICE.titleJa));
    const page = plain(await text(`/notices/${noticeId}`));
    assert.ok(page.includes(NOTICE.changesJa) && page.includes(NOTICE.actionJa));
    assert.match(page, /お客様にお願いすること/);
    assert.ok(plain(await text(`/notices/${noticeId}?lang=en`)).includes(NOTICE.actionEn));

    const atom = await text('/history.atom');
    assert.ok(atom.includes(`/notices/${noticeId}</id>`), 'an Atom entry for the notice');
    assert.ok(atom.includes(NOTICE.titleJa));
    assert.ok((await text('/history.rss?lang=en')).includes(NOTICE.titleEn));
  });

  test('a draft is not public; a correction after publishing keeps the earlier text; a withdrawn notice leaves the page', async () => {
    const draft = await admin.postForm('/staff/notices', { ...NOTICE, titleJa: '下書きのお知らせ', intent: 'draft' });
    assert.equal(draft.status, 303);
    const draftId = /notices\/([0-9a-z]+)/.exec(draft.headers.get('location') ?? '')![1]!;
    assert.equal((await get(`/notices/${draftId}`)).status, 404);
    assert.ok(!(await text('/notices')).includes('下書きのお知らせ'));

    const corrected = await admin.postForm(`/staff/notices/${noticeId}`, { ...NOTICE, actionJa: '12月20日までに送付先情報をご登録ください。', deadline: '2026-12-20' });
    assert.equal(corrected.status, 303, await corrected.text());
    await eventually(async () => (await text(`/notices/${noticeId}`)).includes('12月20日までに'), 5000);
    const staffPage = plain(await (await admin.get(`/staff/notices/${noticeId}`)).text());
    assert.match(staffPage, /以前の文面/);
    assert.ok(staffPage.includes(NOTICE.actionJa), 'the replaced text is kept');
    const [edit] = await app.db.query<{ data: { changed: string[] } }>(`SELECT data FROM audit_log WHERE action = 'notice.edit' AND target_id = $1`, [noticeId]);
    assert.deepEqual(edit?.data.changed.sort(), ['actionJa', 'deadline']);

    const other = await admin.postForm('/staff/notices', { ...NOTICE, titleJa: '取り下げるお知らせ', intent: 'publish' });
    const otherId = /notices\/([0-9a-z]+)/.exec(other.headers.get('location') ?? '')![1]!;
    await eventually(async () => (await text('/')).includes('取り下げるお知らせ'), 5000);
    const withdrawn = await admin.postForm(`/staff/notices/${otherId}/withdraw`, { reason: '内容に誤りがあったため' });
    assert.equal(withdrawn.status, 303);
    await eventually(async () => !(await text('/')).includes('取り下げるお知らせ'), 5000);
    const gone = plain(await text(`/notices/${otherId}`));
    assert.match(gone, /このお知らせは .* に取り下げられました/);
    assert.match(gone, /内容に誤りがあったため/);
  });
});

describe('terms of service', () => {
  const users = {} as Record<'alice' | 'bob' | 'carol' | 'erin' | 'hostile' | 'demo', { email: string; id: string }>;
  let totpSecret = '';
  const hostileEmail = '=HYPERLINK("http://evil.example/?<script>",1)@example.jp';

  test('staff publish v1 and v2; /terms shows the one in force and the diff reads as changes', async () => {
    users.alice = await newUser('alice');
    users.bob = await newUser('bob');
    users.carol = await newUser('carol');
    users.erin = await newUser('erin', 'en');
    users.hostile = await newUser('hostile', 'ja', hostileEmail);
    await seedDemoUser(app.db, app.referenceStore!);
    users.demo = { email: DEMO_USER_EMAIL, id: (await app.referenceStore!.findAccount({ email: DEMO_USER_EMAIL }))!.id };

    // Erin (who reads English) turns on 2FA before the new terms come out.
    const e = new Browser('en');
    await e.signIn(users.erin.email);
    // Enrolling an authenticator needs a second factor first: without one, a code mailed to the current address.
    await e.get('/account');
    assert.equal((await e.post('/account/step-up/send', { action: 'totp' })).status, 403);
    const codeMail = await smtp.waitFor((m) => m.to.includes(users.erin!.email) && /confirmation code/.test(m.subject), 10_000);
    const stepUpCode = /(\d{6})/.exec(codeMail.text)![1]!;
    assert.equal((await e.post('/account/step-up', { action: 'totp', code: stepUpCode })).status, 303);
    const setup = await e.get('/account/2fa');
    totpSecret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    assert.equal((await e.post('/account/2fa', { code: totpCode(totpSecret, now), current: PASSWORD })).status, 303);
    setNow('2026-11-25T01:01:00Z');

    const v1 = await admin.postForm('/staff/terms', {
      label: 'v1', effectiveFrom: '2026-01-01', bodyJa: TERMS_V1, bodyEn: EN_V1, summaryJa: '最初の版です。', summaryEn: 'The first version.', intent: 'publish',
    });
    assert.equal(v1.status, 303, await v1.text());
    assert.match(plain(await text('/terms')), /版: v1/);

    const draft = await admin.postForm('/staff/terms', {
      label: 'v2', effectiveFrom: '2026-12-01', bodyJa: TERMS_V2, bodyEn: EN_V2,
      summaryJa: '出金を毎日受け付け、出金手数料を1回550円にします。送付先情報の登録を新設します。',
      summaryEn: 'Withdrawals every day, a fee of 550 yen each, and recipient details for transfers.',
      ackRequired: 'on', ackDeadline: '2026-12-10', intent: 'draft',
    });
    assert.equal(draft.status, 303, await draft.text());
    assert.equal((await get('/terms/versions/v2')).status, 404, 'a draft is not public');
    const preview = await (await admin.get('/staff/terms/v2/diff')).text();
    assert.match(preview, /<ins>/);
    const published = await admin.postForm('/staff/terms/v2/publish', {});
    assert.equal(published.status, 303, await published.text());

    // v1 is still in force until December; v2 is announced above it.
    const current = plain(await text('/terms'));
    assert.match(current, /版: v1/);
    assert.match(current, /新しい利用規約 \(版 v2\) が 2026年12月1日\(火\) から適用されます/);

    const diff = await text('/terms/versions/v2/diff');
    assert.match(diff, /<del><span class="visually-hidden">\[削除: <\/span>平日に限り<span class="visually-hidden">]<\/span><\/del><ins><span class="visually-hidden">\[追加: <\/span>毎日<span class="visually-hidden">]<\/span><\/ins>/);
    assert.match(diff, /<del>[^]*?無料[^]*?<\/del><ins>[^]*?1回につき550円[^]*?<\/ins>/);
    const reading = plain(diff);
    assert.match(reading, /変更 2 か所・追加 2 行・削除 0 行/);
    assert.match(reading, /追加 \[追加: 第4条 \(送付先情報\)/, 'an added article is labelled in words, not only in colour');
    assert.match(reading, /出金を毎日受け付け/, 'the summary is on the diff page');
    const english = await text('/terms/versions/v2/diff?lang=en');
    assert.match(english, /<del><span class="visually-hidden">\[removed: <\/span>on business days only<span class="visually-hidden">]<\/span><\/del><ins><span class="visually-hidden">\[added: <\/span>every day<span class="visually-hidden">]<\/span><\/ins>/);
    assert.match(plain(await text('/terms/versions/v1/diff')), /これは最初の版のため/);
  });

  test('a user who has not agreed is stopped at sign-in, and on every /account page, until they agree', async () => {
    const a = new Browser();
    const signedIn = await a.signIn(users.alice.email);
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.location, '/account/terms', 'sign-in lands on the terms');
    for (const path of ['/account', '/account/2fa', '/account/reset']) {
      const r = await a.get(path);
      assert.equal(r.status, 303, path);
      assert.equal(r.location, '/account/terms', path);
    }
    await a.get('/account/terms');
    const before = await app.db.query(`SELECT password_hash FROM user_credentials WHERE account_id = $1`, [users.alice.id]);
    const blocked = await a.post('/account/password', { current: PASSWORD, password: 'a brand new password 2026' });
    assert.equal(blocked.location, '/account/terms', 'a change is not made before agreeing');
    assert.deepEqual(await app.db.query(`SELECT password_hash FROM user_credentials WHERE account_id = $1`, [users.alice.id]), before);

    const page = await a.get('/account/terms');
    assert.equal(page.status, 200);
    const reading = plain(page.body);
    assert.match(reading, /新しい利用規約への同意/);
    assert.match(reading, /出金を毎日受け付け/);
    assert.match(page.body, /href="\/terms\/versions\/v2\/diff"/);
    assert.match(page.body, /href="\/account\/lock"/, 'the lock is one click away');
    const version = /name="version" value="([0-9a-z]+)"/.exec(page.body)![1]!;
    const agreed = await a.post('/account/terms', { version });
    assert.equal(agreed.location, '/account');
    const center = await a.get('/account');
    assert.equal(center.status, 200);
    assert.match(plain(center.body), /セキュリティセンター/);

    const [ack] = await app.db.query<{ via: string; ip: string }>(
      `SELECT a.via, a.ip FROM terms_acknowledgements a JOIN terms_versions v ON v.id = a.version_id WHERE a.account_id = $1 AND v.label = 'v2'`, [users.alice.id]);
    assert.equal(ack?.via, 'sign_in');
    assert.ok(ack?.ip, 'the address is recorded');
    const audited = await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'terms.acknowledge' AND actor_id = $1 AND target_id = 'v2'`, [users.alice.id]);
    assert.equal(audited.length, 1);

    // A fresh sign-in goes straight through now.
    const again = await new Browser().signIn(users.alice.email);
    assert.equal(again.location, '/account');
  });

  test('after the second factor too, the terms come first', async () => {
    const e = new Browser('en');
    const r = await e.signIn(users.erin.email, PASSWORD, totpSecret);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/account/terms');
  });

  test('the emergency lock is never behind the terms', async () => {
    const b = new Browser();
    const signedIn = await b.signIn(users.bob.email);
    assert.equal(signedIn.location, '/account/terms');
    const confirm = await b.get('/account/lock');
    assert.equal(confirm.status, 200);
    assert.match(plain(confirm.body), /アカウントをロックしますか/);
    const locked = await b.post('/account/lock');
    assert.equal(locked.status, 200, locked.body.slice(0, 300));
    assert.match(plain(locked.body), /アカウントをロックしました/);
    const [row] = await app.db.query<{ locked_at: Date | null }>(`SELECT locked_at FROM xch_accounts WHERE id = $1`, [users.bob.id]);
    assert.ok(row?.locked_at);
  });

  const pendingEmails = () => [users.bob, users.carol, users.erin, users.hostile, users.demo].map((u) => u.email);

  test('the report lists exactly the users who have not agreed, and the CSV says the same, safely', async () => {
    const res = await admin.get('/staff/terms/v2/pending');
    assert.equal(res.status, 200);
    const page = await res.text();
    const reading = plain(page);
    assert.match(reading, /ユーザー 6 人のうち、同意済み 1 人・未同意 5 人/);
    for (const email of pendingEmails()) assert.ok(reading.includes(email), email);
    assert.ok(!reading.includes(users.alice.email), 'who agreed is not listed');
    assert.ok(!page.includes('<script>'), 'a hostile address is shown as text');
    assert.ok(page.includes('?&lt;script&gt;'));

    const csv = await admin.get('/staff/terms/v2/pending.csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="terms-v2-pending.csv"/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a byte-order mark');
    const rows = parseCsv(bytes.subarray(3).toString('utf8'));
    assert.deepEqual(rows[0], ['email', 'account_id', 'lang', 'reminders', 'last_reminded_at']);
    const emails = rows.slice(1).map((r) => r[0]);
    const expected = pendingEmails().map((e) => (/^[=+\-@]/.test(e) ? `'${e}` : e));
    assert.deepEqual([...emails].sort(), [...expected].sort());
    assert.ok(emails.includes(`'${hostileEmail}`), 'the formula is neutralised: it starts with an apostrophe');
    assert.ok(bytes.toString('utf8').includes(`"'=HYPERLINK(""http://evil.example/?<script>"",1)@example.jp"`), 'quoted as RFC 4180 says');
    const exported = await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'terms.report_export' AND target_id = 'v2'`);
    assert.equal(exported.length, 1, 'the export is audited');
  });

  test('a reminder reaches the SMTP server; its link shows the terms on GET, agrees on POST, and works once', async () => {
    // Six days before the end of the deadline day (2026-12-10 JST).
    setNow('2026-12-04T01:00:00Z');
    // A second process's scheduler runs at the same moment: the database lets one of them send each reminder.
    const otherProcess = new NoticeCenter({
      db: app.db, accounts: app.accounts, clock: () => now, timeZone: app.config.timeZone, publicUrl: app.config.publicUrl,
      mailDomain: 'example.com', exchangeName: { ja: 'デモ取引所', en: 'Demo Exchange' },
    });
    const [run, other] = await Promise.all([app.notices.runReminders(), otherProcess.runReminders()]);
    assert.equal(run.stage, '7d');
    assert.equal(run.queued + other.queued, 4, 'bob, carol, erin and the demo user, once each');
    assert.equal(run.skipped + other.skipped, 1, 'the address that is not one is recorded, not mailed');
    assert.equal((await app.notices.runReminders()).queued, 0, 'one reminder per user and stage');
    const perAddress = await app.db.query<{ to_address: string; n: string }>(
      `SELECT to_address, count(*) AS n FROM mail_outbox WHERE subject LIKE '%terms of service%' OR subject LIKE '%利用規約%' GROUP BY to_address`);
    assert.equal(perAddress.length, 4);
    assert.ok(perAddress.every((r) => Number(r.n) === 1), JSON.stringify(perAddress));

    const mail = await smtp.waitFor((m) => m.to.includes(users.carol.email) && /利用規約/.test(m.subject), 10_000);
    assert.match(mail.subject, /利用規約改定への同意のお願い \(期限: 2026年12月10日\(木\)\)/);
    assert.match(mail.text, /出金を毎日受け付け/);
    assert.ok(mail.text.includes(`${app.baseUrl}/terms/versions/v2/diff`));
    const english = await smtp.waitFor((m) => m.to.includes(users.erin.email) && /terms of service/.test(m.subject), 10_000);
    assert.match(english.subject, /Please review and accept the new terms of service by Thu, Dec 10, 2026/);
    assert.match(english.text, /Withdrawals every day/);

    const link = ackLink(mail);
    const acks = () => count('terms_acknowledgements');
    const before = await acks();
    const shown = await fetch(link, { headers: { 'accept-language': 'ja' } });
    assert.equal(shown.status, 200);
    assert.equal(shown.headers.get('referrer-policy'), 'no-referrer');
    const page = plain(await shown.text());
    assert.match(page, /ca\*\*\*\*@example\.jp のアカウントで新しい利用規約 \(版 v2\) に同意したことになります/);
    assert.match(page, /出金を毎日受け付け/);
    assert.equal(await acks(), before, 'opening the link agrees to nothing');

    const confirmed = await fetch(link, { method: 'POST', headers: { 'accept-language': 'ja' } });
    assert.equal(confirmed.status, 200);
    assert.match(plain(await confirmed.text()), /同意を受け付けました/);
    const [ack] = await app.db.query<{ via: string }>(`SELECT via FROM terms_acknowledgements WHERE account_id = $1`, [users.carol.id]);
    assert.equal(ack?.via, 'link');

    const twice = await fetch(link, { method: 'POST', headers: { 'accept-language': 'ja' } });
    assert.equal(twice.status, 410);
    assert.match(plain(await twice.text()), /このリンクは使用済みか、有効期限が切れています/);
    assert.equal((await fetch(link)).status, 404);
    assert.equal(await acks(), before + 1);

    // The day before the deadline: the second reminder, only to who still has not agreed.
    setNow('2026-12-10T03:00:00Z');
    const last = await app.notices.runReminders();
    assert.equal(last.stage, '1d');
    assert.equal(last.queued, 3, 'bob, erin and the demo user — not carol');
    await smtp.waitFor((m) => m.to.includes(DEMO_USER_EMAIL) && m.subject.includes('利用規約') && smtp.messages.filter((x) => x.to.includes(DEMO_USER_EMAIL)).length === 2, 10_000);
    const report = plain(await (await admin.get('/staff/terms/v2/pending')).text());
    assert.match(report, /同意済み 2 人・未同意 4 人/);
    assert.match(report, /7日前, 前日/);

    // After the deadline, nothing more is sent.
    setNow('2026-12-11T00:00:00Z');
    assert.equal((await app.notices.runReminders()).stage, null);
  });

  test('the demo user signs in and agrees, and is then off the report', async () => {
    setNow('2026-12-11T01:00:00Z');
    const d = new Browser();
    const r = await d.signIn(DEMO_USER_EMAIL, DEMO_USER_PASSWORD);
    assert.equal(r.location, '/account/terms');
    const page = await d.get('/account/terms');
    const version = /name="version" value="([0-9a-z]+)"/.exec(page.body)![1]!;
    assert.equal((await d.post('/account/terms', { version })).location, '/account');
    const csv = parseCsv(Buffer.from(await (await admin.get('/staff/terms/v2/pending.csv')).arrayBuffer()).subarray(3).toString('utf8'));
    assert.ok(!csv.some((row) => row[0] === DEMO_USER_EMAIL));
    assert.equal(csv.length - 1, 3);
  });

  test('the report pages through many users', async () => {
    const ids = [];
    for (let i = 0; i < 55; i++) ids.push((await app.referenceStore!.createAccount(`many-${i}@example.jp`)));
    const [hash] = await app.db.query<{ password_hash: string }>(`SELECT password_hash FROM user_credentials LIMIT 1`);
    for (const id of ids) await app.db.query(`INSERT INTO user_credentials (account_id, password_hash) VALUES ($1, $2)`, [id, hash!.password_hash]);
    const first = await (await admin.get('/staff/terms/v2/pending')).text();
    assert.match(plain(first), /1〜50 件目 \(全 58 件\)/);
    assert.match(first, /href="\/staff\/terms\/v2\/pending\?offset=50" rel="next"/);
    const second = plain(await (await admin.get('/staff/terms/v2/pending?offset=50')).text());
    assert.match(second, /51〜58 件目 \(全 58 件\)/);
    const listed = (s: string) => [...s.matchAll(/many-\d+@example\.jp/g)].map((m) => m[0]);
    assert.equal(new Set([...listed(plain(first)), ...listed(second)]).size, 55);
  });

  test('the diff stays inert for hostile text that reached the database some other way', async () => {
    await app.db.query(
      `INSERT INTO terms_versions (id, label, status, seq, effective_from, body_ja, summary_ja, ack_required, created_at, updated_at, published_at)
       VALUES ('hostile00001', 'v3', 'published', 3, '2027-06-01', $1, $2, false, now(), now(), now())`,
      [`${TERMS_V2}\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n[押して](javascript:alert(1))\n"><svg onload=alert(1)>`, '<b>要約</b><script>alert(2)</script>'],
    );
    for (const path of ['/terms/versions/v3', '/terms/versions/v3/diff']) {
      const page = await text(path);
      assert.ok(!/<script|<img|<svg|<b>|href="javascript:/i.test(page), `${path} is inert`);
      assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${path} shows the text as text`);
    }
    assert.match(await text('/terms/versions/v3/diff'), /<ins>/);
  });
});

describe('staff forms', () => {
  const notice = (override: Record<string, string>) => ({ ...NOTICE, intent: 'publish', ...override });
  const refuse = (path: string, fields: Record<string, string>, message: RegExp, status = 400) =>
    assertRefusedWithoutChange(stored, () => admin.postForm(path, fields), { status, message });

  test('bad notices are refused with a clear message, and nothing is stored', async () => {
    await refuse('/staff/notices', { intent: 'publish' }, /「タイトル \(日本語\)」を入力してください/);
    await refuse('/staff/notices', notice({ titleJa: '   ' }), /「タイトル \(日本語\)」を入力してください/);
    await refuse('/staff/notices', notice({ titleJa: 'あ'.repeat(201) }), /「タイトル \(日本語\)」は 200 文字以内/);
    await refuse('/staff/notices', notice({ changesJa: 'x'.repeat(5001) }), /「変更の内容 \(日本語\)」は 5000 文字以内/);
    await refuse('/staff/notices', notice({ titleJa: '<script>alert(1)</script>' }), /HTML タグは使えません/);
    await refuse('/staff/notices', notice({ actionEn: 'click <img src=x onerror=alert(1)>' }), /「お客様に必要な手続き \(英語\)」に HTML タグは使えません/);
    await refuse('/staff/notices', notice({ effectiveFrom: '2026-02-30' }), /「適用開始日」は 2026-12-01 の形式で、実在する日付/);
    await refuse('/staff/notices', notice({ effectiveFrom: 'tomorrow' }), /実在する日付/);
    await refuse('/staff/notices', notice({ deadline: '2026-11-30' }), /「手続きの期限 \(任意\)」は適用開始日と同じか、それより後の日付/);
    await refuse('/staff/notices', notice({ titleJa: 'bad \uFFFD bytes' }), /文字コードが正しくありません/);
    // JSON clients get the same refusal as {code, message, requestId}.
    await assertRefusedWithoutChange(stored, () => admin.postJson('/staff/notices', { ...NOTICE, deadline: '2026-01-01' }), { status: 400, code: 'VALIDATION', message: /適用開始日と同じか/ });
  });

  test('bad edits and withdrawals are refused and change nothing', async () => {
    const res = await admin.postForm('/staff/notices', notice({ titleJa: '編集テスト', intent: 'draft' }));
    const id = /notices\/([0-9a-z]+)/.exec(res.headers.get('location') ?? '')![1]!;
    await refuse(`/staff/notices/${id}`, notice({ titleJa: '' }), /「タイトル \(日本語\)」を入力してください/);
    await refuse(`/staff/notices/${id}`, notice({ changesJa: '<iframe src="https://evil.example">' }), /HTML タグは使えません/);
    await refuse(`/staff/notices/${id}`, notice({ effectiveFrom: '2026-13-01' }), /実在する日付/);
    await refuse(`/staff/notices/${id}/withdraw`, {}, /取り下げられるのは公開中のお知らせだけです/, 409);
    assert.equal((await admin.postForm(`/staff/notices/${id}/publish`, {})).status, 303);
    await refuse(`/staff/notices/${id}/withdraw`, { reason: '<script>x</script>' }, /HTML タグは使えません/);
    await refuse(`/staff/notices/${id}/publish`, {}, /すでに公開されています/, 409);
    assert.equal((await admin.postForm('/staff/notices/nosuchnotice/publish', {})).status, 404);
  });

  const terms = (override: Record<string, string>) => ({
    label: 'v9', effectiveFrom: '2027-01-01', bodyJa: TERMS_V2, summaryJa: '概要', ackRequired: 'on', ackDeadline: '2027-01-31', intent: 'draft', ...override,
  });

  test('bad terms versions are refused with a clear message, and nothing is stored', async () => {
    await refuse('/staff/terms', { intent: 'draft' }, /「版の名前」を入力してください/);
    await refuse('/staff/terms', terms({ label: '../etc/passwd' }), /「版の名前」は英数字で始まる/);
    await refuse('/staff/terms', terms({ label: 'new' }), /「版の名前」は英数字で始まる/);
    await refuse('/staff/terms', terms({ label: 'v1' }), /その版の名前はすでに使われています/, 409);
    await refuse('/staff/terms', terms({ bodyJa: '' }), /「本文 \(日本語・Markdown\)」を入力してください/);
    await refuse('/staff/terms', terms({ bodyJa: 'x'.repeat(100_001) }), /100000 文字以内/);
    await refuse('/staff/terms', terms({ bodyJa: '第1条\n<script>alert(1)</script>' }), /HTML タグは使えません/);
    await refuse('/staff/terms', terms({ bodyJa: '[押して](javascript:alert(1))' }), /リンク先は https:\/\/ か mailto:/);
    await refuse('/staff/terms', terms({ bodyEn: '[x](data:text/html,hi)' }), /「本文 \(英語・Markdown\)」のリンク先/);
    await refuse('/staff/terms', terms({ bodyJa: '![追跡](https://tracker.example/p.gif)' }), /画像は使えません/);
    await refuse('/staff/terms', terms({ bodyJa: '第1条\n```\nここから閉じないコード' }), /コードブロック \(```\) が閉じられていません/);
    await refuse('/staff/terms', terms({ summaryJa: '<b>太字</b>' }), /「変更の概要 \(日本語\)」に HTML タグは使えません/);
    await refuse('/staff/terms', terms({ effectiveFrom: '2027-02-29' }), /実在する日付/);
    await refuse('/staff/terms', terms({ ackDeadline: '2026-12-31' }), /「同意の期限 \(任意\)」は適用開始日と同じか/);
    await refuse('/staff/terms', terms({ ackRequired: '', ackDeadline: '2027-01-31' }), /同意の期限は「ユーザーの同意を必要とする」を選んだときだけ/);
    await refuse('/staff/terms', terms({ effectiveFrom: '2026-01-01', ackDeadline: '2026-01-31', intent: 'publish' }), /同意の期限がすでに過ぎています/);
  });

  test('a draft can be edited; bad edits are refused; a published version cannot change', async () => {
    assert.equal((await admin.postForm('/staff/terms', terms({ label: 'v10' }))).status, 303);
    await refuse('/staff/terms/v10', terms({ label: 'v10', bodyJa: '```\nunclosed' }), /閉じられていません/);
    await refuse('/staff/terms/v10', terms({ label: 'v1' }), /その版の名前はすでに使われています/, 409);
    const ok = await admin.postForm('/staff/terms/v10', terms({ label: 'v10', summaryJa: '直した概要' }));
    assert.equal(ok.status, 303);
    await refuse('/staff/terms/v2', terms({ label: 'v2' }), /公開済みの利用規約は変更できません/, 409);
    await refuse('/staff/terms/v2/publish', {}, /公開済みの利用規約は変更できません/, 409);
  });

  test('a viewer reads but cannot publish', async () => {
    assert.equal((await viewer.get('/staff/notices')).status, 200);
    assert.equal((await viewer.get('/staff/terms')).status, 200);
    assert.equal((await viewer.get('/staff/notices/new')).status, 403);
    await assertRefusedWithoutChange(stored, () => viewer.postForm('/staff/notices', { ...NOTICE, intent: 'publish' }), { status: 403, message: /権限がありません/ });
    await assertRefusedWithoutChange(stored, () => viewer.postForm('/staff/terms', terms({ label: 'v11', intent: 'publish' })), { status: 403 });
    await assertRefusedWithoutChange(stored, () => viewer.postForm('/staff/terms/v10/publish', {}), { status: 403 });
    assert.equal((await viewer.get('/staff/terms/v2/pending')).status, 403);
    assert.equal((await viewer.get('/staff/terms/v2/pending.csv')).status, 403);
  });
});

test('CSV cells: quoting and formula neutralising', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
  for (const lead of ['=', '+', '-', '@', '\t', '\r']) assert.ok(csvCell(`${lead}1+1`).replace(/^"/, '').startsWith(`'${lead}`), JSON.stringify(lead));
  assert.equal(csvCell(null), '');
});

function ackLink(m: ReceivedMail): string {
  const found = /(http:\/\/[^\s]+\/terms\/ack\/[\w-]+)/.exec(m.text);
  assert.ok(found, `an acknowledgement link in ${m.subject}`);
  return found[1]!;
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\r' && input[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += ch;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}

describe('demo notices', () => {
  test('two processes seeding an empty database at once: one seeds, the other stands back, neither fails', async () => {
    const { seedDemoNotices } = await import('../src/notices/demo-notices.ts');
    const fresh = await startApp();
    try {
      const results = await Promise.all([seedDemoNotices(fresh.db, new Date(), 'Asia/Tokyo'), seedDemoNotices(fresh.db, new Date(), 'Asia/Tokyo')]);
      assert.deepEqual(results.filter(Boolean).length, 1, `one seeder wins: ${JSON.stringify(results)}`);
      const [counts] = await fresh.db.query<{ terms: number; notices: number }>('SELECT (SELECT count(*) FROM terms_versions)::int AS terms, (SELECT count(*) FROM notices)::int AS notices');
      assert.deepEqual(counts, { terms: 2, notices: 1 });
      assert.equal(await seedDemoNotices(fresh.db, new Date(), 'Asia/Tokyo'), false, 'a later start adds nothing');
    } finally {
      await fresh.stop();
    }
  });
});
