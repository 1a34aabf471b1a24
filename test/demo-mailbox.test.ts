/**
 * The demo mailbox (`kinkyu start --demo` without SMTP_URL): mail goes the production way — outbox, worker,
 * fan-out — and arrives in the built-in mailbox instead of an SMTP server. Staff read every mail at
 * /staff/mailbox, a signed-in user only their own at /account/mailbox, and the links in them work end to end
 * (a help-center lock link, a password reset, an emailed step-up code). Without the flag, or with SMTP_URL set,
 * the pages are 404 and nothing is stored there; without SMTP the outbox keeps its mail queued, never "sent".
 * The pages pass axe-core in Japanese and English on a phone and a desktop.
 *
 * Run: node --import tsx --test --test-reporter=spec test/demo-mailbox.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { DEMO_USER_EMAIL } from '../src/security-center/user-accounts.ts';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { formatDateTime } from '../src/web/i18n.ts';
import { startConfig } from '../src/cli/commands.ts';
import { StaffClient, eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, signInStaff } from './support/browser.ts';
import { startSmtpServer } from './support/smtp.ts';
import { freePort } from './support/net.ts';
import { kinkyuEnv, stopKinkyu } from './support/server-process.ts';
import { builtCli } from './support/built-cli.ts';
import { plain } from './support/text.ts';
import { createTestUser, UserBrowser } from './support/user-client.ts';

let now = new Date('2026-11-24T01:30:00Z');
const clock = () => new Date(now);
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

let app: RunningApp;
let admin: StaffClient;
let adminEmail = '';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

interface Listed { id: string; to: string; subject: string }
async function listed(staff: StaffClient): Promise<Listed[]> {
  const res = await fetch(`${staff.baseUrl}/staff/mailbox`, { headers: { cookie: staff.cookie, accept: 'application/json' } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { mails: Listed[] }).mails;
}

/** Waits for the worker to deliver a mail to `to` whose subject contains `subject`; returns its mailbox entry. */
async function delivered(to: string, subject: string): Promise<Listed> {
  let found: Listed | undefined;
  await eventually(async () => {
    await app.mail.drain();
    found = (await listed(admin)).find((m) => m.to === to && m.subject.includes(subject));
    return found !== undefined;
  }, 10_000, 50);
  return found!;
}

/** The links of one kind in a mailbox page, as the reader clicks them. */
const linksIn = (page: string, path: string) => [...page.matchAll(/<a href="([^"]+)" rel="noreferrer">/g)].map((m) => m[1]!).filter((href) => new URL(href).pathname.startsWith(path));

before(async () => {
  app = await startApp({ clock, config: { demoMailbox: true, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });
  adminEmail = await makeStaff(app.db, 'admin');
  admin = await StaffClient.signIn(app.baseUrl, adminEmail);
});
after(() => app?.stop());

describe('the demo mailbox, on', () => {
  test('a help-center lock link arrives at /staff/mailbox through the outbox, and the link in it locks the account', async () => {
    const { email, id } = await createTestUser(app, 'lock-me@example.jp');
    const asked = await fetch(`${app.baseUrl}/help/lock`, form({ identifier: email }));
    assert.equal(asked.status, 200);
    await app.lock.settled();
    const entry = await delivered(email, 'アカウントをロックするためのリンク');

    // The outbox did its production work: the row is sent, once, and the mailbox holds the same Message-ID.
    const [row] = await app.db.query<{ message_id: string; sent_at: Date | null; attempts: number }>(
      `SELECT message_id, sent_at, attempts FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%ロックするためのリンク%'`, [email]);
    assert.ok(row?.sent_at, 'marked sent: it was handed to the mailbox');

    // The list: who, what, when (the reader's language, the site's zone).
    const list = await admin.get('/staff/mailbox');
    assert.equal(list.status, 200);
    const listPage = await list.text();
    assert.match(listPage, new RegExp(`href="/staff/mailbox/${entry.id}"`));
    assert.match(plain(listPage), /lock-me@example\.jp/);
    assert.ok(plain(listPage).includes(formatDateTime('ja', now, 'Asia/Tokyo')), 'the received time in Japanese, JST');
    const listEn = await (await admin.get('/staff/mailbox?lang=en')).text();
    assert.ok(plain(listEn).includes(formatDateTime('en', now, 'Asia/Tokyo')), 'and in English');
    assert.match(listEn, /Demo mailbox/);

    // One mail: its headers as received (Message-ID, the automatic-mail headers) and the text with its links.
    const opened = await admin.get(`/staff/mailbox/${entry.id}`);
    assert.equal(opened.status, 200);
    assert.equal(opened.headers.get('referrer-policy'), 'no-referrer');
    const page = await opened.text();
    const text = plain(page);
    assert.ok(text.includes(`Message-ID ${row.message_id}`), 'the Message-ID the outbox fixed at enqueue time');
    assert.match(text, /Auto-Submitted auto-generated/);
    assert.match(text, /To lock-me@example\.jp/);
    assert.match(text, /Subject \[デモ取引所\] アカウントをロックするためのリンク/, 'the subject decoded from its RFC 2047 words');
    const [link] = linksIn(page, '/lock/');
    assert.ok(link, 'the lock link is clickable');
    assert.ok(link.startsWith(`${app.baseUrl}/lock/`));

    // The source is the message as an SMTP server would have had it.
    const source = await (await admin.get(`/staff/mailbox/${entry.id}/source`)).text();
    assert.match(source, /^Content-Type: text\/plain; charset=utf-8/m);
    assert.ok(source.includes(`Message-ID: ${row.message_id}`));

    // Following the link: the confirmation page, then the lock.
    const confirm = await fetch(link, { headers: { 'accept-language': 'ja' } });
    assert.equal(confirm.status, 200);
    const locked = await fetch(link, form({ lang: 'ja' }));
    assert.equal(locked.status, 200);
    assert.match(plain(await locked.text()), /アカウントをロックしました/);
    assert.equal((await app.referenceStore!.findAccount({ accountId: id }))?.locked, true);
    // …and the mail saying so arrives too.
    await delivered(email, 'アカウントをロックしました');
  });

  test('a password reset link from the mailbox sets a new password', async () => {
    const { email } = await createTestUser(app, 'forgot@example.jp');
    const b = new UserBrowser(app, clock);
    await b.get('/account/forgot');
    const asked = await fetch(`${app.baseUrl}/account/forgot`, {
      ...form({ email, _pre: b.pre }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    assert.equal(asked.status, 200);
    const entry = await delivered(email, 'パスワードの再設定');
    const [link] = linksIn(await (await admin.get(`/staff/mailbox/${entry.id}`)).text(), '/account/forgot/');
    assert.ok(link, 'the reset link is clickable');
    const path = new URL(link).pathname;
    assert.equal((await b.get(path)).status, 200);
    const done = await b.post(path, { password: 'a brand new password 2026', _pre: b.pre });
    assert.equal(done.status, 303, done.body);
    assert.equal(done.location, '/account/login?reset=1');
    const signedIn = await new UserBrowser(app, clock).signIn(email, 'a brand new password 2026');
    assert.equal(signedIn.status, 200);
  });

  test('the demo user reads their own mail in the security center, and no one else\'s; the emailed step-up code works', async () => {
    const other = await createTestUser(app, 'someone-else@example.jp');
    await createTestUser(app, DEMO_USER_EMAIL);
    // Mail to someone else first: it must never show in the demo user's mailbox.
    await fetch(`${app.baseUrl}/help/lock`, form({ identifier: other.email }));
    await app.lock.settled();
    const othersMail = await delivered(other.email, 'ロックするためのリンク');

    advance(60_000);
    const b = new UserBrowser(app, clock);
    assert.equal((await b.signIn(DEMO_USER_EMAIL)).status, 200);
    const center = await b.get('/account');
    assert.match(center.body, /href="\/account\/mailbox"/, 'the security center links to the demo mailbox');
    assert.match(plain(center.body), /デモ用メールボックスに届きます/);
    // The new sign-in's notice went to the demo user.
    await delivered(DEMO_USER_EMAIL, '新しい');

    const mine = await b.get('/account/mailbox');
    assert.equal(mine.status, 200);
    const mineText = plain(mine.body);
    assert.match(mineText, /demo@example\.jp 宛てのメールです/);
    assert.doesNotMatch(mine.body, new RegExp(`/account/mailbox/${othersMail.id}"`));
    assert.doesNotMatch(mineText, /ロックするためのリンク/, 'another address\'s mail is not listed');
    assert.equal((await b.get(`/account/mailbox/${othersMail.id}`)).status, 404, 'nor can it be opened');
    assert.equal((await b.get('/account/mailbox/99999999')).status, 404);

    // A sensitive change asks for a step-up; the code is mailed, read in the mailbox, and accepted.
    const asked = await b.post('/account/step-up/send', { action: 'address' });
    assert.equal(asked.status, 403);
    assert.match(asked.body, /href="\/account\/mailbox" target="_blank"/, 'the step-up page points to the mailbox');
    const codeMail = await delivered(DEMO_USER_EMAIL, '操作の確認コード');
    const opened = await b.get(`/account/mailbox/${codeMail.id}`);
    assert.equal(opened.status, 200);
    const code = /確認コード: (\d{6})/.exec(plain(opened.body))?.[1];
    assert.ok(code, 'the code is in the mail');
    const passed = await b.post('/account/step-up', { action: 'address', code });
    assert.equal(passed.status, 303, passed.body);

    // Signed out: the mailbox is behind the sign-in like the rest of the security center.
    const stranger = await fetch(`${app.baseUrl}/account/mailbox`, { redirect: 'manual' });
    assert.equal(stranger.status, 303);
    assert.equal(stranger.headers.get('location'), '/account/login');
  });

  test('the fan-out\'s email channel delivers update emails into the mailbox too', async () => {
    await insertSubscriber(app.db, {
      id: 'mailboxsubscr01', channel: 'email', target: 'subscriber@example.jp', lang: 'ja', components: null, secret: null,
      ownerEmail: null, confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: clock(), ip: null, now: clock(),
    });
    await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'outage', severity: 'SEV2', nameJa: 'メールボックス確認用の障害', nameEn: 'Mailbox check outage', bodyJa: '調査中です。', bodyEn: 'Investigating.',
      componentStatuses: {},
    });
    let entry: Listed | undefined;
    await eventually(async () => {
      await app.site.refresh();
      app.fanout.kick();
      await app.fanout.drain();
      entry = (await listed(admin)).find((m) => m.to === 'subscriber@example.jp');
      return entry !== undefined;
    }, 15_000, 100);
    const text = plain(await (await admin.get(`/staff/mailbox/${entry!.id}`)).text());
    assert.match(text, /メールボックス確認用の障害/);
    assert.match(text, /List-Unsubscribe-Post List-Unsubscribe=One-Click/);
  });

  test('staff who may act on accounts read it (admin, security); others are refused and see no link', async () => {
    const security = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'security'));
    assert.equal((await security.get('/staff/mailbox')).status, 200);
    const agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
    assert.equal((await agent.get('/staff/mailbox')).status, 403);
    assert.doesNotMatch(await (await agent.get('/staff')).text(), /href="\/staff\/mailbox"/);
    assert.match(await (await admin.get('/staff')).text(), /href="\/staff\/mailbox"/);
    assert.equal((await admin.get('/staff/mailbox/0')).status, 404);
    assert.equal((await admin.get('/staff/mailbox/not-a-number')).status, 404);
    const anonymous = await fetch(`${app.baseUrl}/staff/mailbox`, { redirect: 'manual' });
    assert.notEqual(anonymous.status, 200);
  });
});

describe('the demo mailbox, off', () => {
  test('without the flag: 404 everywhere, nothing stored, and the outbox keeps its mail queued (never "sent")', async () => {
    const plainApp = await startApp({ clock, config: { mailSender: { pollMs: 50 } } });
    try {
      const staff = await StaffClient.signIn(plainApp.baseUrl, await makeStaff(plainApp.db, 'admin'));
      assert.equal((await staff.get('/staff/mailbox')).status, 404);
      assert.equal((await staff.get('/staff/mailbox/1')).status, 404);
      assert.doesNotMatch(await (await staff.get('/staff')).text(), /\/staff\/mailbox/);
      const { email } = await createTestUser(plainApp, DEMO_USER_EMAIL);
      const b = new UserBrowser(plainApp, clock);
      assert.equal((await b.signIn(email)).status, 200);
      assert.doesNotMatch((await b.get('/account')).body, /\/account\/mailbox/);
      assert.equal((await b.get('/account/mailbox')).status, 404);

      assert.equal((await fetch(`${plainApp.baseUrl}/help/lock`, form({ identifier: email }))).status, 200);
      await plainApp.lock.settled();
      await plainApp.mail.drain();
      await new Promise((r) => setTimeout(r, 200));
      const rows = await plainApp.db.query<{ sent_at: Date | null; attempts: number }>(`SELECT sent_at, attempts FROM mail_outbox WHERE to_address = $1`, [email]);
      assert.ok(rows.length >= 2, 'the sign-in notice and the lock link are queued');
      assert.ok(rows.every((r) => r.sent_at === null && r.attempts === 0), 'nothing marked sent, nothing even tried');
      const [stored] = await plainApp.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM demo_mailbox`);
      assert.equal(stored!.n, 0);
    } finally {
      await plainApp.stop();
    }
  });

  test('with SMTP_URL set the flag is ignored: mail goes to the SMTP server and the mailbox is not there', async () => {
    const smtp = await startSmtpServer();
    const smtpApp = await startApp({ clock, config: { demoMailbox: true, smtpUrl: smtp.url, mailSender: { pollMs: 50 } } });
    try {
      const staff = await StaffClient.signIn(smtpApp.baseUrl, await makeStaff(smtpApp.db, 'admin'));
      assert.equal((await staff.get('/staff/mailbox')).status, 404);
      const { email } = await createTestUser(smtpApp, 'smtp-user@example.jp');
      await fetch(`${smtpApp.baseUrl}/help/lock`, form({ identifier: email }));
      await smtpApp.lock.settled();
      await smtp.waitFor((m) => m.to.includes(email));
      const [stored] = await smtpApp.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM demo_mailbox`);
      assert.equal(stored!.n, 0);
    } finally {
      await smtpApp.stop();
      await smtp.stop();
    }
  });

  test('`kinkyu start --demo` turns it on only when SMTP_URL is empty; `start` alone never', () => {
    const saved = process.env.SMTP_URL;
    try {
      delete process.env.SMTP_URL;
      assert.equal(startConfig(true).demoMailbox, true);
      assert.equal(startConfig(false).demoMailbox, false);
      process.env.SMTP_URL = 'smtp://127.0.0.1:2525';
      assert.equal(startConfig(true).demoMailbox, false);
    } finally {
      if (saved === undefined) delete process.env.SMTP_URL;
      else process.env.SMTP_URL = saved;
    }
  });
});

describe('the real `kinkyu start --demo`', () => {
  /** Starts the server; resolves with its banner (stderr) once the demo mailbox line — or the line after "up" — is out. */
  const startServer = (env: NodeJS.ProcessEnv) =>
    new Promise<{ child: ReturnType<typeof spawn>; banner: () => string }>((resolve, reject) => {
      const child = spawn(process.execPath, [builtCli(), 'start', '--demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let banner = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`did not start:\n${banner}`));
      }, 120_000);
      child.stderr!.on('data', (d: Buffer) => {
        banner += d;
        if (/kinkyu is up.*\n/.test(banner)) {
          clearTimeout(timer);
          // The mailbox line, when there is one, is written right after.
          setTimeout(() => resolve({ child, banner: () => banner }), 200);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited ${code}:\n${banner}`));
      });
    });

  test('without SMTP_URL the banner says where the mailbox is, and the demo\'s own mail is there; with SMTP_URL neither', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-mailbox-'));
    const admin = { email: 'mailbox-admin@example.com', password: 'mailbox admin password 2026' };
    const smtp = await startSmtpServer();
    try {
      const port = await freePort();
      const env = kinkyuEnv({ port, dataDir: join(dir, 'data'), admin });
      const demo = await startServer(env);
      try {
        assert.match(demo.banner(), new RegExp(`Demo mailbox .*http://127\\.0\\.0\\.1:${port}/staff/mailbox`));
        assert.match(demo.banner(), /\/account\/mailbox/);
        const staff = await StaffClient.signIn(`http://127.0.0.1:${port}`, admin.email, admin.password);
        // The demo tickets' confirmations went the outbox's way into the mailbox.
        await eventually(async () => (await listed(staff)).length > 0, 15_000, 200);
      } finally {
        await stopKinkyu(demo.child);
      }
      const withSmtp = await startServer({ ...env, SMTP_URL: smtp.url });
      try {
        assert.doesNotMatch(withSmtp.banner(), /Demo mailbox/);
        const staff = await StaffClient.signIn(`http://127.0.0.1:${port}`, admin.email, admin.password);
        assert.equal((await staff.get('/staff/mailbox')).status, 404);
      } finally {
        await stopKinkyu(withSmtp.child);
      }
    } finally {
      await smtp.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the demo mailbox pages: axe WCAG 2.1 AA, no sideways scrolling', () => {
  const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(() => browser?.close());

  test('staff and user pages, ja and en, phone and desktop', async () => {
    const a11y = await createTestUser(app, 'a11y-mailbox@example.jp');
    const user = new UserBrowser(app, clock);
    assert.equal((await user.signIn(a11y.email)).status, 200);
    const mail = await delivered(a11y.email, '新しい');
    const staffPaths = ['/staff/mailbox', `/staff/mailbox/${mail.id}`];
    const userPaths = ['/account/mailbox', `/account/mailbox/${mail.id}`, '/account'];
    const problems: string[] = [];
    for (const [where, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const context = await browser.newContext({ ...viewport, bypassCSP: true, locale: 'ja-JP' });
      try {
        const page = await context.newPage();
        await page.goto(`${app.baseUrl}/staff/login?lang=ja`);
        await signInStaff(page, app.baseUrl, adminEmail);
        await context.addCookies([...user.cookies].map(([name, value]) => ({ name, value, url: app.baseUrl })));
        for (const lang of ['ja', 'en'] as const) {
          for (const path of [...staffPaths, ...userPaths]) {
            const res = await page.goto(`${app.baseUrl}${path}?lang=${lang}`);
            if (res?.status() !== 200) problems.push(`${where} ${lang} ${path}: HTTP ${res?.status()}`);
            if ((await page.getAttribute('html', 'lang')) !== lang) problems.push(`${where} ${lang} ${path}: not in ${lang}`);
            for (const v of await axeViolations(page)) problems.push(`${where} ${lang} ${path}: ${v}`);
            const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
            if (scrollWidth > clientWidth + 1) problems.push(`${where} ${lang} ${path}: horizontal overflow (${scrollWidth} > ${clientWidth})`);
          }
        }
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(problems, []);
  });
});
