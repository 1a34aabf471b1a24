/**
 * The knowledge base through HTTP: starter articles, public pages and search, staff editing with versions,
 * drafts, republishing and withdrawal, "did this help?", roles, hostile input, and accessibility on a phone.
 */
import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { StaffClient, eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, signInStaff } from './support/browser.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';
import { plain } from './support/text.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { loadStarterArticles, type StarterArticle } from '../src/help/articles/starter-set.ts';
import { isSafeHref, renderArticleMarkdown } from '../src/help/kb/markdown.ts';
import { importStarterSet } from '../src/help/kb/starter-import.ts';
import { KnowledgeBase } from '../src/help/kb/knowledge-base.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let app: RunningApp;
let editor: StaffClient;
let viewer: StaffClient;
let editorEmail: string;
let counter = 0;

/** A slug and a word no starter article contains, so search hits can only come from this test's article. */
function fresh(tag: string): { slug: string; word: string } {
  counter++;
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = `zq${tag}${letters[counter % 26]}${letters[(counter * 7) % 26]}vault`;
  return { slug: `kb-test-${tag}-${counter}`, word };
}

const get = (path: string, headers: Record<string, string> = {}) => fetch(app.baseUrl + path, { headers, redirect: 'manual' });
const getText = async (path: string, headers: Record<string, string> = {}) => {
  const res = await get(path, headers);
  return { status: res.status, html: await res.text() };
};
const searchSlugs = async (q: string, lang: 'ja' | 'en' = 'ja'): Promise<string[]> => {
  const res = await get(`/help/search?q=${encodeURIComponent(q)}&lang=${lang}`, { accept: 'application/json' });
  assert.equal(res.status, 200);
  return ((await res.json()) as { results: { slug: string }[] }).results.map((r) => r.slug);
};
/** Attribute names starting with "on" in real tags (quoted values, where escaped text may say anything, are skipped). */
function eventHandlerAttributes(html: string): string[] {
  const found: string[] = [];
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) {
    for (const m of tag.replace(/"[^"]*"/g, '""').matchAll(/\s(on[a-z]+)\s*=/gi)) found.push(`${m[1]} in ${tag}`);
  }
  return found;
}
const count = async (sql: string, params: unknown[] = []) => Number((await app.db.query<{ n: number }>(sql, params))[0]!.n);
/** Everything a knowledge-base request could change. */
const kbState = async () =>
  JSON.stringify({
    articles: await count('SELECT count(*) AS n FROM kb_articles'),
    versions: await count('SELECT count(*) AS n FROM kb_versions'),
    current: await app.db.query('SELECT article_id, lang, version_id FROM kb_current ORDER BY article_id, lang'),
    feedback: await count('SELECT count(*) AS n FROM kb_feedback'),
    audit: await count('SELECT count(*) AS n FROM audit_log'),
  });

/** The "did this help?" token of one fresh view of an article page. */
async function feedbackToken(slug: string, base = app.baseUrl, lang: 'ja' | 'en' = 'ja'): Promise<string> {
  const page = await (await fetch(`${base}/help/articles/${slug}?lang=${lang}`)).text();
  const token = /name="token" value="([^"]+)"/.exec(page)?.[1];
  assert.ok(token, 'the article page carries a feedback token');
  return token;
}

/** Creates and publishes an article through the staff JSON API. */
async function publishArticle(slug: string, fields: { title: string; body: string; lang?: 'ja' | 'en'; category?: string; keywords?: string[] }) {
  const res = await editor.postJson('/staff/kb', { slug, lang: fields.lang ?? 'ja', category: fields.category ?? 'trading', title: fields.title, body: fields.body, keywords: fields.keywords ?? [], publish: true });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as { slug: string; version: number };
}

before(async () => {
  app = await startApp({ demo: false });
  editorEmail = await makeStaff(app.db, 'agent');
  editor = await StaffClient.signIn(app.baseUrl, editorEmail);
  viewer = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'));
});
after(async () => {
  await app?.stop();
});

describe('starter set', () => {
  test('every starter article is imported, published and listed under its category', async () => {
    const starters = loadStarterArticles();
    assert.ok(starters.length > 0, 'content/help/articles has articles');
    const slugs = new Set(starters.map((s) => s.slug));
    assert.equal(await count('SELECT count(*) AS n FROM kb_articles WHERE slug = ANY($1)', [[...slugs]]), slugs.size);
    const index = await getText('/help/articles');
    assert.equal(index.status, 200);
    for (const s of starters.filter((x) => x.lang === 'ja')) {
      assert.ok(index.html.includes(`href="/help/articles/${s.slug}"`), `${s.slug} is listed`);
    }
    const first = starters.find((s) => s.lang === 'ja')!;
    const page = await getText(`/help/articles/${first.slug}`);
    assert.equal(page.status, 200);
    assert.ok(plain(page.html).includes(first.title));
    assert.equal(page.html.match(/<h1[\s>]/g)?.length, 1, 'one h1: the article title');
    assert.match(page.html, /aria-label="現在の位置"/, 'a breadcrumb');
    assert.ok(page.html.includes(`#cat-${first.category}`), 'the breadcrumb names the category');
  });

  test('content: at least 40 Japanese starter articles (fails until the content set lands)', () => {
    const ja = loadStarterArticles().filter((s) => s.lang === 'ja');
    assert.ok(ja.length >= 40, `only ${ja.length} Japanese starter articles so far`);
  });

  test('an English reader gets the English version, or the Japanese one with a note saying so', async () => {
    const starters = loadStarterArticles();
    const withEn = starters.find((s) => s.lang === 'en');
    const jaOnly = starters.find((s) => s.lang === 'ja' && !starters.some((x) => x.slug === s.slug && x.lang === 'en'));
    if (withEn) {
      const page = await getText(`/help/articles/${withEn.slug}?lang=en`);
      assert.ok(plain(page.html).includes(withEn.title));
      assert.doesNotMatch(page.html, /not available in English yet/);
    }
    const { slug } = fresh('fallback');
    await publishArticle(slug, { title: '日本語だけの記事', body: '日本語の本文です。' });
    for (const target of [slug, jaOnly?.slug].filter((x): x is string => !!x)) {
      const page = await getText(`/help/articles/${target}?lang=en`);
      assert.equal(page.status, 200);
      assert.match(page.html, /not available in English yet, so the Japanese version is shown/);
      assert.match(page.html, /<article lang="ja"/, 'the Japanese text is marked as Japanese');
    }
  });

  test('an article written only in English is shown to Japanese readers with a note, listed in the index, and takes feedback', async () => {
    const { slug, word } = fresh('enonly');
    await publishArticle(slug, { lang: 'en', title: `English only ${word}`, body: 'Only in **English**.' });
    const page = await getText(`/help/articles/${slug}`);
    assert.equal(page.status, 200);
    assert.match(page.html, /この記事には日本語版がまだないため、英語版を表示しています/);
    assert.match(page.html, /<article lang="en"/);
    assert.ok(plain(page.html).includes(`English only ${word}`));
    const index = await getText('/help/articles');
    assert.ok(index.html.includes(`href="/help/articles/${slug}" lang="en"`), 'listed in the Japanese index, marked as English');
    assert.match(plain(index.html), new RegExp(`English only ${word} \\(英語のみ\\)`));
    const json = (await (await get(`/help/articles/${slug}`, { accept: 'application/json' })).json()) as { lang: string; fallback: boolean };
    assert.deepEqual([json.lang, json.fallback], ['en', true]);
    const token = /name="token" value="([^"]+)"/.exec(page.html)![1]!;
    const vote = await fetch(`${app.baseUrl}/help/articles/${slug}/feedback`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `helpful=yes&ui=ja&token=${encodeURIComponent(token)}`,
    });
    assert.equal(vote.status, 303);
    assert.match((await getText(vote.headers.get('location')!.replace(/#.*$/, ''))).html, /ご回答ありがとうございました/);
    assert.equal(await count(`SELECT count(*) AS n FROM kb_feedback f JOIN kb_articles a ON a.id = f.article_id WHERE a.slug = $1 AND f.lang = 'en'`, [slug]), 1);
  });

  test('importing is safe to repeat and to race; new starter slugs arrive, edited articles stay as staff left them', async () => {
    const db = await openMigratedDb();
    try {
      await migrate(db);
      const article = (slug: string, title: string, lang: 'ja' | 'en' = 'ja'): StarterArticle =>
        ({ slug, lang, title, category: 'trading', keywords: ['キーワード'], body: `${title} の本文。` });
      const first = [article('alpha', 'アルファ'), article('beta', 'ベータ'), article('beta', 'Beta', 'en')];
      const results = await Promise.all([importStarterSet(db, first, new Date()), importStarterSet(db, first, new Date())]);
      assert.deepEqual(results.map((r) => r.added).sort(), [0, 2], 'exactly one of two simultaneous starts imports');
      const versions = async () => (await db.query<{ slug: string; lang: string; version: number; title: string }>(
        'SELECT a.slug, v.lang, v.version, v.title FROM kb_versions v JOIN kb_articles a ON a.id = v.article_id ORDER BY a.slug, v.lang, v.version'));
      assert.equal((await versions()).length, 3);

      // Staff edit "alpha" (any staff change freezes it), then the files change and gain "gamma".
      const kb = new KnowledgeBase(db, { starterArticles: () => [] });
      await kb.start();
      const staffId = (await db.query<{ id: string }>('SELECT id FROM staff LIMIT 1'))[0]?.id ?? null;
      await kb.saveVersion({ type: 'staff', id: staffId }, 'alpha', { lang: 'ja', title: 'スタッフが直したアルファ', body: '直した本文', category: 'trading', baseVersion: 1, publish: true });
      const second = [article('alpha', 'アルファ改'), article('beta', 'ベータ改'), article('beta', 'Beta', 'en'), article('gamma', 'ガンマ')];
      const again = await importStarterSet(db, second, new Date());
      assert.equal(again.added, 1, 'the new slug is added');
      assert.equal(again.refreshed, 1, 'the untouched article follows its file (ja only: en did not change)');
      const rows = await versions();
      assert.deepEqual(rows.filter((r) => r.slug === 'alpha').map((r) => r.title), ['アルファ', 'スタッフが直したアルファ'], 'the edited article is left alone');
      assert.deepEqual(rows.filter((r) => r.slug === 'beta' && r.lang === 'ja').map((r) => r.title), ['ベータ', 'ベータ改'], 'history kept: a new version, not an overwrite');
      assert.equal((await importStarterSet(db, second, new Date())).added, 0, 'a third start changes nothing');
      assert.equal((await versions()).length, rows.length);
      await kb.stop();
    } finally {
      await db.close();
    }
  });
});

describe('starter import under load', () => {
  test('a failing import does not stop the knowledge base: it logs and serves what is stored', async () => {
    const db = await openMigratedDb();
    try {
      await migrate(db);
      const starters = () => [{ slug: 'kept', lang: 'ja' as const, title: '保存済みの記事', category: 'trading' as const, keywords: [], body: '本文' }];
      const first = new KnowledgeBase(db, { starterArticles: starters });
      await first.start();
      await first.stop();
      // The next start's import meets a database error (here: a transaction that fails), as a lost race would.
      const failing: Db = {
        kind: db.kind,
        query: (sql, params, opts) => db.query(sql, params, opts),
        transaction: async () => {
          throw Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
        },
        exec: (sql) => db.exec(sql),
        listen: (channel, onMessage) => db.listen(channel, onMessage),
        afterCommit: (fn) => db.afterCommit(fn),
        close: async () => undefined,
      };
      const logged: string[] = [];
      const kb = new KnowledgeBase(failing, { starterArticles: starters, log: (msg) => logged.push(msg) });
      assert.equal(await kb.start(), null);
      assert.ok(logged.some((m) => /starter import failed/.test(m)), logged.join('\n'));
      assert.equal(kb.article('kept', 'ja')?.article.title, '保存済みの記事', 'what is stored is served');
      await kb.stop();
    } finally {
      await db.close();
    }
  });

  test('on a PostgreSQL server: an import waits for a staff edit under way and then leaves the article alone', { skip: postgresAvailable() ? false : 'PostgreSQL server binaries not installed' }, async () => {
    const server = await startPostgres();
    const dbs: Db[] = [];
    try {
      dbs.push(await openDb({ databaseUrl: server.url }), await openDb({ databaseUrl: server.url }));
      await migrate(dbs[0]!);
      const article = (title: string): StarterArticle => ({ slug: 'raced', lang: 'ja', title, category: 'trading', keywords: [], body: `${title} の本文` });
      await importStarterSet(dbs[0]!, [article('初版')], new Date());
      const staff = new KnowledgeBase(dbs[1]!, { starterArticles: () => [], pollMs: 3_600_000 });
      await staff.start();
      // A staff save holds the article's row lock (as saveVersion does) while the import starts.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const edit = dbs[1]!.transaction(async (tx) => {
        await tx.query("SELECT id FROM kb_articles WHERE slug = 'raced' FOR UPDATE");
        locked();
        await held;
        const [id] = await tx.query<{ id: string }>("SELECT id FROM kb_articles WHERE slug = 'raced'");
        await tx.query(`INSERT INTO kb_versions (article_id, lang, version, title, keywords, body, category, state, created_at)
          SELECT $1, 'ja', COALESCE(max(version), 0) + 1, 'スタッフ版', '[]', 'スタッフの本文', 'trading', 'published', now() FROM kb_versions WHERE article_id = $1 AND lang = 'ja'`, [id!.id]);
        await tx.query(`INSERT INTO kb_current (article_id, lang, version_id, published_at)
          SELECT $1, 'ja', max(id), now() FROM kb_versions WHERE article_id = $1
          ON CONFLICT (article_id, lang) DO UPDATE SET version_id = EXCLUDED.version_id`, [id!.id]);
        await tx.query('UPDATE kb_articles SET edited_by_staff = true WHERE id = $1', [id!.id]);
      });
      await lockTaken;
      const importing = importStarterSet(dbs[0]!, [article('ファイルが変わった版')], new Date());
      await new Promise((resolve) => setTimeout(resolve, 300));
      release();
      await edit;
      const result = await importing;
      assert.equal(result.refreshed, 0, 'the import saw the staff edit and left the article alone');
      const rows = await dbs[0]!.query<{ title: string; version: number }>(
        `SELECT v.title, v.version FROM kb_current c JOIN kb_versions v ON v.id = c.version_id JOIN kb_articles a ON a.id = c.article_id WHERE a.slug = 'raced'`);
      assert.deepEqual(rows.map((r) => r.title), ['スタッフ版'], 'the staff version stays public');
      await staff.stop();
    } finally {
      for (const d of dbs) await d.close().catch(() => undefined);
      server.destroy();
    }
  });
});

describe('public pages and search', () => {
  test('the search page finds a starter article and links to it', async () => {
    const starter = loadStarterArticles().find((s) => s.slug === 'withdrawal-pending' && s.lang === 'ja');
    const query = starter ? '出金' : loadStarterArticles()[0]!.title;
    const { status, html } = await getText(`/help/search?q=${encodeURIComponent(query)}`);
    assert.equal(status, 200);
    const expected = starter?.slug ?? loadStarterArticles()[0]!.slug;
    assert.ok(html.includes(`href="/help/articles/${expected}"`), `results link to ${expected}`);
    assert.match(plain(html), /に関する記事: \d+件/);
  });

  test('no results: says so, with links to the help center and the contact form', async () => {
    for (const [lang, text] of [['ja', /に当てはまる記事は見つかりませんでした/], ['en', /No articles matched/]] as const) {
      const { status, html } = await getText(`/help/search?q=xyzzyplughnothing&lang=${lang}`);
      assert.equal(status, 200);
      assert.match(html, text);
      assert.match(html, /href="\/help(\?lang=en)?"/);
      assert.match(html, /href="\/contact(\?lang=en)?"/);
    }
  });

  test('the search box answers empty, huge, script and broken queries safely', async () => {
    const empty = await getText('/help/search?q=');
    assert.equal(empty.status, 200);
    assert.match(empty.html, /調べたいことを入力してください/);
    const none = await getText('/help/search');
    assert.equal(none.status, 200);

    const huge = await getText(`/help/search?q=${'出金'.repeat(500)}`);
    assert.equal(huge.status, 400);
    assert.match(huge.html, /200 文字以内/);
    assert.ok(huge.html.length < 20_000, 'the huge query is not echoed back whole');
    const hugeEn = await get(`/help/search?q=${'a'.repeat(10_000)}&lang=en`, { accept: 'application/json' });
    assert.equal(hugeEn.status, 400);
    assert.match(((await hugeEn.json()) as { message: string }).message, /200 characters/);
    const enormous = await get(`/help/search?q=${'a'.repeat(100_000)}`);
    assert.ok(enormous.status === 414 || enormous.status === 431, `a URL too long for the server is refused (${enormous.status})`);

    const script = await getText(`/help/search?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(script.status, 200);
    assert.doesNotMatch(script.html, /<script/i);
    assert.match(script.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    const attr = await getText(`/help/search?q=${encodeURIComponent('"><img src=x onerror=alert(1)>')}`);
    assert.doesNotMatch(attr.html, /<img/i);

    for (const q of ['%FF%FE', '%00%01%1B', '%E3%81', `${'%F0%9F%98%80'.repeat(50)}`, '&q=a&q=b', '%3Cscript%3E']) {
      const res = await getText(`/help/search?q=${q}`);
      assert.ok(res.status === 200 || res.status === 400, `${q}: ${res.status}`);
      assert.doesNotMatch(res.html, /<script|[\u0000-\u0008]/);
    }
  });

  test('during an incident the article, index and search pages start with the live banner, before the h1', async () => {
    const { slug } = fresh('banner');
    await publishArticle(slug, { title: '障害中に読む記事', body: '本文' });
    assert.doesNotMatch((await getText(`/help/articles/${slug}`)).html, /help-live/, 'no banner while all is well');
    const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'trading', severity: 'SEV2', nameJa: '注文の遅延 zqbanner', nameEn: 'Delayed orders zqbanner',
      bodyJa: '注文の処理が遅れています。', bodyEn: 'Orders are being processed slowly.',
    });
    try {
      await eventually(async () => (await getText(`/help/articles/${slug}`)).html.includes('help-live'), 5_000);
      for (const path of [`/help/articles/${slug}`, `/help/articles/${slug}?lang=en`, '/help/articles', `/help/search?q=${encodeURIComponent('出金')}`, '/help/articles/no-such-article']) {
        const { html } = await getText(path);
        const main = html.slice(html.indexOf('<main'));
        assert.match(main, /^<main[^>]*>\s*<section class="banner help-live/, `${path}: the banner is the first thing in main`);
        const banner = main.slice(0, main.indexOf('</section>'));
        assert.ok(main.indexOf('help-live') < main.indexOf('<h1'), `${path}: the banner comes before the h1`);
        assert.match(plain(banner), path.includes('lang=en') ? /Delayed orders zqbanner/ : /注文の遅延 zqbanner/);
        assert.ok(banner.includes(`/incidents/${incidentId}`), `${path}: links to the incident`);
      }
    } finally {
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'resolved', bodyJa: '解消しました。', bodyEn: 'Resolved.' });
    }
    await eventually(async () => !(await getText(`/help/articles/${slug}`)).html.includes('help-live'), 5_000);
  });

  test('an unknown article answers 404 with a way on', async () => {
    for (const path of ['/help/articles/no-such-article', '/help/articles/%3Cscript%3E', `/help/articles/${'a'.repeat(500)}`]) {
      const { status, html } = await getText(path);
      assert.equal(status, 404);
      assert.match(html, /記事が見つかりません/);
      assert.match(html, /action="\/help\/search"/);
      assert.doesNotMatch(html, /<script/i);
    }
  });
});

describe('staff editing', () => {
  test('a published edit is a new version, public and searchable at once; the old one stays and can be republished', async () => {
    const { slug, word } = fresh('edit');
    const newWord = fresh('edited').word;
    const original = await publishArticle(slug, { title: `最初のタイトル ${word}`, body: 'はじめの本文。' });
    assert.equal(original.version, 1);
    assert.ok((await searchSlugs(word)).includes(slug));

    const saved = await editor.postForm(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: `直したタイトル ${newWord}`, keywords: 'ことば, 言葉', body: '## 新しい見出し\n\n新しい本文。', baseVersion: '1', action: 'publish' });
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.get('location'), `/staff/kb/${slug}?edit=ja&ok=published`);

    const page = await getText(`/help/articles/${slug}`);
    assert.ok(plain(page.html).includes(`直したタイトル ${newWord}`));
    assert.ok(!plain(page.html).includes('最初のタイトル'));
    assert.match(page.html, /<h3>新しい見出し<\/h3>/, 'article headings sit below the page h1');
    assert.ok((await searchSlugs(newWord)).includes(slug), 'search follows the edit without waiting');
    assert.ok(!(await searchSlugs(word)).includes(slug), 'the old title is no longer found');

    const history = await editor.get(`/staff/kb/${slug}/versions`);
    const historyHtml = await history.text();
    assert.equal(history.status, 200);
    assert.match(historyHtml, /第1版/);
    assert.match(historyHtml, /第2版/);
    const v1 = await editor.get(`/staff/kb/${slug}/versions/ja/1`);
    assert.ok(plain(await v1.text()).includes(`最初のタイトル ${word}`), 'the old version is kept and viewable');

    const republished = await editor.postForm(`/staff/kb/${slug}/versions/ja/1/republish`, {});
    assert.equal(republished.status, 303);
    const back = await getText(`/help/articles/${slug}`);
    assert.ok(plain(back.html).includes(`最初のタイトル ${word}`));
    assert.ok((await searchSlugs(word)).includes(slug));
    assert.ok(!(await searchSlugs(newWord)).includes(slug));
    const rows = await app.db.query<{ version: number; restored_from: number | null }>(
      'SELECT v.version, v.restored_from FROM kb_versions v JOIN kb_articles a ON a.id = v.article_id WHERE a.slug = $1 ORDER BY v.version', [slug]);
    assert.deepEqual(rows, [{ version: 1, restored_from: null }, { version: 2, restored_from: null }, { version: 3, restored_from: 1 }], 'history only grows');

    const audit = await app.db.query<{ action: string; actor_id: string }>(
      "SELECT action, actor_id FROM audit_log WHERE target_type = 'kb_article' AND target_id = $1 ORDER BY seq", [slug]);
    assert.deepEqual(audit.map((a) => a.action), ['kb.article.publish', 'kb.version.publish', 'kb.version.republish']);
    const [staffRow] = await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [editorEmail]);
    assert.ok(audit.every((a) => a.actor_id === staffRow!.id), 'every change is audited with who made it');
  });

  test('a draft is kept but never public; publishing the draft later makes it public', async () => {
    const { slug, word } = fresh('draft');
    await publishArticle(slug, { title: '公開中のタイトル', body: '公開中の本文。' });
    const draft = await editor.postJson(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: `下書き ${word}`, body: '下書きの本文。', baseVersion: 1, publish: false });
    assert.equal(draft.status, 200);
    assert.equal(((await draft.json()) as { version: number }).version, 2);
    const page = await getText(`/help/articles/${slug}`);
    assert.ok(plain(page.html).includes('公開中のタイトル'));
    assert.ok(!page.html.includes(word), 'the draft is not on the public page');
    assert.ok(!(await searchSlugs(word)).includes(slug), 'nor in search');
    const editorPage = await (await editor.get(`/staff/kb/${slug}`)).text();
    assert.match(editorPage, /未公開の新しい版: 第2版/);
    assert.ok(editorPage.includes(`下書き ${word}`), 'the editor continues from the draft');

    const draftOnly = fresh('draftonly');
    const created = await editor.postForm('/staff/kb', { slug: draftOnly.slug, lang: 'ja', category: 'phishing', title: `新しい下書き ${draftOnly.word}`, body: '本文', action: 'draft' });
    assert.equal(created.status, 303);
    assert.equal((await get(`/help/articles/${draftOnly.slug}`)).status, 404);
    assert.ok(!(await searchSlugs(draftOnly.word)).includes(draftOnly.slug));

    assert.equal((await editor.postForm(`/staff/kb/${slug}/versions/ja/2/republish`, {})).status, 303);
    assert.ok(plain((await getText(`/help/articles/${slug}`)).html).includes(`下書き ${word}`));
  });

  test('an English version can be added, and an English reader then gets it', async () => {
    const { slug, word } = fresh('english');
    await publishArticle(slug, { title: '英語版を足す記事', body: '日本語の本文。' });
    const res = await editor.postForm(`/staff/kb/${slug}`, { lang: 'en', category: 'trading', title: `English title ${word}`, keywords: 'pending, stuck', body: 'English **body**.', baseVersion: '0', action: 'publish' });
    assert.equal(res.status, 303);
    const en = await getText(`/help/articles/${slug}?lang=en`);
    assert.ok(plain(en.html).includes(`English title ${word}`));
    assert.doesNotMatch(en.html, /not available in English yet/);
    assert.ok((await searchSlugs(word, 'en')).includes(slug));
    assert.ok(plain((await getText(`/help/articles/${slug}`)).html).includes('英語版を足す記事'), 'Japanese readers still get Japanese');
  });

  test('saving over someone else\'s newer version is refused and stores nothing', async () => {
    const { slug } = fresh('stale');
    await publishArticle(slug, { title: '競合のテスト', body: '本文' });
    await editor.postJson(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: '先に保存', body: '本文2', baseVersion: 1, publish: true });
    await assertRefusedWithoutChange(kbState, () => editor.postForm(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: '後から保存', body: '本文3', baseVersion: '1', action: 'publish' }),
      { status: 409, message: /別の人が保存しました \(最新は第2版\)/ });
  });

  test('a JSON save without the version it was edited from is refused; a new language sends 0', async () => {
    const { slug } = fresh('basejson');
    await publishArticle(slug, { title: '編集元の版', body: '本文' });
    const fields = { lang: 'ja', category: 'trading', title: '版を書かずに保存', body: '本文2', publish: true };
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, fields), { status: 400, code: 'VALIDATION', message: /編集元の版/ });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, { ...fields, baseVersion: null }), { status: 400, code: 'VALIDATION' });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, { ...fields, baseVersion: 0 }), { status: 409, code: 'CONFLICT' });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, { ...fields, baseVersion: 'latest' }), { status: 400, code: 'VALIDATION' });
    assert.equal((await editor.postJson(`/staff/kb/${slug}`, { ...fields, baseVersion: 1 })).status, 200);
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, { ...fields, lang: 'en', title: 'English' }), { status: 400, code: 'VALIDATION' });
    assert.equal((await editor.postJson(`/staff/kb/${slug}`, { ...fields, lang: 'en', title: 'English', baseVersion: 0 })).status, 200);
  });

  test('the preview renders the Markdown without storing anything', async () => {
    const { slug } = fresh('preview');
    await publishArticle(slug, { title: 'プレビューの記事', body: '本文' });
    const before = await kbState();
    const res = await editor.postForm(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: 'プレビュー', body: '# 見出し\n\n**太字** <script>alert(1)</script>', action: 'preview' });
    assert.equal(res.status, 200);
    assert.equal(await kbState(), before, 'a preview stores nothing');
    const html = await res.text();
    assert.match(html, /<strong>太字<\/strong>/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(html, /<script/i);
    assert.ok(plain((await getText(`/help/articles/${slug}`)).html).includes('プレビューの記事'), 'the public page did not change');
  });

  test('withdrawing takes the article off its page, the index and search; republishing brings it back', async () => {
    const { slug, word } = fresh('withdraw');
    await publishArticle(slug, { title: `取り下げる記事 ${word}`, body: '本文', category: 'phishing' });
    assert.ok((await searchSlugs(word)).includes(slug));
    const refused = await editor.postForm(`/staff/kb/${slug}/withdraw`, {});
    assert.equal(refused.status, 400, 'withdrawal needs the confirmation box');
    assert.equal((await get(`/help/articles/${slug}`)).status, 200);

    const res = await editor.postForm(`/staff/kb/${slug}/withdraw`, { confirm: 'yes' });
    assert.equal(res.status, 303);
    assert.equal((await get(`/help/articles/${slug}`)).status, 404);
    assert.ok(!(await searchSlugs(word)).includes(slug));
    assert.ok(!(await getText('/help/articles')).html.includes(`/help/articles/${slug}"`));
    const list = plain(await (await editor.get('/staff/kb')).text());
    assert.ok(list.includes(`取り下げる記事 ${word}`) && list.includes('取り下げ済み'), 'staff still see it, marked withdrawn');

    assert.equal((await editor.postForm(`/staff/kb/${slug}/versions/ja/1/republish`, {})).status, 303);
    assert.equal((await get(`/help/articles/${slug}`)).status, 200);
    assert.ok((await searchSlugs(word)).includes(slug));
  });

  test('a viewer can read the knowledge base in the console but not change it (403)', async () => {
    const { slug } = fresh('viewer');
    await publishArticle(slug, { title: '閲覧者のテスト', body: '本文' });
    const list = await viewer.get('/staff/kb');
    assert.equal(list.status, 200);
    const listHtml = await list.text();
    assert.ok(!listHtml.includes('href="/staff/kb/new"'), 'no "new article" link for a viewer');
    const page = await viewer.get(`/staff/kb/${slug}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(await page.text(), /name="action" value="publish"/, 'no edit form for a viewer');
    assert.equal((await viewer.get('/staff/kb/new')).status, 403);
    const attempts: [string, Record<string, string>][] = [
      [`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: '閲覧者の編集', body: '本文', action: 'publish' }],
      ['/staff/kb', { slug: `${slug}-2`, lang: 'ja', category: 'trading', title: '閲覧者の新規', body: '本文', action: 'publish' }],
      [`/staff/kb/${slug}/withdraw`, { confirm: 'yes' }],
      [`/staff/kb/${slug}/versions/ja/1/republish`, {}],
    ];
    for (const [path, fields] of attempts) {
      await assertRefusedWithoutChange(kbState, () => viewer.postForm(path, fields), { status: 403, message: /権限がありません/ });
      await assertRefusedWithoutChange(kbState, () => viewer.postJson(path, fields), { status: 403, code: 'FORBIDDEN' });
    }
    const anonymous = await fetch(`${app.baseUrl}/staff/kb/${slug}/withdraw`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":true}' });
    assert.equal(anonymous.status, 401);
    assert.equal((await get(`/help/articles/${slug}`)).status, 200);
  });
});

describe('hostile input', () => {
  test('bad staff input is refused with a clear localized message and nothing is stored', async () => {
    const { slug } = fresh('hostile');
    await publishArticle(slug, { title: '攻撃に耐える記事', body: '本文' });
    const good = { lang: 'ja', category: 'trading', title: '正しいタイトル', body: '正しい本文', keywords: 'ひとつ', baseVersion: '1' };
    const cases: [string, Record<string, string>, RegExp][] = [
      ['script in title', { ...good, title: '<script>alert(1)</script>' }, /「タイトル」に HTML のタグは使えません/],
      ['tag in title', { ...good, title: 'ok <img src=x onerror=alert(1)>' }, /HTML のタグは使えません/],
      ['script in keywords', { ...good, keywords: 'a, <script>alert(1)</script>' }, /「検索キーワード」に HTML のタグは使えません/],
      ['empty title', { ...good, title: '   ' }, /「タイトル」を入力してください/],
      ['empty body', { ...good, body: '' }, /「本文 \(Markdown\)」を入力してください/],
      ['title too long', { ...good, title: 'あ'.repeat(201) }, /「タイトル」は 200 文字以内/],
      ['huge body', { ...good, body: 'x'.repeat(50_001) }, /「本文 \(Markdown\)」は 50000 文字以内/],
      ['too many keywords', { ...good, keywords: Array.from({ length: 31 }, (_, i) => `k${i}`).join(',') }, /30 個まで/],
      ['keyword too long', { ...good, keywords: 'k'.repeat(51) }, /「検索キーワード」は 50 文字以内/],
      ['keywords field too long', { ...good, keywords: 'k,'.repeat(2000) }, /検索キーワード欄が長すぎます \(全体で 3120 文字まで\)/],
      ['control character in title', { ...good, title: 'bell\u0007title' }, /制御文字/],
      ['control character in body', { ...good, body: 'esc\u001b[31m' }, /制御文字/],
      ['broken encoding', { ...good, title: 'bad \uFFFD bytes' }, /文字コード/],
      ['unknown category', { ...good, category: 'casino' }, /「分類」の値が正しくありません/],
      ['unknown language', { ...good, lang: 'fr' }, /「言語」の値が正しくありません/],
    ];
    for (const [name, fields, message] of cases) {
      await assertRefusedWithoutChange(kbState, () => editor.postForm(`/staff/kb/${slug}`, { ...fields, action: 'publish' }), { status: 400, message }).catch((err) => {
        throw new Error(`${name}: ${err.message}`);
      });
      await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, { ...fields, publish: true }, { 'accept-language': 'en' }), { status: 400, code: 'VALIDATION' });
    }
    const badSlugs = ['Bad Slug', '../etc', 'a--b', '-lead', 'new', '<script>', 'ａｂｃ', 'x'.repeat(101), ''];
    for (const bad of badSlugs) {
      await assertRefusedWithoutChange(kbState, () => editor.postForm('/staff/kb', { ...good, slug: bad, action: 'publish' }), { status: bad === 'new' ? 400 : 400, message: bad === 'new' ? /すでにあります/ : /スラッグ/ });
    }
    await assertRefusedWithoutChange(kbState, () => editor.postForm('/staff/kb', { ...good, slug, action: 'publish' }), { status: 409, message: /このスラッグの記事はすでにあります/ });
    await assertRefusedWithoutChange(kbState, () => editor.postJson('/staff/kb', { ...good, slug: 'json-types', title: ['array'], publish: true }), { status: 400, code: 'VALIDATION', message: /Title|タイトル/ });
    await assertRefusedWithoutChange(kbState, () => editor.postJson('/staff/kb', { ...good, slug: 'json-huge', body: 'x'.repeat(300_000), publish: true }), { status: 413, code: 'BODY_TOO_LARGE' });
    await assertRefusedWithoutChange(kbState, () => editor.postJson('/staff/kb', '{"slug": "broken json', {}), { status: 400, code: 'MALFORMED_BODY' });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}/versions/ja/999/republish`, {}), { status: 404, code: 'NOT_FOUND' });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}/versions/xx/1/republish`, {}), { status: 400, code: 'VALIDATION' });
    await assertRefusedWithoutChange(kbState, () => editor.postForm(`/staff/kb/${slug}`, { ...good, action: 'publish' }, { csrf: false }), { status: 403 });

    const rawForm = (body: string) => fetch(`${app.baseUrl}/staff/kb/${slug}`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: editor.cookie, 'accept-language': 'ja' },
      body: `_csrf=${encodeURIComponent(editor.csrfToken)}&lang=ja&category=trading&action=publish&${body}`,
    });
    await assertRefusedWithoutChange(kbState, () => rawForm('title=%FF%FEbad&body=ok'), { status: 400, message: /「タイトル」の文字コードが正しくありません/ });
    await assertRefusedWithoutChange(kbState, () => rawForm('title=ok&body=%C3%28'), { status: 400, message: /文字コード/ });
    await assertRefusedWithoutChange(kbState, () => editor.postJson(`/staff/kb/${slug}`, `{"lang":"ja","category":"trading","title":"lone \\ud800 surrogate","body":"b","publish":true}`), { status: 400, code: 'VALIDATION' });
    for (const path of ['/staff/kb/%3Cscript%3E', '/staff/kb/no-such-article/versions', `/staff/kb/${slug}/versions/ja/abc`]) {
      const res = await editor.get(path);
      assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`);
      assert.doesNotMatch(await res.text(), /<script>/);
    }

    const form = await editor.postForm(`/staff/kb/${slug}`, { ...good, title: '<script>alert(1)</script>', action: 'publish' });
    const formHtml = await form.text();
    assert.doesNotMatch(formHtml, /<script>alert/, 'the refused value is shown back escaped');
    assert.match(formHtml, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });

  test('hostile and malformed Markdown is published inert: no script, no unsafe link, no outside image, one h1', async () => {
    const { slug } = fresh('markdown');
    const body = [
      '# 本文の見出し',
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[js](javascript:alert(1)) [JS](JAVASCRIPT:alert(1)) [ent](jav&#x61;script:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))',
      '<javascript:alert(1)> [proto](//evil.example/x) [ok](https://example.com/ok) [mail](mailto:help@example.com) [here](/help)',
      '![tracker](https://evil.example/pixel.png)',
      '[unclosed](https://example.com',
      '**bold *nested _mess',
      '```"><script>alert(1)</script>\ncode\n```',
      '>'.repeat(300) + ' deep',
      '[x](https://example.com "title\\" onmouseover=alert(1)")',
      '<a href="javascript:alert(1)">raw</a>',
    ].join('\n\n');
    await publishArticle(slug, { title: 'Markdown の攻撃', body });
    const { status, html } = await getText(`/help/articles/${slug}`);
    assert.equal(status, 200);
    const main = html.slice(html.indexOf('<main'));
    assert.doesNotMatch(main, /<script/i);
    assert.doesNotMatch(main, /<img/i);
    assert.deepEqual(eventHandlerAttributes(main), [], 'no event handler attribute');
    assert.equal(main.match(/<h1[\s>]/g)?.length, 1);
    const hrefs = [...main.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    for (const href of hrefs) assert.match(href, /^(https?:|mailto:|\/(?!\/)|#)/, `unsafe link: ${href}`);
    assert.ok(!hrefs.some((h) => /evil\.example/.test(h)));
    assert.match(main, /<a href="https:\/\/example.com\/ok" rel="noopener noreferrer">ok<\/a>/);
    assert.match(main, /<a href="mailto:help@example.com">mail<\/a>/);
    assert.match(main, /<a href="\/help">here<\/a>/);
  });
});

describe('did this help?', () => {
  test('answers are stored without personal data, thanked, and counted in the staff list', async () => {
    const { slug } = fresh('feedback');
    await publishArticle(slug, { title: '役に立つ記事', body: '本文' });
    const page = await getText(`/help/articles/${slug}`);
    assert.match(page.html, /この記事は役に立ちましたか？/);
    assert.match(page.html, /<button type="submit" name="helpful" value="yes">はい<\/button>/);

    const post = (fields: Record<string, string>) => fetch(`${app.baseUrl}/help/articles/${slug}/feedback`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
    });
    const yes = await post({ token: await feedbackToken(slug), helpful: 'yes', comment: 'わかりやすかったです <script>alert(1)</script>' });
    assert.equal(yes.status, 303);
    const thanks = await getText(yes.headers.get('location')!.replace(/#.*$/, ''));
    assert.match(thanks.html, /ご回答ありがとうございました/);
    assert.doesNotMatch(thanks.html, /name="helpful"/, 'the form is replaced by the thanks');
    const no = await post({ token: await feedbackToken(slug), helpful: 'no', ui: 'en' });
    assert.equal(no.status, 303);
    const sorry = await getText(no.headers.get('location')!.replace(/#.*$/, ''));
    assert.match(sorry.html, /Sorry this did not help/);
    assert.match(sorry.html, /href="\/contact\?lang=en"/);

    const rows = await app.db.query<Record<string, unknown>>('SELECT f.* FROM kb_feedback f JOIN kb_articles a ON a.id = f.article_id WHERE a.slug = $1 ORDER BY f.id', [slug]);
    assert.equal(rows.length, 2);
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['article_id', 'comment', 'created_at', 'helpful', 'id', 'lang', 'version'], 'no address, no account, no user agent');
    assert.deepEqual(rows.map((r) => r.helpful), [true, false]);

    const list = plain(await (await editor.get('/staff/kb')).text());
    assert.match(list, new RegExp(`役に立つ記事 ${slug} .*?50% \\(2件\\)`));
    const history = await (await editor.get(`/staff/kb/${slug}/versions`)).text();
    assert.match(history, /わかりやすかったです &lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'comments are shown to staff, escaped');
  });

  test('bad answers are refused and nothing is stored', async () => {
    const { slug } = fresh('badfeedback');
    await publishArticle(slug, { title: '回答のテスト', body: '本文' });
    const post = (fields: Record<string, string>, json = false) => fetch(`${app.baseUrl}/help/articles/${slug}/feedback`, {
      method: 'POST', redirect: 'manual',
      headers: json ? { 'content-type': 'application/json', accept: 'application/json' } : { 'content-type': 'application/x-www-form-urlencoded' },
      body: json ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
    });
    const token = await feedbackToken(slug);
    await assertRefusedWithoutChange(kbState, () => post({ token, helpful: 'yes', comment: 'あ'.repeat(1001) }), { status: 400, message: /「ご意見」は 1000 文字以内/ });
    await assertRefusedWithoutChange(kbState, () => post({ token, helpful: 'maybe' }), { status: 400, message: /役に立ったかどうか/ });
    await assertRefusedWithoutChange(kbState, () => post({ token, helpful: 'yes', comment: 'bad\u0000byte' }), { status: 400, message: /制御文字/ });
    await assertRefusedWithoutChange(kbState, () => post({ helpful: 'yes' }), { status: 400, message: /ページを開き直してから/ });
    await assertRefusedWithoutChange(kbState, () => post({ token: token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA'), helpful: 'yes' }, true), { status: 400, code: 'VALIDATION' });
    await assertRefusedWithoutChange(kbState, () => post({ token: token.replace(/^ja\.1\./, 'ja.2.'), helpful: 'yes' }, true), { status: 400, code: 'VALIDATION' });
    const otherArticle = loadStarterArticles().find((a) => a.lang === 'ja')!.slug;
    const tokenOfOther = await feedbackToken(otherArticle);
    await assertRefusedWithoutChange(kbState, () => post({ token: tokenOfOther, helpful: 'yes' }, true), { status: 400, code: 'VALIDATION' });
    await assertRefusedWithoutChange(kbState, () => fetch(`${app.baseUrl}/help/articles/no-such-article/feedback`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}&helpful=yes` }), { status: 404 });
    const refused = await post({ token, helpful: 'yes', comment: '<b>' + 'あ'.repeat(1001) });
    const html = await refused.text();
    assert.match(html, /role="alert"/);
    assert.doesNotMatch(html, /<b>あ/, 'the refused comment is echoed escaped');
  });

  test('answers are rate limited per client', async () => {
    // Its own app: the limit is per client address, and every test here comes from 127.0.0.1.
    const own = await startApp({ demo: false });
    try {
      const { slug } = fresh('ratelimit');
      await own.knowledgeBase.createArticle({ type: 'system', id: null }, { slug, lang: 'ja', category: 'trading', title: '回数制限のテスト', body: '本文', publish: true });
      const post = async () => fetch(`${own.baseUrl}/help/articles/${slug}/feedback`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `helpful=yes&token=${encodeURIComponent(await feedbackToken(slug, own.baseUrl))}`,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await post()).status);
      assert.deepEqual(statuses, [...Array(20).fill(303), ...Array(5).fill(429)]);
      const limited = await post();
      assert.match(await limited.text(), /しばらくしてからもう一度/);
      assert.equal(Number((await own.db.query<{ n: number }>('SELECT count(*) AS n FROM kb_feedback'))[0]!.n), 20, 'refused answers are not stored');
    } finally {
      await own.stop();
    }
  });
});

describe('did this help? is one vote per page view, from this site only', () => {
  const post = (slug: string, fields: Record<string, string>, headers: Record<string, string> = {}) => fetch(`${app.baseUrl}/help/articles/${slug}/feedback`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString(),
  });
  const votes = (slug: string) => count('SELECT count(*) AS n FROM kb_feedback f JOIN kb_articles a ON a.id = f.article_id WHERE a.slug = $1', [slug]);

  test('a POST from another site is refused and nothing is stored', async () => {
    const { slug } = fresh('crosssite');
    await publishArticle(slug, { title: '別サイトからの投票', body: '本文' });
    const token = await feedbackToken(slug);
    await assertRefusedWithoutChange(kbState, () => post(slug, { token, helpful: 'no' }, { origin: 'https://evil.example' }), { status: 403, message: /ほかのサイトから送られた回答は受け付けていません/ });
    await assertRefusedWithoutChange(kbState, () => post(slug, { token, helpful: 'no' }, { 'sec-fetch-site': 'cross-site' }), { status: 403 });
    await assertRefusedWithoutChange(kbState, () => post(slug, { token, helpful: 'no' }, { 'sec-fetch-site': 'same-site' }), { status: 403 });
    await assertRefusedWithoutChange(kbState, () => post(slug, { token, helpful: 'no' }, { origin: 'null' }), { status: 403 });
    assert.equal(await votes(slug), 0);
    // The same token from this site's own page is accepted (the refusals did not use it up).
    const ok = await post(slug, { token, helpful: 'yes' }, { origin: new URL(app.baseUrl).origin, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 303);
    assert.equal(await votes(slug), 1);
  });

  test('replaying one page view\'s token stores one vote; another view may vote again', async () => {
    const { slug } = fresh('replay');
    await publishArticle(slug, { title: '二重投票のテスト', body: '本文' });
    const token = await feedbackToken(slug);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await post(slug, { token, helpful: 'no' }));
    assert.deepEqual(answers.map((r) => r.status), [303, 303, 303, 303, 303], 'a double click still reads as thanks');
    assert.equal(await votes(slug), 1, 'one vote for one page view');
    const json = await fetch(`${app.baseUrl}/help/articles/${slug}/feedback`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ token, helpful: 'yes' }),
    });
    assert.equal(json.status, 200);
    assert.equal(((await json.json()) as { counted: boolean }).counted, false);
    assert.equal(await votes(slug), 1);
    assert.equal((await post(slug, { token: await feedbackToken(slug), helpful: 'yes' })).status, 303);
    assert.equal(await votes(slug), 2, 'a new page view is a new vote');
  });

  test('a token older than a day is refused with a way on', async () => {
    let now = new Date('2026-03-04T01:00:00Z');
    const own = await startApp({ demo: false, clock: () => now });
    try {
      const { slug } = fresh('expired');
      await own.knowledgeBase.createArticle({ type: 'system', id: null }, { slug, lang: 'ja', category: 'trading', title: '期限のテスト', body: '本文', publish: true });
      const token = await feedbackToken(slug, own.baseUrl);
      now = new Date(now.getTime() + 25 * 60 * 60_000);
      const res = await fetch(`${own.baseUrl}/help/articles/${slug}/feedback`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `helpful=yes&token=${encodeURIComponent(token)}`,
      });
      assert.equal(res.status, 400);
      assert.match(await res.text(), /時間がたったため/);
      assert.equal(Number((await own.db.query<{ n: number }>('SELECT count(*) AS n FROM kb_feedback'))[0]!.n), 0);
    } finally {
      await own.stop();
    }
  });
});

describe('Markdown rendering', () => {
  test('links: only http(s), mailto and paths on this site', () => {
    for (const ok of ['https://example.com', 'http://example.com/a?b=c', 'mailto:a@example.com', '/help', 'withdrawal-pending', '#top', '?q=1']) assert.ok(isSafeHref(ok), ok);
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', '//evil.example', ' javascript:x', 'java\\script:x', 'ftp://x', '']) assert.ok(!isSafeHref(bad), bad);
  });

  test('XSS payloads come out inert', () => {
    const payloads = [
      '<script>alert(1)</script>', '<svg onload=alert(1)>', '<iframe src="javascript:alert(1)"></iframe>',
      '[a](javascript:alert(1))', '[a](&#106;avascript:alert(1))', '[a](javascript&#58;alert(1))', '[a]( javascript:alert(1))',
      '[a](<javascript:alert(1)>)', '<javascript:alert(1)>', '[a][r]\n\n[r]: javascript:alert(1)', '[a](data:text/html,<script>alert(1)</script>)',
      '![a](javascript:alert(1))', '![a" onerror="alert(1)](x.png)', '`<script>`', '<style>body{display:none}</style>', '<!-- <script> -->',
      '[a](https://x.example "\\" onclick=\\"alert(1)")', '<a href="https://x" onclick="alert(1)">x</a>', '\u0000<script>', '*'.repeat(10_000),
    ];
    for (const p of payloads) {
      const out = renderArticleMarkdown(p).value;
      assert.doesNotMatch(out, /<(script|svg|iframe|style|img|a href="javascript)/i, p);
      assert.deepEqual(eventHandlerAttributes(out), [], p);
      assert.doesNotMatch(out, /href="(?!https?:|mailto:|\/|#|\?|[\w.-]+(\/|$))/i, p);
    }
  });

  test('headings are demoted below the page title, external links get rel, images become their alt text', () => {
    const out = renderArticleMarkdown('# One\n## Two\n###### Six\n\n[x](https://a.example) [y](/local)\n\n![an alt](https://a.example/i.png)').value;
    assert.match(out, /<h2>One<\/h2>/);
    assert.match(out, /<h3>Two<\/h3>/);
    assert.match(out, /<h6>Six<\/h6>/);
    assert.doesNotMatch(out, /<h1/);
    assert.match(out, /<a href="https:\/\/a.example" rel="noopener noreferrer">x<\/a>/);
    assert.match(out, /<a href="\/local">y<\/a>/);
    assert.match(out, /<span class="kb-image-alt">an alt<\/span>/);
  });
});

describe('several processes on one database', () => {
  test('two knowledge bases on one database: another one\'s publish reaches this one\'s index', async () => {
    const db: Db = await openMigratedDb();
    try {
      await migrate(db);
      const starters = () => [{ slug: 'shared', lang: 'ja' as const, title: '共有の記事', category: 'trading' as const, keywords: [], body: '本文' }];
      const a = new KnowledgeBase(db, { starterArticles: starters, pollMs: 60_000 });
      const b = new KnowledgeBase(db, { starterArticles: starters, pollMs: 60_000 });
      await Promise.all([a.start(), b.start()]);
      assert.equal(await Number((await db.query<{ n: number }>('SELECT count(*) AS n FROM kb_articles'))[0]!.n), 1);
      await a.saveVersion({ type: 'system', id: null }, 'shared', { lang: 'ja', category: 'trading', title: '更新 zqsharedvault', body: '新しい本文', baseVersion: 1, publish: true });
      assert.equal(a.search.search('zqsharedvault', { lang: 'ja' })[0]?.slug, 'shared', 'at once in the process that published');
      await eventually(async () => b.search.search('zqsharedvault', { lang: 'ja' })[0]?.slug === 'shared', 5000);
      assert.equal(b.article('shared', 'ja')?.article.title, '更新 zqsharedvault');
      await a.withdraw({ type: 'system', id: null }, 'shared');
      await eventually(async () => b.article('shared', 'ja') === null && b.search.search('zqsharedvault', { lang: 'ja' }).length === 0, 5000);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await db.close();
    }
  });

  test('on a PostgreSQL server: simultaneous starts import once, and a publish reaches the other process', { skip: postgresAvailable() ? false : 'PostgreSQL server binaries not installed' }, async () => {
    const server = await startPostgres();
    const dbs: Db[] = [];
    try {
      dbs.push(await openDb({ databaseUrl: server.url }), await openDb({ databaseUrl: server.url }));
      await Promise.all(dbs.map((d) => migrate(d)));
      const starters = () => Array.from({ length: 12 }, (_, i) => ({ slug: `pg-${i}`, lang: 'ja' as const, title: `記事 ${i}`, category: 'trading' as const, keywords: [], body: `本文 ${i}` }));
      // Each "process" follows the other only through NOTIFY here: the safety-net poll is an hour away.
      const [a, b] = dbs.map((d) => new KnowledgeBase(d, { starterArticles: starters, pollMs: 3_600_000 })) as [KnowledgeBase, KnowledgeBase];
      const [ra, rb] = await Promise.all([a.start(), b.start()]);
      assert.deepEqual([ra?.added, rb?.added].sort(), [0, 12]);
      assert.equal(Number((await dbs[0]!.query<{ n: number }>('SELECT count(*) AS n FROM kb_versions'))[0]!.n), 12);
      assert.equal(b.publishedCount, 12);
      await a.saveVersion({ type: 'system', id: null }, 'pg-3', { lang: 'ja', category: 'trading', title: '更新 zqpgvault', body: '新しい本文', baseVersion: 1, publish: true });
      await eventually(async () => b.search.search('zqpgvault', { lang: 'ja' })[0]?.slug === 'pg-3', 5000);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      for (const d of dbs) await d.close().catch(() => undefined);
      server.destroy();
    }
  });
});

describe('in a browser on a phone', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('article and search pages pass axe (WCAG 2.1 AA) at 390×844 in ja and en, and feedback works without JavaScript', async () => {
    const { slug } = fresh('a11y');
    await publishArticle(slug, { title: 'アクセシビリティの記事', body: '## 手順\n\n1. 一つ目\n2. 二つ目\n\n[状況ページ](/) と [外部](https://example.com)\n\n| 項目 | 内容 |\n|---|---|\n| a | b |' });
    const starter = loadStarterArticles().find((s) => s.lang === 'ja')!;
    const context = await browser.newContext({ ...PHONE, bypassCSP: true, locale: 'ja-JP', javaScriptEnabled: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const paths = [`/help/articles/${slug}`, `/help/articles/${starter.slug}`, `/help/search?q=${encodeURIComponent('出金')}`, '/help/search?q=xyzzynothing', '/help/search', '/help/articles', '/help/articles/no-such-article'];
    for (const path of paths) {
      for (const lang of ['ja', 'en']) {
        const url = `${app.baseUrl}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
        await page.goto(url);
        for (const v of await axeViolations(page)) problems.push(`${path} ${lang}: ${v}`);
        const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth + 1');
        if (overflow) problems.push(`${path} ${lang}: wider than the phone screen`);
      }
    }
    await context.close();

    const noJs = await browser.newContext({ ...PHONE, locale: 'ja-JP', javaScriptEnabled: false });
    const p2 = await noJs.newPage();
    await p2.goto(`${app.baseUrl}/help/articles/${slug}`);
    await p2.getByLabel('ご意見 (任意・1,000文字まで)').fill('手順がわかりました');
    await p2.getByRole('button', { name: 'はい' }).click();
    await p2.getByText('ご回答ありがとうございました').waitFor();
    for (const v of await axeViolations(p2).catch(() => [])) problems.push(`thanks: ${v}`);
    await p2.goto(`${app.baseUrl}/help/articles`);
    await p2.getByLabel('キーワードで記事を探す').fill('アクセシビリティ');
    await p2.getByRole('button', { name: '検索' }).first().click();
    await p2.waitForURL(/\/help\/search\?q=/);
    await noJs.close();
    assert.deepEqual(problems, []);
    assert.equal(await count('SELECT count(*) AS n FROM kb_feedback f JOIN kb_articles a ON a.id = f.article_id WHERE a.slug = $1 AND f.comment = $2', [slug, '手順がわかりました']), 1);
  });

  test('staff knowledge-base pages pass axe, and an editor can publish through the form', async () => {
    const { slug, word } = fresh('staffa11y');
    await publishArticle(slug, { title: 'スタッフ画面の記事', body: '本文' });
    await editor.postJson(`/staff/kb/${slug}`, { lang: 'ja', category: 'trading', title: 'スタッフ画面の記事 第2版', body: '本文2', baseVersion: 1, publish: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true, locale: 'ja-JP' });
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/staff/login`);
    await signInStaff(page, app.baseUrl, editorEmail);
    const problems: string[] = [];
    for (const path of ['/staff/kb', '/staff/kb/new', `/staff/kb/${slug}`, `/staff/kb/${slug}?edit=en`, `/staff/kb/${slug}/versions`, `/staff/kb/${slug}/versions/ja/1`]) {
      await page.goto(app.baseUrl + path);
      for (const v of await axeViolations(page)) problems.push(`${path}: ${v}`);
    }
    await page.goto(`${app.baseUrl}/staff/kb/${slug}`);
    await page.getByLabel('タイトル').fill(`フォームから公開 ${word}`);
    await page.getByRole('button', { name: '公開する' }).click();
    await page.getByText('新しい版を公開しました').waitFor();
    await context.close();
    assert.deepEqual(problems, []);
    assert.ok((await searchSlugs(word)).includes(slug));
  });
});
