/**
 * Channels consistent everywhere (issue 15, point 10): every page that offers the emergency phone line says,
 * by the desk's calendar and the application's clock, whether it is open now, and when it is not, when it opens
 * again and what to do meanwhile (links); the status page's header leads to the help center and the lock, in
 * ja and en; a security ticket's next steps start with the lock, as a link.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BusinessCalendar } from '../src/domain/business-calendar.ts';
import { phoneLineBlock, type PhoneLine } from '../src/web/phone-line.ts';
import { t, type Lang } from '../src/web/i18n.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { createTestUser, UserBrowser } from './support/user-client.ts';
import { plain } from './support/text.ts';

const jst = (local: string) => new Date(`${local}:00+09:00`);
const WEDNESDAY_10 = jst('2026-11-25T10:00');
const SATURDAY_12 = jst('2026-11-28T12:00');
const POLICE = 'https://police.example.jp/cyber';

describe('the phone-line component', () => {
  const line = (now: Date): PhoneLine => ({ phone: '03-1234-5678', calendar: new BusinessCalendar(), now, policeUrl: POLICE });
  const text = (lang: Lang, now: Date, opts = {}) => plain(phoneLineBlock(lang, line(now), opts).value);

  test('open: the number, the hours, and until when', () => {
    const block = phoneLineBlock('ja', line(WEDNESDAY_10)).value;
    assert.match(block, /<a class="phone-number" href="tel:0312345678">03-1234-5678<\/a>/);
    assert.match(plain(block), /受付時間: 平日 09:00〜18:00、祝日・年末年始を除く/);
    assert.match(plain(block), /受付中 \(18:00 まで\)/);
    assert.doesNotMatch(block, /help-instead/, 'nothing to do instead while it is open');
    assert.match(text('en', WEDNESDAY_10), /Open now \(until 18:00\)/);
  });

  test('closed: when it opens again, why, and what to do meanwhile, as links in order', () => {
    const holiday = jst('2026-11-23T10:00'); // Labour Thanksgiving Day
    const block = phoneLineBlock('ja', line(holiday)).value;
    assert.match(plain(block), /受付時間外です。次の受付開始: 11月24日\(火\) 9:00/);
    assert.match(plain(block), /勤労感謝の日/);
    const instead = block.slice(block.indexOf('<ol class="help-instead">'));
    const hrefs = [...instead.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(hrefs, ['/help/lock', '/contact?category=security', POLICE]);
    assert.match(plain(instead), /まずアカウントをロック.*次に、お問い合わせフォーム.*警察/);
    assert.match(text('en', holiday), /Closed now\. Opens Tue 11\/24 9:00/);
    const en = phoneLineBlock('en', line(holiday)).value;
    assert.ok(en.includes('href="/help/lock?lang=en"') && en.includes('href="/contact?category=security&amp;lang=en"'), 'English links stay English');
  });

  test('a page drops the steps it is itself; the form then is not "then"', () => {
    const block = phoneLineBlock('ja', line(SATURDAY_12), { instead: ['form', 'police'] }).value;
    assert.doesNotMatch(block, /\/help\/lock/);
    assert.match(plain(block), new RegExp(t('ja', 'help.phone.closed.formOnly').slice(0, 12)));
    assert.match(plain(block), /本日は休業日です/);
    assert.doesNotMatch(phoneLineBlock('ja', line(SATURDAY_12), { instead: [] }).value, /help-instead/);
  });
});

describe('every page that offers the phone line says whether it is open now', () => {
  let app: RunningApp;
  let now = WEDNESDAY_10;
  let counter = 0;
  const email = (tag: string) => `${tag}-${++counter}-${process.pid}@example.jp`;

  before(async () => {
    app = await startApp({ clock: () => now, config: { contactRateLimit: 1, policeCyberUrl: POLICE } });
  });
  after(async () => app?.stop());

  const get = async (path: string, lang: Lang) => {
    const res = await fetch(app.baseUrl + path, { headers: { 'accept-language': lang } });
    return { status: res.status, body: await res.text() };
  };
  const post = async (path: string, fields: Record<string, string>, lang: Lang) => {
    const res = await fetch(app.baseUrl + path, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': lang },
      body: new URLSearchParams({ lang, ...fields }).toString(),
    });
    return { status: res.status, body: await res.text(), location: res.headers.get('location') };
  };
  const lockLink = async () => {
    const address = email('lock-link');
    const account = await app.referenceStore!.createAccount(address);
    return new URL(await app.lock.issueLockLink(account, address, 'test')).pathname;
  };

  /** Each page, made afresh for each visit (a lock link is spent, an account locked, a limit reached). */
  const pages: Record<string, (lang: Lang) => Promise<{ status: number; body: string }>> = {
    'help center, lock form (/help/lock)': (lang) => get('/help/lock', lang),
    'help center, lock result': (lang) => post('/help/lock', { identifier: email('help-lock') }, lang),
    'lock link, confirmation': async (lang) => get(await lockLink(), lang),
    'lock link, lock complete': async (lang) => post(await lockLink(), {}, lang),
    'lock link, used or unknown': (lang) => get('/lock/no-such-lock-link', lang),
    'security center, lock complete': async (lang) => {
      const user = await createTestUser(app, email('self-lock'));
      const browser = new UserBrowser(app, () => now, undefined, { 'accept-language': lang });
      assert.equal((await browser.signIn(user.email)).status, 200);
      await browser.get('/account/lock');
      return browser.post('/account/lock', {});
    },
    'sign-in to a locked account': async (lang) => {
      const user = await createTestUser(app, email('locked'));
      await app.lock.lock(user.id, { source: 'staff', reason: 'test', actor: { type: 'system', id: null }, lang: 'ja' });
      const browser = new UserBrowser(app, () => now, undefined, { 'accept-language': lang });
      await browser.get('/account/login');
      return browser.post('/account/login', { email: user.email, password: 'user password 2026' });
    },
    'contact form, too many requests': async (lang) => {
      const fields = { body: 'ログインについて質問があります。', email: email('limited') };
      await post('/contact', fields, lang); // filed the first time; the limit (1 per 10 minutes) holds for the rest of the file
      const limited = await post('/contact', fields, lang);
      assert.equal(limited.status, 429);
      return limited;
    },
    'security ticket, next steps': async (lang) => {
      const filed = await app.desk.submit({ body: '身に覚えのない出金があります。アカウントを乗っ取られたかもしれません', email: email('sec') }, { lang, ip: null });
      return get(`${filed.link}?received=1`, lang);
    },
  };

  const lineOf = (body: string) => {
    const start = body.indexOf('class="phone-line"');
    assert.ok(start > 0, 'the page has the phone line');
    return body.slice(start, body.indexOf('</div>', start));
  };

  for (const [name, visit] of Object.entries(pages)) {
    test(name, async () => {
      try {
        now = WEDNESDAY_10;
        const open = await visit('ja');
        assert.ok(open.status < 500, `${open.status}`);
        assert.match(plain(lineOf(open.body)), /受付中 \(18:00 まで\)/);
        assert.match(lineOf(open.body), new RegExp(`href="tel:${app.config.supportPhone.replace(/\D/g, '')}"`));
        assert.match(plain((await visit('en')).body), /Open now \(until 18:00\)/);

        now = SATURDAY_12;
        const closed = lineOf((await visit('ja')).body);
        assert.match(plain(closed), /受付時間外です。次の受付開始: 11月30日\(月\) 9:00/);
        assert.match(plain(closed), /本日は休業日です/);
        assert.match(closed, /<ol class="help-instead"><li><a href="[^"]+">/, 'what to do meanwhile, as links');
        assert.match(plain(lineOf((await visit('en')).body)), /Closed now\. Opens Mon 11\/30 9:00/);
      } finally {
        now = WEDNESDAY_10;
      }
    });
  }

  test('a security ticket\'s next steps start with the emergency lock, as a link, ja and en', async () => {
    for (const lang of ['ja', 'en'] as const) {
      const { body } = await pages['security ticket, next steps']!(lang);
      const steps = body.slice(body.indexOf('<ol class="steps">'));
      const first = steps.slice(steps.indexOf('<li>') + 4, steps.indexOf('</li>'));
      assert.ok(first.startsWith(`<a class="next-lock" href="${lang === 'en' ? '/help/lock?lang=en' : '/help/lock'}">${t(lang, 'next.security.lock')}</a>`), first);
      const items = steps.slice(0, steps.indexOf('</ol>')).split('<li>').slice(1);
      assert.ok(items.length >= 5 && items.every((item) => item.includes('<a ')), 'every step is a link');
      assert.equal((await get(lang === 'en' ? '/help/lock?lang=en' : '/help/lock', lang)).status, 200, 'the lock link works');
    }
  });

  test('the status page header leads to the help center and the lock, ja and en', async () => {
    for (const [path, lang, help, lock] of [['/', 'ja', '緊急ヘルプ', 'アカウントをロック'], ['/?lang=en', 'en', 'Emergency help', 'Lock my account']] as const) {
      const { body } = await get(path, lang);
      const header = body.slice(body.indexOf('<header'), body.indexOf('</header>'));
      const q = lang === 'en' ? '?lang=en' : '';
      assert.ok(header.includes(`<a href="${app.baseUrl}/help${q}">${help}</a>`), header);
      assert.ok(header.includes(`<a class="site-lock" href="${app.baseUrl}/help/lock${q}">${lock}</a>`), header);
      for (const target of [`/help${q}`, `/help/lock${q}`]) {
        const page = await get(target, lang);
        assert.equal(page.status, 200, target);
        assert.match(page.body, new RegExp(`<html lang="${lang}">`));
      }
    }
  });
});
