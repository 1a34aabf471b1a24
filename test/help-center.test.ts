/**
 * The emergency help center through HTTP: "What happened?" and its five paths to their steps, the live
 * incident banner first, channel routing (the phone line only on the security path, open or closed by the
 * business calendar), channels from configuration, every step's link a real page, the preparedness
 * checklist (anonymous and signed in), article suggestions on the contact form, and hostile query strings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, eventually, type RunningApp } from './support/app.ts';
import { plain } from './support/text.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { parseBusinessCalendarConfig } from '../src/domain/business-calendar.ts';
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';

/** A Tokyo wall-clock time. */
const jst = (local: string) => new Date(`${local}+09:00`);
const WEDNESDAY_10 = jst('2026-11-25T10:00');

const PHONE = '03-9999-0110';
const PHONE_DIGITS = '0399990110';
const X_URL = 'https://x.com/kinkyu_test_ex';
const HISTORY_URL = 'https://exchange.example/account/history';
const POLICE_URL = 'https://police.example/cyber-desk';
const TYPES = ['outage', 'security', 'trading', 'regulatory', 'other'] as const;

let now = WEDNESDAY_10;
let app: RunningApp;

before(async () => {
  app = await startApp({
    demo: false,
    clock: () => now,
    config: { supportPhone: PHONE, officialXUrl: X_URL, tradeHistoryUrl: HISTORY_URL, policeCyberUrl: POLICE_URL },
  });
});
after(async () => {
  await app?.stop();
});

interface Page {
  status: number;
  body: string;
  main: string;
  location: string | null;
}

async function get(path: string, headers: Record<string, string> = {}, base = app.baseUrl, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(base + path, { redirect: 'manual', headers, ...init });
  const body = await res.text();
  const start = body.indexOf('<main');
  const main = start < 0 ? '' : body.slice(start, body.indexOf('</main>'));
  return { status: res.status, body, main, location: res.headers.get('location') };
}

/** Every href in the HTML, entities decoded, in document order. */
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

/** The href of the link whose visible text contains `text`. */
function linkTo(html: string, text: string): string {
  for (const m of html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)) {
    if (plain(m[2]!).includes(text)) return m[1]!.replace(/&amp;/g, '&');
  }
  assert.fail(`no link with the text "${text}"`);
}

const stepsOf = (page: Page) => {
  const start = page.main.indexOf('class="help-steps"');
  assert.ok(start > 0, 'the page lists steps');
  return page.main.slice(start, page.main.indexOf('</ol></section>', start));
};

describe('"What happened?": one question, five plain-word answers', () => {
  test('Japanese by default, English with ?lang=en and with Accept-Language; no script anywhere', async () => {
    const ja = await get('/help');
    assert.equal(ja.status, 200);
    assert.match(ja.body, /<html lang="ja">/);
    assert.match(plain(ja.main), /何が起きましたか\?/);
    for (const [label, type] of [
      ['取引所が使えない', 'outage'],
      ['誰かが自分のアカウントに入ったかもしれない', 'security'],
      ['注文・入金・出金がおかしい', 'trading'],
      ['ルールや利用規約が変わった', 'regulatory'],
      ['その他', 'other'],
    ] as const) {
      assert.equal(linkTo(ja.main, label), `/help/${type}`);
    }
    assert.doesNotMatch(ja.body, /<script/i);

    const en = await get('/help?lang=en');
    assert.match(en.body, /<html lang="en">/);
    for (const [label, type] of [
      ["I can't use the exchange", 'outage'],
      ['Someone may be in my account', 'security'],
      ['An order, deposit or withdrawal went wrong', 'trading'],
      ['A rule or the terms changed', 'regulatory'],
      ['Something else', 'other'],
    ] as const) {
      assert.equal(linkTo(en.main.replace(/&#39;/g, "'"), label), `/help/${type}?lang=en`);
    }
    const accept = await get('/help', { 'accept-language': 'en-GB,en;q=0.9,ja;q=0.5' });
    assert.match(plain(accept.main), /What happened\?/);
  });

  test('outage: straight to the steps — status page, hold off, the X account, the form with the type filled in', async () => {
    const page = await get('/help/outage');
    const steps = stepsOf(page);
    assert.equal(linkTo(steps, 'ステータスページ'), '/');
    assert.equal(linkTo(steps, '公式Xアカウント'), X_URL);
    assert.equal(linkTo(steps, 'お問い合わせフォーム'), '/contact?category=outage');
    assert.match(plain(page.main), /いま問題は報告されていません/, 'with no incident, the page says so');
  });

  test('security: "were assets taken?" then, only when not, "can you sign in?" — each answer leads to its steps', async () => {
    const first = await get('/help/security');
    assert.match(plain(first.main), /知らないうちに動かされていますか/);
    assert.equal(linkTo(first.main, '今すぐアカウントをロックする'), '/help/lock', 'the lock is offered before any question');
    assert.doesNotMatch(first.main, /help-steps/);

    const taken = await get(linkTo(first.main, 'はい、動かされている'));
    const takenSteps = stepsOf(taken);
    assert.equal(linkTo(takenSteps, 'アカウントをロックする'), '/help/lock');
    assert.equal(linkTo(takenSteps, '警察に相談・届け出をする'), POLICE_URL);
    assert.equal(linkTo(takenSteps, 'お問い合わせフォーム'), '/contact?category=security');
    assert.ok(takenSteps.indexOf('help-step-lock') < takenSteps.indexOf('help-step-phone'), 'lock comes first');

    const unsure = await get(linkTo(first.main, 'わからない'));
    assert.equal(linkTo(stepsOf(unsure), 'アカウントをロックする'), '/help/lock');

    const fine = await get(linkTo(first.main, 'いいえ、資産は無事'));
    assert.match(plain(fine.main), /今もご自分でログインできますか/);
    const canSignIn = await get(linkTo(fine.main, 'はい、ログインできる'));
    const steps = stepsOf(canSignIn);
    assert.equal(linkTo(steps, 'パスワードを変更する'), '/account#password');
    assert.equal(linkTo(steps, '二段階認証を設定する'), '/account/2fa');
    assert.equal(linkTo(steps, 'ログイン履歴'), '/account#sessions-h');
    const cannot = await get(linkTo(fine.main, 'いいえ、ログインできない'));
    assert.equal(linkTo(stepsOf(cannot), 'アカウントをロックする'), '/help/lock');
    assert.equal(linkTo(stepsOf(cannot), '再設定する'), '/account/forgot');
  });

  test('trading: "order, deposit or withdrawal?" — each with the trade history and the form', async () => {
    const first = await get('/help/trading');
    for (const answer of ['注文', '入金', '出金'] as const) {
      const page = await get(linkTo(first.main, `${answer} (`));
      const steps = stepsOf(page);
      assert.equal(linkTo(steps, '取引履歴'), HISTORY_URL);
      assert.equal(linkTo(steps, 'お問い合わせフォーム'), '/contact?category=trading');
    }
    const withdrawal = await get('/help/trading?what=withdrawal');
    assert.equal(linkTo(stepsOf(withdrawal), '自分で申請していない出金'), '/help/security?taken=yes');
  });

  test('rules: the notices, the terms, the deadline, then the form', async () => {
    const steps = stepsOf(await get('/help/regulatory'));
    assert.equal(linkTo(steps, 'お知らせを読む'), '/notices');
    assert.equal(linkTo(steps, '利用規約'), '/terms');
    assert.match(plain(steps), /期限までに/);
    assert.equal(linkTo(steps, 'お問い合わせフォーム'), '/contact?category=regulatory');
  });

  test('something else: a search box, the help articles, the form; English keeps the language in every link', async () => {
    const page = await get('/help/other');
    const steps = stepsOf(page);
    assert.match(steps, /<form method="get" action="\/help\/other"/);
    assert.equal(linkTo(steps, 'よくある質問'), '/help/articles');
    assert.equal(linkTo(steps, 'お問い合わせフォーム'), '/contact?category=other');
    const en = await get('/help/other?lang=en');
    assert.equal(linkTo(stepsOf(en), 'Tell us through the contact form'), '/contact?category=other&lang=en');
    assert.equal(linkTo(stepsOf(en), 'Check the status page'), '/?lang=en');
  });
});

/** Every page of the guide reachable from /help (both languages), with the internal links found on them. */
async function crawlGuide(): Promise<{ pages: Map<string, Page>; links: Set<string> }> {
  const pages = new Map<string, Page>();
  const links = new Set<string>();
  const queue = ['/help', '/help?lang=en', '/help/prepare', '/help/prepare?lang=en'];
  const isGuide = (href: string) => /^\/help(\/(outage|security|trading|regulatory|other|prepare))?(\?|$)/.test(href);
  while (queue.length) {
    const path = queue.shift()!;
    if (pages.has(path)) continue;
    const page = await get(path);
    assert.equal(page.status, 200, path);
    pages.set(path, page);
    for (const href of hrefs(page.main)) {
      if (!href.startsWith('/')) continue;
      if (isGuide(href)) {
        if (!pages.has(href)) queue.push(href);
      } else {
        links.add(href.split('#')[0]!);
      }
    }
    assert.ok(pages.size < 200, 'the guide is small');
  }
  return { pages, links };
}

describe('channel routing', () => {
  test('the phone number appears on the security path and nowhere else in the help center', async () => {
    now = WEDNESDAY_10;
    const { pages } = await crawlGuide();
    const security = [...pages.keys()].filter((p) => p.startsWith('/help/security'));
    assert.ok(security.length >= 5, `the security path's pages were reached (${security.join(', ')})`);
    for (const [path, page] of pages) {
      const shows = page.body.includes(PHONE) || page.body.includes(`tel:${PHONE_DIGITS}`);
      assert.equal(shows, path.startsWith('/help/security'), `${path}: phone number ${shows ? 'shown' : 'missing'}`);
    }
    for (const type of TYPES.filter((x) => x !== 'security')) assert.ok([...pages.keys()].some((p) => p.startsWith(`/help/${type}`)), type);
  });

  const phoneLine = async (lang: 'ja' | 'en' = 'ja') => {
    const page = await get(`/help/security?taken=yes${lang === 'en' ? '&lang=en' : ''}`);
    const start = page.main.indexOf('id="phone-line"');
    assert.ok(start > 0, 'the phone line is on the page');
    return { html: page.main.slice(start, page.main.indexOf('</div>', start)), text: plain(page.main.slice(start, page.main.indexOf('</div>', start))) };
  };

  test('a weekday at 10:00 JST: open now, until 18:00', async () => {
    now = WEDNESDAY_10;
    assert.match((await phoneLine()).text, /受付中 \(18:00 まで\)/);
    assert.match((await phoneLine('en')).text, /Open now \(until 18:00\)/);
  });

  test('2026-11-23 (Labour Thanksgiving Day): closed, opens the next business day, and says what to do instead, in order', async () => {
    now = jst('2026-11-23T10:00');
    const { html: line, text } = await phoneLine();
    assert.match(text, /受付時間外です。次の受付開始: 11月24日\(火\) 9:00/);
    assert.match(text, /勤労感謝の日/);
    const lock = line.indexOf('まずアカウントをロック');
    const form = line.indexOf('お問い合わせフォームで状況を送る');
    const police = line.indexOf('警察に相談');
    assert.ok(lock > 0 && lock < form && form < police, 'lock first, then the form, then the police');
    assert.equal(linkTo(line, 'まずアカウントをロック'), '/help/lock');
    assert.equal(linkTo(line, 'お問い合わせフォームで状況を送る'), '/contact?category=security');
    assert.equal(linkTo(line, '警察に相談'), POLICE_URL);
    assert.match(text, /#9110/);
    const en = await phoneLine('en');
    assert.match(en.text, /Closed now\. Opens Tue 11\/24 9:00/);
    assert.match(en.text, /Labor Thanksgiving Day/);
  });

  test('2026-12-30: closed for the year end, opens Monday 2027-01-04', async () => {
    now = jst('2026-12-30T11:00');
    const { text } = await phoneLine();
    assert.match(text, /次の受付開始: 1月4日\(月\) 9:00/);
    assert.match(text, /年末年始/);
  });

  test('18:00 exactly: closed, opens the next morning', async () => {
    now = jst('2026-11-25T18:00');
    assert.match((await phoneLine()).text, /受付時間外です。次の受付開始: 11月26日\(木\) 9:00/);
    now = jst('2026-11-25T17:59');
    assert.match((await phoneLine()).text, /受付中 \(18:00 まで\)/);
  });

  test('a Saturday: closed, opens Monday', async () => {
    now = jst('2026-11-28T12:00');
    const { text } = await phoneLine();
    assert.match(text, /次の受付開始: 11月30日\(月\) 9:00/);
    assert.match(text, /本日は休業日です/);
    now = WEDNESDAY_10;
  });

  test('every channel follows configuration; the defaults are the exchange-like ones', async () => {
    const steps = stepsOf(await get('/help/security?taken=yes'));
    assert.ok(steps.includes(`href="tel:${PHONE_DIGITS}"`));
    assert.equal(linkTo(stepsOf(await get('/help/outage')), '公式Xアカウント'), X_URL);
    assert.match(plain(stepsOf(await get('/help/outage'))), /@kinkyu_test_ex/);

    const defaults = await startApp({
      demo: false,
      clock: () => WEDNESDAY_10,
      config: { businessCalendar: parseBusinessCalendarConfig({ BUSINESS_HOURS: '10:00-17:00' }) },
    });
    try {
      const security = await get('/help/security?taken=yes', {}, defaults.baseUrl);
      assert.match(security.main, /href="tel:0367211100"/);
      assert.match(plain(security.main), /03-6721-1100/);
      assert.match(plain(security.main), /受付中 \(17:00 まで\)/, 'the hours are the configured calendar');
      assert.match(plain(security.main), /平日 10:00〜17:00/);
      const outage = await get('/help/outage', {}, defaults.baseUrl);
      assert.equal(linkTo(outage.main, '公式Xアカウント'), 'https://x.com/bitbank_cc');
      const trading = await get('/help/trading?what=order', {}, defaults.baseUrl);
      assert.match(linkTo(trading.main, '取引履歴'), /^https:\/\/app\.bitbank\.cc\//);
    } finally {
      await defaults.stop();
    }
  });
});

describe('the steps do what they say', () => {
  test("every internal link on the guide's pages answers (no 404, no error)", async () => {
    const { links } = await crawlGuide();
    for (const must of ['/', '/help/lock', '/account/2fa', '/account', '/account/forgot', '/notices', '/terms', '/help/articles']) {
      assert.ok([...links].some((l) => l === must || l.startsWith(`${must}?`)), `a step links to ${must}`);
    }
    assert.ok([...links].some((l) => l.startsWith('/contact?category=')));
    const broken: string[] = [];
    for (const link of links) {
      const res = await fetch(app.baseUrl + link, { redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === 404 || res.status >= 500) broken.push(`${link} → ${res.status}`);
    }
    assert.deepEqual(broken, []);
  });

  test('the contact form opened from a path has the type filled in (and the older ?type= still works)', async () => {
    for (const type of TYPES) {
      const page = await get(`/contact?category=${type}`);
      assert.match(page.main, new RegExp(`<option value="${type}" selected>`));
      assert.equal((page.main.match(/ selected>/g) ?? []).length, 1);
    }
    assert.match((await get('/contact?type=security')).main, /<option value="security" selected>/);
    assert.doesNotMatch((await get('/contact?category=bogus')).main, / selected>/);
  });
});

describe('live context', () => {
  test('with an active incident the banner comes first, says what it means, shows the latest update, and links to the status page', async () => {
    const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'trading', severity: 'SEV2', nameJa: '注文の遅延', nameEn: 'Delayed orders',
      bodyJa: '注文の処理が遅れています。', bodyEn: 'Orders are being processed slowly.',
    });
    try {
      await eventually(async () => (await get('/help')).main.includes('help-live'), 5_000);
      now = new Date(WEDNESDAY_10.getTime() + 60_000);
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, {
        status: 'identified', bodyJa: '原因を特定し、対策しています。<b>太字</b>', bodyEn: 'We found the cause and are fixing it.',
      });
      await eventually(async () => (await get('/help')).main.includes('原因を特定し'), 5_000);
      for (const path of ['/help', '/help/outage', '/help/security', '/help/trading?what=order', '/help/prepare']) {
        const page = await get(path);
        assert.match(page.main, /^<main id="main" class="wrap">\s*<section class="banner help-live/, `${path}: the banner is the first thing in main`);
        const banner = page.main.slice(0, page.main.indexOf('</section>'));
        assert.match(plain(banner), /取引に障害が起きています — 今は注文しないでください/);
        assert.match(plain(banner), /注文の遅延/);
        assert.match(plain(banner), /原因を特定し、対策しています。<b>太字<\/b>/, 'the latest update, as text');
        assert.doesNotMatch(banner, /<b>/, 'update text is escaped');
        assert.doesNotMatch(plain(banner), /注文の処理が遅れています/, 'only the latest update');
        assert.ok(hrefs(banner).includes(`/incidents/${incidentId}`));
        assert.ok(hrefs(banner).includes('/'));
      }
      const en = await get('/help?lang=en');
      assert.match(plain(en.main), /Trading is disrupted — don't place orders now/);
      assert.match(plain(en.main), /We found the cause and are fixing it\./);
      const outage = await get('/help/outage');
      assert.match(plain(stepsOf(outage)), /復旧するまで、注文・取り消し・入出金を控える/);
    } finally {
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'resolved', bodyJa: '解消しました。', bodyEn: 'Resolved.' });
    }
    await eventually(async () => !(await get('/help')).main.includes('help-live'), 5_000);
    now = WEDNESDAY_10;
  });

  test('a maintenance under way gets the banner too; a scheduled one does not', async () => {
    now = WEDNESDAY_10;
    const { incidentId } = await app.commands.scheduleMaintenance({ type: 'staff', id: null }, {
      nameJa: '定期メンテナンス', nameEn: 'Scheduled maintenance', bodyJa: 'メンテナンスを行います。', bodyEn: 'We will do maintenance.',
      scheduledFor: new Date(now.getTime() + 3_600_000).toISOString(), scheduledUntil: new Date(now.getTime() + 7_200_000).toISOString(),
      autoTransition: false,
    });
    try {
      await eventually(async () => (app.site.current()?.maintenances.length ?? 0) > 0, 5_000);
      assert.doesNotMatch((await get('/help')).main, /help-live/, 'only scheduled: no banner');
      now = new Date(WEDNESDAY_10.getTime() + 60_000);
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'in_progress', bodyJa: 'メンテナンスを開始しました。', bodyEn: 'Maintenance has started.' });
      await eventually(async () => (await get('/help')).main.includes('help-live'), 5_000);
      const page = await get('/help/outage');
      assert.match(page.main, /^<main id="main" class="wrap">\s*<section class="banner help-live/);
      assert.match(plain(page.main), /メンテナンス中です — 終わるまで/);
      assert.match(plain(page.main), /メンテナンスを開始しました。/);
    } finally {
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'completed', bodyJa: '完了しました。', bodyEn: 'Completed.' });
    }
    await eventually(async () => !(await get('/help')).main.includes('help-live'), 5_000);
    now = WEDNESDAY_10;
  });
});

describe('the preparedness checklist', () => {
  const ITEMS = ['passkey', 'totp', 'password', 'privateKeyBackup', 'contact', 'bookmarked', 'faqRead', 'allowlist', 'recovery'];

  test('for everyone: every item with why and how, and a link to sign in', async () => {
    now = WEDNESDAY_10;
    const page = await get('/help/prepare');
    for (const item of ITEMS) assert.match(page.main, new RegExp(`id="prep-${item}"`), item);
    assert.equal((page.main.match(/なぜ必要か:/g) ?? []).length, ITEMS.length);
    assert.equal(linkTo(page.main, '二段階認証の設定を開く'), '/account/2fa');
    assert.equal(linkTo(page.main, '緊急連絡先を登録する'), '/account#contact');
    assert.equal(linkTo(page.main, 'ログインして自分の状況を見る'), '/account/login');
    assert.match(plain(page.main), new RegExp(`${app.baseUrl.replace(/[.]/g, '\\.')}/help`), 'the address to bookmark');
    assert.doesNotMatch(page.main, /達成度/);
  });

  test('for a signed-in user: their own state, and the fix for what is missing', async () => {
    now = WEDNESDAY_10;
    const email = `prepare-${process.pid}@example.jp`;
    const password = 'a long help center password';
    const id = await createUserAccount(app.db, app.referenceStore!, { email, password });
    const cookie = await signIn(email, password);
    await app.db.query(`UPDATE user_credentials SET totp_enabled_at = $2 WHERE account_id = $1`, [id, now]);

    const page = await get('/help/prepare', { cookie });
    const item = (key: string) => {
      const start = page.main.indexOf(`id="prep-${key}"`);
      return page.main.slice(start, page.main.indexOf('</li>', start));
    };
    assert.match(plain(page.main), /あなたの達成度: 2 \/ 9/);
    assert.match(plain(item('totp')), /✓ 済み/);
    assert.match(plain(item('password')), /✓ 済み/);
    assert.match(plain(item('contact')), /□ まだ/);
    assert.equal(linkTo(item('contact'), '緊急連絡先を登録する'), '/account#contact');
    assert.match(item('bookmarked'), /action="\/account\/declare"/, 'a declaration item gets its one-tap button');
    assert.doesNotMatch(page.main, /ログインして自分の状況を見る/);

    const security = await get('/help/security?taken=yes', { cookie });
    assert.equal(linkTo(stepsOf(security), 'アカウントをロックする'), '/account/lock', 'signed in, the lock is the security center one');
  });
});

/** Signs in through the real form (a step-up code by email, when detection asks for one); returns the cookie header. */
async function signIn(email: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const call = async (path: string, form?: Record<string, string>) => {
    const res = await fetch(app.baseUrl + path, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookieHeader(), 'accept-language': 'ja', ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    return { status: res.status, location: res.headers.get('location'), body: await res.text() };
  };
  const login = await call('/account/login');
  const pre = /name="_pre" value="([^"]+)"/.exec(login.body)![1]!;
  const done = await call('/account/login', { email, password, _pre: pre });
  if (done.location === '/account/login/2fa') {
    const step = await call('/account/login/2fa');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(step.body)![1]!;
    const [mail] = await app.db.query<{ text_body: string }>(
      `SELECT text_body FROM mail_outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1`,
      [email],
    );
    const code = /(\d{6})/.exec(mail!.text_body)![1]!;
    const verified = await call('/account/login/2fa', { code, _csrf: csrf });
    assert.equal(verified.status, 303);
  } else {
    assert.equal(done.status, 303, `sign-in: ${done.status} ${plain(done.body).slice(0, 200)}`);
  }
  const account = await call('/account');
  assert.equal(account.status, 200, 'signed in');
  return cookieHeader();
}

describe('article suggestions on the contact form', () => {
  const DOC = {
    slug: 'help-center-test-article',
    lang: 'ja' as const,
    title: 'ぴよぴよ送金の確かめ方',
    keywords: ['ぴよぴよ'],
    category: 'deposits-withdrawals',
    body: 'ぴよぴよ送金が届かないときに確かめることを説明します。',
  };

  test('?q= shows up to three hits above the form, each linking to its article', async () => {
    app.knowledgeBase.search.upsert(DOC);
    try {
      const page = await get('/contact?q=' + encodeURIComponent('ぴよぴよ'));
      const box = page.main.slice(page.main.indexOf('class="help-suggest"'), page.main.indexOf('<form method="post"'));
      assert.match(plain(box), /これらの記事で解決するかもしれません/);
      assert.equal(linkTo(box, 'ぴよぴよ送金の確かめ方'), `/help/articles/${DOC.slug}`);
      assert.ok(page.main.indexOf('help-suggest') < page.main.indexOf('<form method="post" action="/contact"'), 'above the form');
      const en = await get('/contact?lang=en');
      assert.match(plain(en.main), /These articles may answer your question/);

      const many = await get('/contact?q=' + encodeURIComponent('出金'));
      const manyBox = many.main.slice(many.main.indexOf('class="help-suggest"'), many.main.indexOf('<form method="post"'));
      const articleLinks = hrefs(manyBox).filter((h) => h.startsWith('/help/articles/'));
      assert.ok(articleLinks.length >= 1 && articleLinks.length <= 3, `1..3 hits (${articleLinks.length})`);
      for (const link of articleLinks) assert.equal((await get(link)).status, 200, link);

      const none = await get('/contact?q=' + encodeURIComponent('zzqqxxyy'));
      assert.match(plain(none.main), /該当する記事は見つかりませんでした/);
    } finally {
      app.knowledgeBase.search.remove(DOC.slug, DOC.lang);
    }
  });

  test('?category= shows the top articles for that type, and the search keeps the category', async () => {
    const page = await get('/contact?category=security');
    const box = page.main.slice(page.main.indexOf('class="help-suggest"'), page.main.indexOf('<form method="post"'));
    const links = hrefs(box).filter((h) => h.startsWith('/help/articles/'));
    assert.ok(links.length >= 1 && links.length <= 3, `1..3 articles for the security type (${links.length})`);
    assert.match(box, /<input type="hidden" name="category" value="security">/);
  });
});

describe('hostile query strings are inert', () => {
  test('script, huge, control characters, broken encoding, arrays: escaped or ignored, never an error, nothing stored', async () => {
    const [{ n: ticketsBefore }] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets`) as [{ n: number }];
    const evil = '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>';
    const cases = [
      `/help/other?q=${encodeURIComponent(evil)}`,
      `/help/other?q=${'あ'.repeat(300)}`,
      `/help/other?q=%00%01%1b[31m`,
      `/help/other?q=%FF%FE`,
      `/help/other?q=a&q=b`,
      `/help/security?taken=${encodeURIComponent(evil)}`,
      `/help/security?taken=no&signin=${encodeURIComponent(evil)}`,
      `/help/trading?what=order&what=deposit`,
      `/help/trading?what[]=order`,
      `/help?lang=${encodeURIComponent(evil)}`,
      `/help/prepare?${encodeURIComponent(evil)}=1`,
      `/contact?q=${encodeURIComponent(evil)}&category=${encodeURIComponent(evil)}`,
      `/contact?q=${'x'.repeat(5_000)}`,
      `/contact?q=%FF`,
    ];
    for (const path of cases) {
      const page = await get(path);
      const label = path.slice(0, 80);
      assert.equal(page.status, 200, label);
      assert.doesNotMatch(page.body, /<script/i, label);
      assert.doesNotMatch(page.body, /<img src=x/i, label);
    }
    const script = await get(`/help/other?q=${encodeURIComponent(evil)}`);
    assert.match(script.main, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'shown as text');
    const huge = await get(`/help/other?q=${'あ'.repeat(300)}`);
    assert.match(plain(huge.main), /検索する言葉を確かめてください/);
    assert.doesNotMatch(huge.main, /あああああああああああ/, 'a refused query is not echoed');
    const taken = await get(`/help/security?taken=${encodeURIComponent(evil)}`);
    assert.match(plain(taken.main), /知らないうちに動かされていますか/, 'an unknown answer is no answer');
    const twice = await get('/help/trading?what=order&what=deposit');
    assert.match(plain(twice.main), /何がおかしいですか/);
    assert.equal((await get('/help/nonsense')).status, 404);
    const [{ n: ticketsAfter }] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets`) as [{ n: number }];
    assert.equal(ticketsAfter, ticketsBefore);
  });
});

const ticketCount = async () => ((await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets`)) as [{ n: number }])[0].n;

/** The part of the contact page between the suggestions' heading and the main form. */
const suggestionBox = (page: Page) => page.main.slice(page.main.indexOf('class="help-suggest"'), page.main.indexOf('<form method="post"'));

describe('an English reader who types Japanese', () => {
  test('the contact form suggests Japanese articles, marked as Japanese, as /help/search does', async () => {
    const query = encodeURIComponent('出金できない');
    const search = await get(`/help/search?lang=en&q=${query}`);
    assert.match(plain(search.main), /Japanese articles are shown/, 'the search page falls back (the behaviour shared)');

    const page = await get(`/contact?lang=en&q=${query}`);
    const box = suggestionBox(page);
    assert.match(plain(box), /No English articles matched, so Japanese articles are shown\./);
    const items = [...box.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
    assert.ok(items.length >= 1 && items.length <= 3, `1..3 suggestions (${items.length})`);
    for (const item of items) {
      assert.match(item, /<a href="\/help\/articles\/[a-z0-9-]+\?lang=en" lang="ja">/, 'the link says its text is Japanese');
      assert.match(plain(item), /\(Japanese only\)/);
      assert.match(plain(item), /[\u3040-\u30ff\u4e00-\u9fff]/, 'a Japanese title');
    }
    const first = hrefs(box).find((h) => h.startsWith('/help/articles/'))!;
    assert.equal((await get(first)).status, 200, first);

    const english = suggestionBox(await get('/contact?lang=en&q=withdrawal'));
    assert.doesNotMatch(plain(english), /Japanese only|Japanese articles are shown/, 'English hits are not marked');
    const japaneseReader = suggestionBox(await get(`/contact?q=${query}`));
    assert.doesNotMatch(japaneseReader, /lang="ja"|日本語のみ/, 'a Japanese reader sees plain Japanese hits');

    const guide = await get(`/help/other?lang=en&q=${query}`);
    assert.match(plain(guide.main), /Japanese only/, "the guide's own search box falls back the same way");
  });
});

describe('"search articles with my message" (no JavaScript)', () => {
  /** The contact form's fields as a browser would send them for the button's GET. */
  const formFields = (page: Page): URLSearchParams => {
    const form = page.main.slice(page.main.indexOf('<form method="post" action="/contact"'));
    const params = new URLSearchParams();
    for (const m of form.matchAll(/<input type="(?:hidden|text|email)"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) params.set(m[1]!, m[2]!);
    params.set('body', '');
    params.set('category', '');
    return params;
  };

  /** What the "search with my message" button sends: the whole form, as a POST to /contact/suggest. */
  const suggest = (fields: URLSearchParams | string) =>
    get('/contact/suggest', { 'content-type': 'application/x-www-form-urlencoded' }, app.baseUrl, { method: 'POST', body: String(fields) });

  test('the button sits in the main form, after the send button, and posts the form to /contact/suggest without validation', async () => {
    for (const [path, label] of [['/contact', 'この内容で記事を探す'], ['/contact?lang=en', 'Search articles with my message']] as const) {
      const page = await get(path);
      const form = page.main.slice(page.main.indexOf('<form method="post" action="/contact"'), page.main.indexOf('</form>', page.main.indexOf('<form method="post"')));
      const button = form.match(/<button type="submit" class="secondary" formaction="\/contact\/suggest" formnovalidate>([^<]*)<\/button>/);
      assert.ok(button, `${path}: the secondary button`);
      assert.equal(button[1], label);
      assert.ok(form.indexOf(button[0]) > form.indexOf('<button type="submit">'), 'Enter still sends the form');
    }
  });

  test('the suggestion POST re-fills every field, escaped and capped, suggests articles for the message, and files no ticket', async () => {
    const before = await ticketCount();
    const evil = '<script>alert(1)</script>"\'><img src=x onerror=alert(1)>';
    const fields = formFields(await get('/contact'));
    const message = `出金できない。送金が届きません。\n2行目 ${evil}`;
    fields.set('body', message);
    fields.set('email', `user@example.com${evil}`);
    fields.set('category', 'trading');
    fields.set('orderId', `ORD-1 ${evil}`);
    fields.set('transactionId', '0xabc');
    fields.set('asset', 'BTC');
    fields.set('amount', '9'.repeat(1_000));
    const page = await suggest(fields);
    assert.equal(page.status, 200);
    assert.equal(page.body.match(/<script/gi), null, 'nothing hostile is echoed as markup');
    assert.doesNotMatch(page.body, /<img src=x/i);
    const textarea = page.main.match(/<textarea id="body"[^>]*>([\s\S]*?)<\/textarea>/)![1]!;
    assert.equal(textarea, message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'), 'the message is given back whole, escaped');
    const value = (name: string) => page.main.match(new RegExp(`name="${name}"[^>]*value="([^"]*)"`))?.[1];
    assert.match(value('email')!, /^user@example\.com&lt;script&gt;/);
    assert.match(value('orderId')!, /^ORD-1 &lt;script&gt;/);
    assert.equal(value('transactionId'), '0xabc');
    assert.equal(value('asset'), 'BTC');
    assert.equal(value('amount'), '9'.repeat(254), 'capped as the POST caps it');
    assert.match(page.main, /<option value="trading" selected>/);

    const box = suggestionBox(page);
    const links = hrefs(box).filter((h) => h.startsWith('/help/articles/'));
    assert.ok(links.length >= 1 && links.length <= 3, `1..3 articles for the message (${links.length})`);
    assert.ok(links.some((l) => /withdraw|transfer|send|deposit|crypto/.test(l)), `about withdrawals: ${links.join(', ')}`);
    assert.match(box, /<input type="search" id="contact-q" name="q" maxlength="200" value="">/, 'the message is not pasted into the search box');

    const english = await suggest(new URLSearchParams({ body: 'My withdrawal has not arrived', email: '', lang: 'en' }));
    assert.match(english.body, /<html lang="en">/);
    assert.match(english.main, />My withdrawal has not arrived<\/textarea>/);
    assert.ok(hrefs(suggestionBox(english)).some((h) => /^\/help\/articles\/[a-z0-9-]+\?lang=en$/.test(h)), 'English suggestions');

    const empty = await suggest(new URLSearchParams({ body: '', category: 'security' }));
    assert.ok(hrefs(suggestionBox(empty)).some((h) => h.startsWith('/help/articles/')), "no message: the type's articles");
    // (A NUL is refused before any route sees it: test/bad-input.test.ts.)
    for (const odd of ['body=a&body=b', 'body=%FF%FE', `body=${encodeURIComponent('\u0001\u001b[31m')}`, `body=${'あ'.repeat(1_000)}`]) {
      const res = await suggest(odd);
      assert.equal(res.status, 200, odd.slice(0, 40));
      assert.doesNotMatch(res.main, /検索する言葉を確かめてください/, `${odd.slice(0, 40)}: a message is searched, never refused`);
    }
    assert.equal(await ticketCount(), before, 'no ticket was filed');
  });
});

describe('starter articles leave the phone hours to configuration', () => {
  test('no article body states a clock time; the phone hours are linked to the live security page instead', async () => {
    const articles = loadStarterArticles();
    for (const a of articles) assert.doesNotMatch(a.body, /\d{1,2}[:：]\d{2}/, `${a.lang}/${a.slug} states a time`);
    for (const [path, text] of [['/help/articles/phone-support', '誰かがアカウントに入ったかもしれないとき'], ['/help/articles/phone-support?lang=en', 'When someone may be in your account']] as const) {
      const page = await get(path);
      assert.equal(page.status, 200);
      assert.equal(linkTo(page.main, text).replace(/\?lang=en$/, ''), '/help/security', path);
    }
    now = WEDNESDAY_10;
    const security = plain((await get('/help/security')).main);
    assert.match(security, /受付中 \(18:00 まで\)/, 'where the link goes, the hours are live');
  });
});
