/**
 * One SEV1 outage from declaration to public postmortem, in a real browser (Chromium through playwright-core), by an
 * incident commander and a communications lead, every step through the pages: declare → the staff home shows it →
 * roles given → a template update previewed in every channel (page card, email, X thread, Slack, webhook, who each
 * reaches) and published → tasks ticked → resolved → the post-incident review with the times computed from the
 * record → the postmortem published → seen on the public incident page, in /api/v2/incidents.json (checked against
 * Statuspage's schema) and in the Atom and RSS feeds. The app runs on a clock the test moves, so the numbers a
 * person reads (minutes from the monitor's first failure to the declaration, to the resolution) are exact.
 * The database is only written before the story (staff, subscribers, a monitor's failing checks).
 *
 * Run: node --import tsx --test --test-reporter=spec test/incident-lifecycle-browser.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { formatDateTime } from '../src/web/i18n.ts';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { signInStaff, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';
import { validateStatuspage } from './support/statuspage-schema.ts';

const MIN = 60_000;
/** The declaration; the monitor on BTC/JPY failed four minutes before it. */
const T0 = Math.floor(Date.now() / MIN) * MIN - 3 * 60 * MIN;
let now = T0 - 15 * MIN;
const clock = () => new Date(now);
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const jst = (d: Date) => formatDateTime('ja', d, 'Asia/Tokyo');

const NAME = 'BTC/JPY の取引ができない';
const CAUSE = '注文サーバーの接続プールが枯渇し、BTC/JPY の新規注文を受け付けられなくなりました。';
const ACTION = '接続プールの使用率に監視を追加する';

let browser: Browser;
let app: RunningApp;
let commander: { context: BrowserContext; page: Page };
let comms: { context: BrowserContext; page: Page };
let commsName = '';
let incidentId = '';
let postmortemJa = '';

before(async () => {
  const base = loadConfig();
  [browser, app] = await startBrowserAndApp(() => startApp({ clock, config: { monitors: { ...base.monitors, enabled: false } } }));
  const commanderEmail = await makeStaff(app.db, 'incident_commander');
  const commsEmail = await makeStaff(app.db, 'security');
  [{ name: commsName }] = await app.db.query<{ name: string }>('SELECT name FROM staff WHERE email = $1', [commsEmail]) as [{ name: string }];
  // Who the update will reach: three confirmed email subscribers (two read Japanese, one English).
  for (const [id, lang] of [['lifesub00001', 'ja'], ['lifesub00002', 'ja'], ['lifesub00003', 'en']] as const) {
    await insertSubscriber(app.db, {
      id, channel: 'email', target: `${id}@example.jp`, lang, components: null, secret: null, ownerEmail: null,
      confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: clock(), ip: null, now: clock(),
    });
  }
  // The monitor on BTC/JPY: fine, then failing from four minutes before the declaration (what "detection" measures).
  await app.db.query(`INSERT INTO monitors (id, name, kind, config, interval_s, timeout_ms, component_ids, enabled)
    VALUES ('mon-btcjpy', 'BTC/JPY 注文API', 'http', '{}', 60, 1000, ARRAY['pairbtcjpy00'], false)`);
  for (const [m, ok] of [[-6, true], [-5, true], [-4, false], [-3, false], [-2, false], [-1, false]] as const) {
    await app.db.query(`INSERT INTO monitor_results (monitor_id, at, ok, health, latency_ms, detail, runner) VALUES ('mon-btcjpy', $1, $2, $3, 12, 'x', 'test')`, [at(m), ok, ok ? 'up' : 'down']);
  }
  const person = async (email: string) => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ja-JP' });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/staff`);
    await signInStaff(page, app.baseUrl, email);
    return { context, page };
  };
  commander = await person(commanderEmail);
  comms = await person(commsEmail);
});

after(async () => {
  await commander?.context.close();
  await comms?.context.close();
  await stopBrowserAndApp(browser, app);
});

const text = (page: Page, selector: string) => page.locator(selector).first().innerText();
const flash = (page: Page, message: string) => page.getByText(message).first().waitFor();

/** Reloads a public page until it shows `expected` (the page is re-read from the database within a second). */
async function publicPageShows(page: Page, path: string, expected: RegExp): Promise<string> {
  let body = '';
  await eventually(async () => {
    await page.goto(`${app.baseUrl}${path}`);
    body = await page.locator('main').innerText();
    return expected.test(body);
  }, 10_000, 300);
  return body;
}

describe('an SEV1 outage from declaration to public postmortem', () => {
  test('the commander declares it; the staff home shows it, with nobody in any role yet', async () => {
    now = T0;
    const page = commander.page;
    await page.getByRole('link', { name: '障害を宣言する' }).click();
    await page.getByLabel('種類').selectOption('outage');
    await page.getByLabel('重大度').selectOption('SEV1');
    await page.getByLabel('タイトル (日本語)').fill(NAME);
    await page.getByLabel('タイトル (英語)').fill('BTC/JPY trading unavailable');
    await page.getByLabel('本文 (日本語)').fill('BTC/JPY の注文が受け付けられない状態です。調査しています。');
    await page.getByLabel('本文 (英語)').fill('Orders on BTC/JPY are not accepted. We are investigating.');
    await page.getByLabel('BTC/JPY の状態').selectOption('major_outage');
    await page.getByRole('button', { name: '障害を宣言する' }).click();
    await flash(page, '障害を宣言しました。');
    incidentId = new URL(page.url()).pathname.split('/')[3]!;

    await page.getByRole('link', { name: 'ダッシュボード' }).click();
    const home = page.locator('#home-incidents');
    await home.getByRole('link', { name: NAME }).waitFor();
    const listed = await home.innerText();
    assert.match(listed, /SEV1 · システム障害 · 調査中/);
    assert.match(listed, /あなたには役割がありません。/);
    assert.match(listed, /インシデント指揮者: 未割り当て/);
    assert.match(listed, /未完了のタスク 5 件/);
  });

  test('the commander takes command and makes a colleague communications lead', async () => {
    now = T0 + 2 * MIN;
    const page = commander.page;
    await page.locator('#home-incidents').getByRole('link', { name: NAME }).click();
    await page.getByRole('heading', { level: 1, name: `対応ルーム: ${NAME}` }).waitFor();
    assert.equal(await page.locator('#tasks .tasks > li').count(), 5, 'the outage checklist is there from the declaration');
    await page.getByRole('button', { name: '自分が担当する: インシデント指揮者' }).click();
    await flash(page, '役割を割り当て、メールで知らせました。');
    await page.getByRole('combobox', { name: '役割', exact: true }).selectOption('communications');
    await page.getByRole('combobox', { name: 'スタッフ', exact: true }).selectOption({ label: `${commsName} (セキュリティ担当)` });
    await page.getByRole('button', { name: '割り当てる' }).click();
    await flash(page, '役割を割り当て、メールで知らせました。');
    assert.match(await text(page, '#roles'), new RegExp(`コミュニケーション担当\\s+${commsName}`));
    assert.match(await text(page, '#timeline'), new RegExp(`${commsName} さんをコミュニケーション担当に割り当てました。`));
  });

  test('the communications lead previews the "trading halted" template in every channel, with who each reaches, and publishes it', async () => {
    now = T0 + 6 * MIN;
    const page = comms.page;
    await page.getByRole('link', { name: '最新の状態に更新' }).click();
    assert.match(await text(page, '#home-incidents'), /あなたの役割: コミュニケーション担当/);
    assert.match(await text(page, '#home-my-tasks'), /初報を公開する/);
    await page.locator('#home-incidents').getByRole('link', { name: NAME }).click();
    await page.getByLabel('作成のもと').selectOption({ label: '取引の一時停止' });
    await page.getByRole('button', { name: '更新を作成' }).click();
    await page.getByRole('heading', { level: 1, name: `更新を作成: ${NAME}` }).waitFor();
    assert.match(await page.getByLabel('本文 (日本語)').inputValue(), /BTC\/JPYの取引を一時停止しています。/);
    assert.equal(await page.getByRole('button', { name: 'この内容で公開する' }).count(), 0, 'nothing is published unseen');

    await page.getByRole('button', { name: 'すべてのチャネルでプレビュー' }).click();
    for (const heading of ['状況ページ', 'メール (購読者 3 件)', 'X (購読者 0 件)', 'Slack (購読者 0 件)', 'Webhook (購読者 0 件)']) {
      await page.getByRole('heading', { level: 3, name: heading }).waitFor();
    }
    const preview = page.locator('section[aria-labelledby="preview-h"]');
    assert.match(await preview.locator('.audience').innerText(), /メール\s+3\s+2\s+1/, 'email: 3 subscribers, 2 in Japanese, 1 in English');
    assert.match(await preview.locator('section[aria-labelledby="pv-page"]').innerText(), /BTC\/JPYの取引を一時停止しています。/, 'the status page card');
    assert.match(await preview.locator('section[aria-labelledby="pv-email"]').innerText(), /件名: 【デモ取引所】BTC\/JPY の取引ができない（原因特定）/);
    const posts = preview.locator('.x-post');
    assert.ok((await posts.count()) >= 1, 'the X thread');
    assert.match(await posts.first().innerText(), /\/ 280/, 'each post with its weighted length');
    assert.match(await preview.locator('section[aria-labelledby="pv-slack"] .slack-message').first().innerText(), /BTC\/JPY/, 'the Slack message');
    await preview.locator('section[aria-labelledby="pv-webhook"] summary').first().click();
    assert.match(await preview.locator('section[aria-labelledby="pv-webhook"] pre').first().innerText(), /"incident"/, 'the webhook body');

    await page.getByRole('button', { name: 'この内容で公開する' }).click();
    await flash(page, '更新を公開しました。各チャネルへの配信を開始しています。');
    assert.match(await text(page, '#timeline'), /テンプレート「取引の一時停止」から作成/);
    const publicPage = await publicPageShows(page, `/incidents/${incidentId}`, /BTC\/JPYの取引を一時停止しています。/);
    assert.match(publicPage, /原因特定/);
  });

  test('both tick their tasks; the room counts what is left', async () => {
    now = T0 + 10 * MIN;
    for (const [who, title] of [[comms, '初報を公開する (状況ページ・メール・X)'], [comms, '公式 X アカウントで告知する'], [commander, '取引停止の要否を判断する']] as const) {
      await who.page.goto(`${app.baseUrl}/staff/incidents/${incidentId}/room`);
      await who.page.getByRole('button', { name: `完了にする: ${title}` }).click();
      await flash(who.page, 'タスクを完了にしました。');
    }
    assert.match(await text(commander.page, '#tasks'), /\(未完了 2 \/ 全 5\)/);
    await comms.page.goto(`${app.baseUrl}/staff`);
    assert.doesNotMatch(await text(comms.page, '#home-my-tasks'), /初報を公開する/, 'done tasks leave the home');
  });

  test('the commander resolves it from the "resolved" template; it leaves the home', async () => {
    now = T0 + 52 * MIN;
    const page = commander.page;
    await page.goto(`${app.baseUrl}/staff/incidents/${incidentId}/room`);
    await page.getByLabel('作成のもと').selectOption({ label: '復旧のお知らせ' });
    await page.getByRole('button', { name: '更新を作成' }).click();
    assert.equal(await page.getByLabel('状態', { exact: true }).inputValue(), 'resolved');
    await page.getByLabel('BTC/JPY の状態').selectOption('operational');
    await page.getByRole('button', { name: 'すべてのチャネルでプレビュー' }).click();
    await page.getByRole('button', { name: 'この内容で公開する' }).click();
    await flash(page, '更新を公開しました。各チャネルへの配信を開始しています。');
    assert.match(await text(page, 'main > p.meta'), /解決済み/);
    await page.goto(`${app.baseUrl}/staff`);
    assert.equal(await page.locator('#home-incidents').getByRole('link', { name: NAME }).count(), 0);
  });

  test('the post-incident review shows the times computed from the record; the commander writes the cause and a follow-up', async () => {
    now = T0 + 60 * MIN;
    const page = commander.page;
    await page.goto(`${app.baseUrl}/staff/incidents/${incidentId}/room`);
    await page.getByRole('link', { name: '事後レビュー' }).click();
    await page.getByRole('heading', { level: 1, name: `事後レビュー: ${NAME}` }).waitFor();
    const times = await text(page, 'section[aria-labelledby="rv-times"]');
    assert.match(times, new RegExp(`最初の監視失敗\\s+${jst(at(-4))} \\(BTC/JPY 注文API\\)`));
    assert.match(times, new RegExp(`障害の宣言\\s+${jst(at(0))}`));
    assert.match(times, new RegExp(`最初の公開情報\\s+${jst(at(0))}`), 'the declaration was the first public word');
    assert.match(times, new RegExp(`解決\\s+${jst(at(52))}`));
    for (const [figure, value] of [['failureToDeclaration', '4分'], ['failureToFirstUpdate', '4分'], ['declarationToFirstUpdate', '0秒'], ['declarationToResolution', '52分'], ['failureToResolution', '56分']]) {
      assert.equal(await page.locator(`[data-figure="${figure}"]`).innerText(), value, figure);
    }
    const impact = await text(page, 'section[aria-labelledby="rv-impact"]');
    assert.match(impact, /BTC\/JPY\s.*重大な障害\s+52分/s, 'BTC/JPY down from the declaration to the resolution');

    await page.getByLabel('原因').fill(CAUSE);
    await page.getByLabel('良かった点').fill('監視が宣言の4分前に検知しました。');
    await page.getByLabel('課題 (うまくいかなかった点)').fill('初報まで時間がかかりました。');
    await page.getByRole('button', { name: '振り返りを保存' }).click();
    await flash(page, '振り返りを保存しました。');
    await page.getByLabel('対策の内容').fill(ACTION);
    await page.getByLabel('期限', { exact: true }).fill('2030-01-15');
    await page.getByRole('button', { name: '対策を追加' }).click();
    await flash(page, '対策を追加しました。');
    assert.match(await text(page, 'section[aria-labelledby="rv-actions"]'), new RegExp(`${ACTION}\\s+\\(未定\\)\\s+2030-01-15\\s+未完了`));
  });

  test('the postmortem, drafted from the record and the review, is published once', async () => {
    now = T0 + 70 * MIN;
    const page = commander.page;
    await page.reload();
    postmortemJa = await page.getByLabel('事後報告 (日本語)').inputValue();
    assert.match(postmortemJa, /【原因】\n注文サーバーの接続プールが枯渇し/, 'the cause from the review');
    assert.match(postmortemJa, /【再発防止策】\n・接続プールの使用率に監視を追加する \(2030-01-15 までに実施\)/);
    assert.ok((await page.getByLabel('事後報告 (英語)').inputValue()).length > 0, 'an English draft too');
    await page.getByRole('button', { name: '事後報告を公開する' }).click();
    await flash(page, '事後報告を公開しました。');
    const published = await text(page, '[data-postmortem="published"]');
    assert.match(published, new RegExp(`${jst(at(70))} に公開しました。`));
    assert.match(published, /購読者に通知しました。/);
    assert.equal(await page.getByRole('button', { name: '事後報告を公開する' }).count(), 0, 'published once: no second publish button');
  });

  test('the postmortem is on the public incident page, in incidents.json (Statuspage schema) and in the feeds', async () => {
    const page = comms.page;
    const firstLine = postmortemJa.split('\n').find((l) => l.trim() && !l.startsWith('【'))!.trim();
    const shown = await publicPageShows(page, `/incidents/${incidentId}`, /事後報告/);
    assert.ok(shown.includes(firstLine), `the incident page shows the postmortem: ${firstLine}`);
    assert.ok(shown.includes(CAUSE));

    const api = (await (await fetch(`${app.baseUrl}/api/v2/incidents.json`)).json()) as { incidents: Record<string, unknown>[] };
    assert.deepEqual(validateStatuspage('incidents', api), []);
    const incident = api.incidents.find((i) => i.id === incidentId)!;
    assert.equal(incident.status, 'postmortem');
    assert.equal(incident.postmortem_body, postmortemJa);
    assert.equal(new Date(String(incident.postmortem_published_at)).getTime(), at(70).getTime());
    assert.equal(incident.postmortem_notified_subscribers, true);
    assert.equal(incident.postmortem_ignored, false);

    for (const feed of ['/history.atom', '/history.rss']) {
      const xml = await (await fetch(`${app.baseUrl}${feed}`)).text();
      assert.ok(xml.includes(CAUSE), `${feed} carries the postmortem`);
    }
  });
});
