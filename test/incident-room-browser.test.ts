/**
 * An SEV1 outage run in the incident room by two people in a real browser (Debian's Chromium through
 * playwright-core): the incident commander declares it and finds it on the staff home, takes command and makes a
 * colleague communications lead; the communications lead writes the first update from a template, previews it in
 * every channel and publishes it; both tick their tasks; the commander resolves it from the "resolved" template.
 * Then axe-core (WCAG 2.1 AA) and a sideways-scroll check on every new page, at desktop and phone widths, in
 * Japanese and English. The pages run no script: everything is plain links and forms.
 *
 * Run: node --import tsx --test --test-reporter=spec test/incident-room-browser.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { makeStaff, startApp, type RunningApp } from './support/app.ts';
import { SCREENS, axeViolations, signInStaff, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 } };

let browser: Browser;
let app: RunningApp;
let commanderEmail = '';
let commsEmail = '';
let commsName = '';
let incidentId = '';

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp());
  commanderEmail = await makeStaff(app.db, 'incident_commander');
  commsEmail = await makeStaff(app.db, 'security');
  const [row] = await app.db.query<{ name: string }>('SELECT name FROM staff WHERE email = $1', [commsEmail]);
  commsName = row!.name;
  const now = new Date();
  for (const [id, lang] of [['browsersub01', 'ja'], ['browsersub02', 'en']] as const) {
    await insertSubscriber(app.db, {
      id, channel: 'email', target: `${id}@example.jp`, lang, components: null, secret: null, ownerEmail: null,
      confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: now, ip: null, now,
    });
  }
});

after(() => stopBrowserAndApp(browser, app));

async function person(email: string, options: BrowserContextOptions = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ ...options, locale: 'ja-JP', bypassCSP: true });
  context.setDefaultTimeout(8_000);
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/staff`);
  await signInStaff(page, app.baseUrl, email);
  return { context, page };
}

const shot = (page: Page, name: string) => page.screenshot({ path: new URL(`incident-room-${name}.png`, SCREENS).pathname, fullPage: true });

/** Every axe violation and any sideways overflow on the page now shown. */
async function problems(page: Page, where: string): Promise<string[]> {
  const found = (await axeViolations(page)).map((v) => `${where}: ${v}`);
  const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
  if (scrollWidth > clientWidth + 1) {
    // Name the innermost elements that stick out, so the message says what to fix.
    const wide = await page.evaluate<string[]>(`(() => {
      const limit = document.documentElement.clientWidth + 1;
      const out = [...document.querySelectorAll('body *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.right > limit || (el.scrollWidth > el.clientWidth + 1 && r.left + el.scrollWidth > limit);
      });
      const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o)));
      return innermost.slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
    })()`);
    found.push(`${where}: horizontal overflow (${scrollWidth} > ${clientWidth}): ${wide.join(' | ')}`);
  }
  return found;
}

describe('an SEV1 outage in the incident room, by a commander and a communications lead', () => {
  let commander: { context: BrowserContext; page: Page };
  let comms: { context: BrowserContext; page: Page };
  const a11y: string[] = [];

  before(async () => {
    [commander, comms] = await Promise.all([person(commanderEmail), person(commsEmail)]);
  });
  after(async () => {
    await commander?.context.close();
    await comms?.context.close();
  });

  test('the commander declares it and finds it on the staff home', async () => {
    const page = commander.page;
    await page.getByRole('link', { name: '障害を宣言する' }).click();
    await page.getByLabel('種類').selectOption('outage');
    await page.getByLabel('重大度').selectOption('SEV1');
    await page.getByLabel('タイトル (日本語)').fill('BTC/JPY の取引ができない');
    await page.getByLabel('タイトル (英語)').fill('BTC/JPY trading unavailable');
    await page.getByLabel('本文 (日本語)').fill('BTC/JPY の注文が受け付けられない状態です。調査しています。');
    await page.getByLabel('BTC/JPY の状態').selectOption('major_outage');
    await page.getByRole('button', { name: '障害を宣言する' }).click();
    await page.getByText('障害を宣言しました。').waitFor();
    incidentId = new URL(page.url()).pathname.split('/')[3]!;

    await page.getByRole('link', { name: 'ダッシュボード' }).click();
    await page.getByRole('heading', { name: 'いま対応が必要なこと' }).or(page.getByText('いま対応が必要なこと')).first().waitFor();
    const incidents = page.locator('#home-incidents');
    await incidents.getByRole('link', { name: 'BTC/JPY の取引ができない' }).waitFor();
    assert.match(await incidents.innerText(), /SEV1 · システム障害 · 調査中/);
    assert.match(await incidents.innerText(), /あなたには役割がありません。/);
    await shot(page, 'home-desktop');
    a11y.push(...(await problems(page, 'home desktop')));
  });

  test('the commander takes command and makes a colleague communications lead', async () => {
    const page = commander.page;
    await page.locator('#home-incidents').getByRole('link', { name: 'BTC/JPY の取引ができない' }).click();
    await page.getByRole('heading', { level: 1, name: '対応ルーム: BTC/JPY の取引ができない' }).waitFor();
    assert.equal(await page.locator('#tasks .tasks > li').count(), 5, 'the outage checklist');
    await page.getByRole('button', { name: '自分が担当する: インシデント指揮者' }).click();
    await page.getByText('役割を割り当て、メールで知らせました。').waitFor();
    await page.getByRole('combobox', { name: '役割', exact: true }).selectOption('communications');
    await page.getByRole('combobox', { name: 'スタッフ', exact: true }).selectOption({ label: `${commsName} (セキュリティ担当)` });
    await page.getByRole('button', { name: '割り当てる' }).click();
    await page.getByText('役割を割り当て、メールで知らせました。').waitFor();
    const roles = await page.locator('#roles').innerText();
    assert.match(roles, new RegExp(`コミュニケーション担当\\s+${commsName}`));
    const timeline = await page.locator('#timeline').innerText();
    assert.match(timeline, new RegExp(`${commsName} さんをコミュニケーション担当に割り当てました。 \\(メールで通知\\)`));
    const [mail] = await app.db.query<{ subject: string }>(`SELECT subject FROM mail_outbox WHERE to_address = $1`, [commsEmail]);
    assert.match(mail!.subject, /\[SEV1\] BTC\/JPY の取引ができない: コミュニケーション担当になりました/);
    await shot(page, 'room-desktop');
    a11y.push(...(await problems(page, 'room desktop')));
  });

  test('the communications lead sees their role and tasks, previews a template update in every channel and publishes it', async () => {
    const page = comms.page;
    await page.getByRole('link', { name: '最新の状態に更新' }).click();
    const incidents = page.locator('#home-incidents');
    assert.match(await incidents.innerText(), /あなたの役割: コミュニケーション担当/);
    assert.match(await page.locator('#home-my-tasks').innerText(), /初報を公開する/);
    await incidents.getByRole('link', { name: 'BTC/JPY の取引ができない' }).click();
    await page.getByLabel('作成のもと').selectOption({ label: '取引の一時停止' });
    await page.getByRole('button', { name: '更新を作成' }).click();
    await page.getByRole('heading', { level: 1, name: '更新を作成: BTC/JPY の取引ができない' }).waitFor();
    assert.match(await page.getByLabel('本文 (日本語)').inputValue(), /BTC\/JPYの取引を一時停止しています。/);
    assert.match(await page.getByLabel('本文 (英語)').inputValue(), /Trading on BTC\/JPY has been halted since/);
    assert.equal(await page.getByRole('button', { name: 'この内容で公開する' }).count(), 0, 'no publishing before a preview');
    a11y.push(...(await problems(page, 'compose desktop')));

    await page.getByRole('button', { name: 'すべてのチャネルでプレビュー' }).click();
    for (const heading of ['状況ページ', 'メール (購読者 2 件)', 'X (購読者 0 件)', 'Slack (購読者 0 件)', 'Webhook (購読者 0 件)']) {
      await page.getByRole('heading', { level: 3, name: heading }).waitFor();
    }
    const preview = page.locator('section[aria-labelledby="preview-h"]');
    assert.match(await preview.innerText(), /【デモ取引所】BTC\/JPY の取引ができない（原因特定）/, 'the email subject');
    assert.equal(await preview.locator('.preview-card article.incident').count(), 2, 'the status page card in both languages');
    assert.ok((await preview.locator('.x-post').count()) >= 1, 'the X post(s)');
    assert.match(await preview.locator('.audience').innerText(), /メール\s+2\s+1\s+1/);
    await shot(page, 'compose-preview-desktop');
    a11y.push(...(await problems(page, 'compose with preview desktop')));

    await page.getByRole('button', { name: 'この内容で公開する' }).click();
    await page.getByText('更新を公開しました。各チャネルへの配信を開始しています。').waitFor();
    assert.match(await page.locator('#timeline').innerText(), /テンプレート「取引の一時停止」から作成/);
    await app.site.refresh();
    const api = await fetch(`${app.baseUrl}/api/v2/incidents/unresolved.json`).then((r) => r.json()) as { incidents: { id: string; status: string; incident_updates: { body: string }[] }[] };
    const published = api.incidents.find((i) => i.id === incidentId);
    assert.equal(published?.status, 'identified');
    assert.match(published!.incident_updates[0]!.body, /BTC\/JPYの取引を一時停止しています。/);
  });

  test('both tick their tasks', async () => {
    for (const [who, title] of [[comms, '初報を公開する (状況ページ・メール・X)'], [comms, '公式 X アカウントで告知する'], [commander, '取引停止の要否を判断する']] as const) {
      await who.page.goto(`${app.baseUrl}/staff/incidents/${incidentId}/room`);
      await who.page.getByRole('button', { name: `完了にする: ${title}` }).click();
      await who.page.getByText('タスクを完了にしました。').waitFor();
    }
    const done = await app.db.query<{ title_ja: string }>('SELECT title_ja FROM incident_tasks WHERE incident_id = $1 AND done_at IS NOT NULL ORDER BY title_ja', [incidentId]);
    assert.equal(done.length, 3);
    await comms.page.goto(`${app.baseUrl}/staff`);
    assert.doesNotMatch(await comms.page.locator('#home-my-tasks').innerText(), /初報を公開する/, 'done tasks leave the home');
  });

  test('the commander resolves it from the "resolved" template', async () => {
    const page = commander.page;
    await page.goto(`${app.baseUrl}/staff/incidents/${incidentId}/room`);
    await page.getByLabel('作成のもと').selectOption({ label: '復旧のお知らせ' });
    await page.getByRole('button', { name: '更新を作成' }).click();
    assert.equal(await page.getByLabel('状態', { exact: true }).inputValue(), 'resolved');
    await page.getByRole('button', { name: 'すべてのチャネルでプレビュー' }).click();
    await page.getByRole('button', { name: 'この内容で公開する' }).click();
    await page.getByText('更新を公開しました。各チャネルへの配信を開始しています。').waitFor();
    assert.match(await page.locator('main > p.meta').first().innerText(), /解決済み/);
    const [row] = await app.db.query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [incidentId]);
    assert.equal(row!.status, 'resolved');
    await page.goto(`${app.baseUrl}/staff`);
    assert.equal(await page.locator('#home-incidents').getByRole('link', { name: 'BTC/JPY の取引ができない' }).count(), 0);
  });

  test('axe finds nothing on the pages seen above (desktop)', () => {
    assert.deepEqual(a11y, []);
  });
});

describe('the new pages: axe WCAG 2.1 AA and no sideways scrolling, desktop and phone, ja and en', () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    test(name, async () => {
      const { context, page } = await person(commanderEmail, viewport);
      try {
        const [template] = await app.db.query<{ id: string }>(`SELECT id FROM update_templates WHERE builtin_key = 'api_degraded'`);
        // An open incident for the room and the composer (the one above is resolved).
        const { incidentId: open } = await app.commands.declareIncident({ type: 'staff', id: null }, {
          type: 'security', severity: 'SEV2', nameJa: `フィッシングサイトの確認 (${name})`, nameEn: `Phishing site found (${name})`, bodyJa: '調査しています。',
        });
        const found: string[] = [];
        for (const lang of ['ja', 'en'] as const) {
          for (const path of ['/staff', `/staff/incidents/${open}/room`, `/staff/incidents/${incidentId}/room`, `/staff/incidents/${open}/room/compose?template=${template!.id}`,
            '/staff/update-templates', `/staff/update-templates/${template!.id}`]) {
            const res = await page.goto(`${app.baseUrl}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
            if (res?.status() !== 200) found.push(`${name} ${lang} ${path}: HTTP ${res?.status()}`);
            found.push(...(await problems(page, `${name} ${lang} ${path}`)));
          }
          // The composer with its previews.
          await page.goto(`${app.baseUrl}/staff/incidents/${open}/room/compose?template=${template!.id}&lang=${lang}`);
          await page.getByRole('button', { name: lang === 'ja' ? 'すべてのチャネルでプレビュー' : 'Preview in every channel' }).click();
          await page.locator('.x-post').first().waitFor();
          found.push(...(await problems(page, `${name} ${lang} compose preview`)));
          if (lang === 'ja') await shot(page, `compose-preview-${name}`);
        }
        await page.goto(`${app.baseUrl}/staff/incidents/${open}/room?lang=ja`);
        await shot(page, `room-${name}`);
        assert.deepEqual(found, []);
      } finally {
        await context.close();
      }
    });
  }
});
