import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';
import { renderArticleMarkdown } from '../src/help/kb/markdown.ts';

const articles = loadStarterArticles();
const slugs = (lang: 'ja' | 'en') => new Set(articles.filter((a) => a.lang === lang).map((a) => a.slug));

test('the starter set has at least 40 Japanese articles, English versions of at least 20, and no English article without a Japanese one', () => {
  const ja = slugs('ja');
  const en = slugs('en');
  assert.ok(ja.size >= 40, `${ja.size} Japanese articles`);
  assert.ok(en.size >= 20, `${en.size} English articles`);
  for (const slug of en) assert.ok(ja.has(slug), `${slug} has an English version but no Japanese one`);
});

test('no starter article shows raw Markdown to the reader (a ** that did not become bold, a stray link bracket)', () => {
  for (const a of articles) {
    const text = renderArticleMarkdown(a.body).value.replace(/<[^>]+>/g, '');
    assert.doesNotMatch(text, /\*\*|__|\]\(/, `${a.lang}/${a.slug} renders markup as text`);
  }
});

test('every link between articles points at an article that exists in the same language', () => {
  for (const a of articles) {
    for (const [, target] of a.body.matchAll(/\]\(\/help\/articles\/([a-z0-9-]+)/g)) {
      assert.ok(slugs(a.lang).has(target ?? ''), `${a.lang}/${a.slug} links to missing article ${target}`);
    }
  }
});
