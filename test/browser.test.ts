/**
 * End-to-end checks in a real browser (Debian's Chromium driven by playwright-core): what a visitor and a
 * member of staff actually see. One browser and one application (PGlite in memory, demo data) serve the
 * whole file; tests run in order and each leaves no incident open behind it.
 *
 * Screenshots go to .tmp/screens/ (gitignored) for a human to look at.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

import { makeStaff, startApp, type RunningApp } from './support/app.ts';
import { launchChromium, startAll, signInStaff } from './support/browser.ts';

const SCREENS = new URL('../.tmp/screens/', import.meta.url);
const STAFF: { type: 'staff'; id: null } = { type: 'staff', id: null };

const JA = {
  allOk: 'すべてのシステムは正常に稼働しています',
  major: '大規模な障害が発生しています',
  skip: '本文へ移動',
  signIn: 'ログイン',
  email: 'メールアドレス',
  password: 'パスワード',
  dashboard: 'ダッシュボード',
  declare: '障害を宣言する',
  declared: '障害を宣言しました。',
  postUpdate: '更新を投稿する',
  updated: '更新を投稿しました。',
  status: '状態',
  type: '種類',
  severity: '重大度',
  titleJa: 'タイトル (日本語)',
  bodyJa: '本文 (日本語)',
  identified: '原因特定',
  resolved: '解決済み',
  activeIncidents: '発生中の障害',
  recentIncidents: '最近の障害',
  forbidden: 'この操作を行う権限がありません。',
};
const EN = { allOk: 'All Systems Operational', major: 'Major Service Outage', skip: 'Skip to content' };

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

let browser: Browser;
let app: RunningApp;

/** Evaluates an expression in the page. A string, because the project's type checking has no DOM library. */
function js<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'ja-JP', ...options });
  context.setDefaultTimeout(5_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

/** The whole page, and (`firstScreen`) what fits in the viewport: what a visitor sees before scrolling. */
async function screenshot(page: Page, name: string, opts: { firstScreen?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENS).pathname, fullPage: true });
  if (opts.firstScreen) await page.screenshot({ path: new URL(`${name}.first-screen.png`, SCREENS).pathname });
}

/** Reloads `page` until `check` holds: the public page follows the database within about a second. */
async function reloadUntil(page: Page, check: () => Promise<boolean>, what: string, ms = 8_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - start > ms) throw new Error(`public page never showed ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 150));
    await page.reload();
  }
}

async function bannerText(page: Page): Promise<string> {
  return (await page.locator('h1').first().innerText()).trim();
}

/** Signs in through the real sign-in form, starting from /staff as a person would. */
async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${app.baseUrl}/staff`);
  assert.equal(new URL(page.url()).pathname, '/staff/login', 'an anonymous visit to /staff lands on the sign-in page');
  await signInStaff(page, app.baseUrl, email);
}

/** The problems a screen reader user would hit: form controls without a name, and headings. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return js<string[]>(page, `(() => {
    const problems = [];
    const text = (el) => (el ? (el.textContent || '').replace(/\\s+/g, ' ').trim() : '');
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if (el.type === 'hidden') continue;
      const id = el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '') + (el.id ? '#' + el.id : '');
      const byLabel = Array.from(el.labels || []).some((l) => text(l).length > 0);
      const byAria = (el.getAttribute('aria-label') || '').trim().length > 0;
      const byLabelledBy = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
        .some((ref) => text(document.getElementById(ref)).length > 0);
      const byContent = el.tagName === 'BUTTON' && text(el).length > 0;
      if (!byLabel && !byAria && !byLabelledBy && !byContent) problems.push(id);
    }
    return problems;
  })()`);
}

before(async () => {
  mkdirSync(SCREENS, { recursive: true });
  [browser, app] = await startAll([
    launchChromium(),
    startApp(),
  ]);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

describe('public status page during an incident', () => {
  let incidentId = '';

  before(async () => {
    ({ incidentId } = await app.commands.declareIncident(STAFF, {
      type: 'trading', severity: 'SEV2', status: 'investigating',
      nameJa: 'BTC/JPY の注文遅延', nameEn: 'Delayed BTC/JPY orders',
      bodyJa: 'BTC/JPY の注文処理が遅れています。お客様の資産は安全です。',
      bodyEn: 'BTC/JPY orders are delayed. Your assets are safe.',
      componentStatuses: { pairbtcjpy00: 'major_outage' },
    }));
    await app.site.refresh();
  });

  after(async () => {
    await app.commands.postUpdate(STAFF, incidentId, { status: 'resolved', bodyJa: '解決しました。', bodyEn: 'Resolved.' });
    await app.site.refresh();
  });

  const languages = [
    { name: 'ja', locale: 'ja-JP', query: '', lang: 'ja', banner: JA.major, title: 'BTC/JPY の注文遅延', skip: JA.skip },
    { name: 'en-query', locale: 'ja-JP', query: '?lang=en', lang: 'en', banner: EN.major, title: 'Delayed BTC/JPY orders', skip: EN.skip },
    { name: 'en-locale', locale: 'en-US', query: '', lang: 'en', banner: EN.major, title: 'Delayed BTC/JPY orders', skip: EN.skip },
  ] as const;
  const viewports = [
    { name: 'phone', options: PHONE },
    { name: 'desktop', options: DESKTOP },
  ] as const;

  for (const l of languages) {
    for (const v of viewports) {
      for (const javaScriptEnabled of [true, false]) {
        // JavaScript off only for two combinations: the page has no scripts, so one each way is enough.
        if (!javaScriptEnabled && !((l.name === 'ja' && v.name === 'phone') || (l.name === 'en-locale' && v.name === 'desktop'))) continue;
        const label = `${l.name} ${v.name}${javaScriptEnabled ? '' : ' without JavaScript'}`;
        test(`${label}: banner, incident, language, layout and keyboard`, async () => {
          const context = await newContext({ ...v.options, locale: l.locale, javaScriptEnabled });
          try {
            const page = await context.newPage();
            const res = await page.goto(`${app.baseUrl}/${l.query}`);
            assert.equal(res?.status(), 200);

            assert.equal(await page.getAttribute('html', 'lang'), l.lang, '<html lang> matches the language shown');
            assert.equal(await page.locator('h1').count(), 1, 'exactly one h1');
            assert.equal(await bannerText(page), l.banner);
            assert.ok(await page.getByRole('heading', { level: 1, name: l.banner }).isVisible(), 'banner visible');
            const title = page.getByRole('link', { name: l.title, exact: true });
            assert.equal(await title.count(), 1, 'the incident is listed once');
            assert.ok(await title.isVisible(), 'incident title visible');
            assert.equal(await page.locator('script').count(), 0, 'server-rendered: no scripts at all');

            if (v.name === 'phone') {
              const [scrollWidth, innerWidth] = await js<[number, number]>(page, '[document.documentElement.scrollWidth, window.innerWidth]');
              assert.ok(scrollWidth <= innerWidth, `no horizontal scroll on a phone (scrollWidth ${scrollWidth} > ${innerWidth})`);
            }

            await screenshot(page, `status-${l.name}-${v.name}${javaScriptEnabled ? '' : '-nojs'}`, { firstScreen: true });

            // Keyboard: the first Tab lands on the skip link, which becomes visible and leads to #main.
            const skip = page.locator('a.skip');
            assert.equal(await skip.getAttribute('href'), '#main');
            assert.equal(await page.locator('#main').count(), 1, 'the skip link has a target');
            assert.equal((await skip.innerText()).trim(), l.skip);
            await page.keyboard.press('Tab');
            assert.ok(await js<boolean>(page, "document.activeElement === document.querySelector('a.skip')"), 'first Tab focuses the skip link');
            const box = await skip.boundingBox();
            assert.ok(box && box.x >= 0 && box.y >= 0 && box.width > 0, 'the focused skip link is on screen');
            await page.keyboard.press('Enter');
            // A fragment navigation is asynchronous: wait for it rather than read the URL at once (flaky on a busy machine).
            await page.waitForURL((u) => u.hash === '#main', { timeout: 5000 }).catch(() => undefined);
            assert.equal(new URL(page.url()).hash, '#main', 'Enter on the skip link jumps to the content');
          } finally {
            await context.close();
          }
        });
      }
    }
  }

  test('a browser asking for neither Japanese nor English gets Japanese', async () => {
    const context = await newContext({ ...DESKTOP, locale: 'fr-FR' });
    try {
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'ja');
      assert.equal(await bannerText(page), JA.major);
    } finally {
      await context.close();
    }
  });
});

describe('staff console accessibility', () => {
  test('every form control on every staff page has a label, and each page one h1', async () => {
    const email = await makeStaff(app.db, 'admin');
    const [incident] = await app.db.query<{ id: string }>("SELECT id FROM incidents WHERE kind = 'incident' ORDER BY started_at LIMIT 1");
    const [maintenance] = await app.db.query<{ id: string }>("SELECT id FROM incidents WHERE kind = 'maintenance' LIMIT 1");
    assert.ok(incident && maintenance, 'the demo data has an incident and a maintenance');
    const context = await newContext(DESKTOP);
    try {
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/staff/login`);
      const problems: string[] = [];
      const check = async (path: string) => {
        const unlabelled = await unlabelledControls(page);
        if (unlabelled.length) problems.push(`${path}: ${unlabelled.join(', ')}`);
        const h1 = await page.locator('h1').count();
        if (h1 !== 1) problems.push(`${path}: ${h1} h1 elements`);
        const controls = await page.locator('input:not([type=hidden]), select, textarea').count();
        return controls;
      };
      assert.ok((await check('/staff/login')) >= 2, 'the sign-in page has its fields');
      await signIn(page, email);
      const paths = ['/staff', '/staff/incidents/new', `/staff/incidents/${incident.id}`, '/staff/components',
        '/staff/maintenances/new', `/staff/maintenances/${maintenance.id}`, '/staff/audit'];
      let total = 0;
      for (const path of paths) {
        const res = await page.goto(app.baseUrl + path);
        assert.equal(res?.status(), 200, path);
        total += await check(path);
      }
      assert.ok(total > 40, `the staff pages were checked with their forms (${total} controls)`);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});

describe('staff console, by clicks', () => {
  test('sign in, declare, update, see it public, resolve, see all operational again', async () => {
    const email = await makeStaff(app.db, 'incident_commander');
    const context = await newContext(DESKTOP);
    try {
      const staff = await context.newPage();
      const pub = await context.newPage();
      await pub.goto(`${app.baseUrl}/`);
      assert.equal(await bannerText(pub), JA.allOk, 'precondition: nothing open before this test');

      await signIn(staff, email);
      await staff.getByRole('link', { name: JA.declare }).click();
      await staff.waitForURL((u) => u.pathname === '/staff/incidents/new');

      const title = 'ETH/JPY の約定遅延';
      await staff.getByLabel(JA.type, { exact: true }).selectOption('trading');
      await staff.getByLabel(JA.severity, { exact: true }).selectOption('SEV2');
      await staff.getByLabel(JA.titleJa).fill(title);
      await staff.getByLabel(JA.bodyJa, { exact: true }).fill('ETH/JPY の約定が遅れています。\nお客様の資産は安全です。');
      await staff.locator('select[name="cs.pairethjpy00"]').selectOption('partial_outage');
      await staff.getByRole('button', { name: JA.declare }).click();

      await staff.waitForURL((u) => /^\/staff\/incidents\/[a-z0-9]+$/.test(u.pathname) && u.searchParams.get('ok') === 'declared');
      await staff.getByText(JA.declared).waitFor();
      assert.equal((await staff.locator('h1').innerText()).trim(), title);
      const incidentPath = new URL(staff.url()).pathname;

      await pub.reload();
      await reloadUntil(pub, async () => (await pub.getByRole('link', { name: title }).count()) === 1, 'the declared incident');
      assert.ok(await pub.getByText('ETH/JPY の約定が遅れています。').isVisible());

      // An update: identified, with a message.
      const updateText = '原因を特定しました。注文システムの負荷分散装置を交換しています。';
      await staff.getByLabel(JA.status, { exact: true }).selectOption('identified');
      await staff.getByLabel(JA.bodyJa, { exact: true }).fill(updateText);
      await staff.getByRole('button', { name: JA.postUpdate }).click();
      await staff.waitForURL((u) => u.pathname === incidentPath && u.searchParams.get('ok') === 'updated');
      assert.ok(await staff.getByRole('status').filter({ hasText: JA.updated }).isVisible(), 'success flash');
      // Paragraphs only: the correction form below each update holds the same text in a (closed) textarea.
      assert.ok(await staff.locator('.updates li > p').getByText(updateText).isVisible(), 'the update is on the staff timeline');
      await screenshot(staff, 'staff-incident-ja-desktop');

      await reloadUntil(pub, async () => (await pub.getByText(updateText).count()) === 1, 'the update text');
      assert.ok(await pub.getByText(updateText).isVisible());
      assert.ok(await pub.locator('.updates .state', { hasText: JA.identified }).first().isVisible(), 'the new status is shown');
      await screenshot(pub, 'status-ja-desktop-after-update');

      // Resolve it.
      await staff.bringToFront();
      await staff.getByLabel(JA.status, { exact: true }).selectOption('resolved');
      await staff.getByLabel(JA.bodyJa, { exact: true }).fill('負荷分散装置の交換が完了し、約定は通常どおりです。');
      await staff.getByRole('button', { name: JA.postUpdate }).click();
      await staff.waitForURL((u) => u.pathname === incidentPath && u.searchParams.get('ok') === 'updated');
      await staff.getByText(JA.updated).waitFor();

      await pub.bringToFront();
      await reloadUntil(pub, async () => (await bannerText(pub)) === JA.allOk, 'the all-operational banner');
      assert.equal(await pub.getByRole('heading', { name: JA.activeIncidents }).count(), 0, 'no active incidents section');
      const recent = pub.locator('section', { has: pub.getByRole('heading', { name: JA.recentIncidents }) });
      assert.ok(await recent.getByRole('link', { name: title }).isVisible(), 'the incident moved to recent incidents');
      await screenshot(pub, 'status-ja-desktop-resolved');
    } finally {
      await context.close();
    }
  });

  test('a viewer sees no declare link and cannot declare', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const context = await newContext(DESKTOP);
    try {
      const page = await context.newPage();
      await signIn(page, email);
      const nav = page.getByRole('navigation');
      assert.ok(await nav.getByRole('link', { name: JA.dashboard }).isVisible(), 'the console nav is there');
      assert.equal(await page.getByRole('link', { name: JA.declare }).count(), 0, 'no declare link for a viewer');

      const page403 = await page.goto(`${app.baseUrl}/staff/incidents/new`);
      assert.equal(page403?.status(), 403);
      assert.ok(await page.getByText(JA.forbidden).isVisible(), 'the refusal is explained');

      // A forged form post with the viewer's own valid session and CSRF token: refused for the role alone.
      await page.goto(`${app.baseUrl}/staff`);
      const csrf = await page.locator('input[name="_csrf"]').first().getAttribute('value');
      assert.ok(csrf);
      const res = await context.request.post(`${app.baseUrl}/staff/incidents`, {
        form: { _csrf: csrf, type: 'outage', severity: 'SEV1', nameJa: '閲覧者による宣言', bodyJa: '宣言できてはいけない' },
        maxRedirects: 0,
      });
      assert.equal(res.status(), 403);
      assert.ok((await res.text()).includes(JA.forbidden), 'the refusal page says why');
      const [{ n } = { n: -1 }] = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM incidents WHERE name_ja = '閲覧者による宣言'");
      assert.equal(n, 0, 'nothing was declared');
    } finally {
      await context.close();
    }
  });
});

describe('hostile text in an update', () => {
  test('is shown as text on the staff and public pages and never runs', async () => {
    const hostile = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';
    const { incidentId } = await app.commands.declareIncident(STAFF, {
      type: 'outage', severity: 'SEV3', nameJa: 'WebSocket API の切断', bodyJa: '調査しています。',
    });
    const email = await makeStaff(app.db, 'incident_commander');
    const context = await newContext(DESKTOP);
    const cspViolations: string[] = [];
    context.on('console', (msg) => {
      if (/Content Security Policy|__pwned/i.test(msg.text())) cspViolations.push(msg.text());
    });
    try {
      const staff = await context.newPage();
      await signIn(staff, email);
      await staff.goto(`${app.baseUrl}/staff/incidents/${incidentId}`);
      await staff.getByLabel(JA.bodyJa, { exact: true }).fill(hostile);
      await staff.getByRole('button', { name: JA.postUpdate }).click();
      await staff.waitForURL((u) => u.searchParams.get('ok') === 'updated');
      await staff.getByText(JA.updated).waitFor();

      const pages: Array<[string, Page]> = [['staff', staff]];
      const pub = await context.newPage();
      await pub.goto(`${app.baseUrl}/`);
      await reloadUntil(pub, async () => (await pub.getByText(hostile).count()) > 0, 'the hostile update');
      pages.push(['public', pub]);
      const detail = await context.newPage();
      await detail.goto(`${app.baseUrl}/incidents/${incidentId}`);
      pages.push(['public incident', detail]);

      for (const [name, page] of pages) {
        const shown = page.locator('.updates li > p').getByText(hostile, { exact: true });
        assert.equal(await shown.count(), 1, `${name}: the body appears once, as literal text`);
        assert.ok(await shown.isVisible(), `${name}: and is visible`);
        assert.equal(await page.locator('main img, main script').count(), 0, `${name}: no element was injected`);
        assert.equal(await js<string>(page, 'typeof window.__pwned'), 'undefined', `${name}: nothing ran`);
      }
      await screenshot(pub, 'status-ja-desktop-hostile');
      assert.deepEqual(cspViolations, [], 'not even a blocked attempt to run it');
    } finally {
      await context.close();
      await app.commands.postUpdate(STAFF, incidentId, { status: 'resolved', bodyJa: '解決しました。' });
    }
  });
});
