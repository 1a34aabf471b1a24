/**
 * Help-search latency over a generated knowledge base, against a naive scan of the same articles in the
 * same run.
 *
 *   npm run bench:search
 *   npm run bench:search -- --articles 5000 --queries 5000 --seed 42 --check
 *
 * The base is made of --articles articles, each in Japanese and English (so each language's index holds
 * --articles documents), written by mixing the sentences, titles and keywords of the starter set with a seeded
 * generator: the same seed gives the same base and queries. Queries are 1–3 words drawn from the same
 * vocabulary, half Japanese, half English, a few with a typo. Every query is timed alone (search() including
 * excerpts), after a warm-up. The baseline lower-cases each article once and answers a query by
 * `String.includes` of each word over every article of the language, keeping the five with most words.
 * Staff edits are timed too (upsert of a changed article, remove). `--check` exits 1 when p95 >= 2 ms.
 * Results also go to bench/results/search-<time>.json (gitignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';
import { markdownToPlainText } from '../src/help/articles/plain-text.ts';
import { createArticleSearch, type SearchDoc } from '../src/help/search/index.ts';
import type { Lang } from '../src/web/i18n.ts';
import { numberArg } from './support/args.ts';
import { seeded } from './support/seeded.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const GOAL_P95_MS = 2;

const settings = {
  articles: Math.floor(numberArg('--articles', 5000)),
  queries: Math.floor(numberArg('--queries', 5000)),
  seed: Math.floor(numberArg('--seed', 42)),
  warmup: 500,
  edits: 500,
};

// ---------------------------------------------------------------------------------------------- generator


const random = seeded(settings.seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

interface Vocabulary {
  sentences: string[];
  titles: string[];
  keywords: string[];
  /** Words a user might type: keyword parts and content words of the texts. */
  words: string[];
}

const wordSegmenter = new Intl.Segmenter('ja', { granularity: 'word' });

function vocabulary(lang: Lang): Vocabulary {
  const articles = loadStarterArticles().filter((a) => a.lang === lang);
  if (articles.length === 0) throw new Error(`no ${lang} starter articles to build the vocabulary from`);
  const sentences = new Set<string>();
  const words = new Set<string>();
  for (const a of articles) {
    for (const s of markdownToPlainText(a.body).split(/(?<=[。！？!?.])\s*|\n/)) if (s.trim().length > 8) sentences.add(s.trim());
    for (const k of a.keywords) for (const w of k.split(/\s+/)) if (w.length >= 2) words.add(w);
  }
  for (const s of sentences) {
    for (const { segment, isWordLike } of wordSegmenter.segment(s)) {
      if (!isWordLike) continue;
      if (lang === 'ja' ? /[\p{sc=Han}\p{sc=Katakana}]/u.test(segment) && segment.length >= 2 : /^[a-z]{4,}$/i.test(segment)) words.add(segment);
    }
  }
  return {
    sentences: [...sentences],
    titles: articles.map((a) => a.title),
    keywords: articles.flatMap((a) => a.keywords),
    words: [...words],
  };
}

function generateDocs(lang: Lang, vocab: Vocabulary): SearchDoc[] {
  const docs: SearchDoc[] = [];
  const joiner = lang === 'ja' ? '' : ' ';
  for (let i = 0; i < settings.articles; i++) {
    const paragraphs: string[] = [];
    const sentenceCount = between(8, 30);
    let paragraph: string[] = [];
    for (let s = 0; s < sentenceCount; s++) {
      paragraph.push(pick(vocab.sentences));
      if (paragraph.length >= between(2, 5)) {
        paragraphs.push(paragraph.join(joiner));
        paragraph = [];
      }
    }
    if (paragraph.length) paragraphs.push(paragraph.join(joiner));
    docs.push({
      slug: `generated-${i}`,
      lang,
      title: `${pick(vocab.titles)}${lang === 'ja' ? '（' : ' ('}${pick(vocab.words)}${lang === 'ja' ? '）' : ')'}`,
      keywords: Array.from({ length: between(3, 8) }, () => pick(vocab.keywords)),
      category: 'emergency',
      body: paragraphs.join('\n'),
    });
  }
  return docs;
}

function typo(word: string): string {
  if (word.length < 5) return word;
  const i = between(1, word.length - 2);
  return word.slice(0, i) + word.slice(i + 1); // one letter dropped
}

function generateQueries(vocab: Record<Lang, Vocabulary>): { q: string; lang: Lang }[] {
  return Array.from({ length: settings.queries + settings.warmup }, () => {
    const lang: Lang = random() < 0.5 ? 'ja' : 'en';
    const words = Array.from({ length: between(1, 3) }, () => pick(vocab[lang].words));
    if (lang === 'en' && random() < 0.1) words[0] = typo(words[0]!);
    // Japanese users often type words without spaces.
    return { q: words.join(lang === 'ja' && random() < 0.5 ? '' : ' '), lang };
  });
}

// ---------------------------------------------------------------------------------------------- baseline

interface ScanDoc {
  slug: string;
  text: string;
}

/** The naive way: lower-cased text, `includes` for every word, the five articles with most words. */
function naiveScan(docs: readonly ScanDoc[], query: string): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const best: { slug: string; n: number }[] = [];
  for (const d of docs) {
    let n = 0;
    for (const w of words) if (d.text.includes(w)) n++;
    if (n === 0) continue;
    if (best.length === 5 && n <= best[4]!.n) continue;
    best.push({ slug: d.slug, n });
    best.sort((a, b) => b.n - a.n);
    if (best.length > 5) best.pop();
  }
  return best.map((b) => b.slug);
}

// ---------------------------------------------------------------------------------------------- measure

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1]!, mean };
}

type Stats = ReturnType<typeof percentiles>;
const ms = (x: number) => (x < 0.1 ? x.toFixed(3) : x.toFixed(2)).padStart(7);

function main(): void {
  const started = new Date();
  console.log(`search bench: ${settings.articles} articles × ja+en, ${settings.queries} queries (+${settings.warmup} warm-up), seed ${settings.seed}`);

  const vocab = { ja: vocabulary('ja'), en: vocabulary('en') };
  const docs = [...generateDocs('ja', vocab.ja), ...generateDocs('en', vocab.en)];
  const chars = docs.reduce((n, d) => n + d.title.length + d.body.length + d.keywords.join('').length, 0);
  console.log(`generated ${docs.length} documents (${(chars / 1e6).toFixed(1)} M characters) from ${vocab.ja.sentences.length} ja / ${vocab.en.sentences.length} en sentences`);

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let t0 = performance.now();
  const search = createArticleSearch(docs);
  const buildMs = performance.now() - t0;
  global.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  console.log(`index build: ${(buildMs / 1000).toFixed(2)} s (${((buildMs * 1000) / docs.length).toFixed(0)} µs per document), heap +${heapMb.toFixed(0)} MB${global.gc ? '' : ' (approximate: run with --expose-gc for an exact figure)'}`);

  const scanDocs: Record<Lang, ScanDoc[]> = { ja: [], en: [] };
  for (const d of docs) scanDocs[d.lang].push({ slug: d.slug, text: `${d.title}\n${d.keywords.join(' ')}\n${d.body}`.toLowerCase() });

  const queries = generateQueries(vocab);
  const warm = queries.slice(0, settings.warmup);
  const measured = queries.slice(settings.warmup);
  for (const { q, lang } of warm) {
    search.search(q, { lang });
    naiveScan(scanDocs[lang], q);
  }

  const indexTimes: Record<Lang | 'all', number[]> = { all: [], ja: [], en: [] };
  const scanTimes: Record<Lang | 'all', number[]> = { all: [], ja: [], en: [] };
  let withHits = 0;
  for (const { q, lang } of measured) {
    t0 = performance.now();
    const hits = search.search(q, { lang });
    const t1 = performance.now();
    naiveScan(scanDocs[lang], q);
    const t2 = performance.now();
    if (hits.length > 0) withHits++;
    indexTimes.all.push(t1 - t0);
    indexTimes[lang].push(t1 - t0);
    scanTimes.all.push(t2 - t1);
    scanTimes[lang].push(t2 - t1);
  }

  // Staff edits: change an article's title and body, and take articles out and put them back.
  const upsertTimes: number[] = [];
  const removeTimes: number[] = [];
  for (let i = 0; i < settings.edits; i++) {
    const d = pick(docs);
    const edited = { ...d, title: `${d.title} ${pick(vocab[d.lang].words)}`, body: `${d.body}\n${pick(vocab[d.lang].sentences)}` };
    t0 = performance.now();
    search.upsert(edited);
    upsertTimes.push(performance.now() - t0);
    t0 = performance.now();
    search.remove(d.slug, d.lang);
    removeTimes.push(performance.now() - t0);
    search.upsert(d);
  }

  const rows: [string, Stats][] = [
    ['index, all queries', percentiles(indexTimes.all)],
    ['index, ja', percentiles(indexTimes.ja)],
    ['index, en', percentiles(indexTimes.en)],
    ['naive scan, all queries', percentiles(scanTimes.all)],
    ['naive scan, ja', percentiles(scanTimes.ja)],
    ['naive scan, en', percentiles(scanTimes.en)],
    ['upsert (staff edit)', percentiles(upsertTimes)],
    ['remove', percentiles(removeTimes)],
  ];
  console.log(`\n${'ms per operation'.padEnd(26)}    p50     p95     p99     max    mean`);
  for (const [name, s] of rows) console.log(`${name.padEnd(26)}${ms(s.p50)} ${ms(s.p95)} ${ms(s.p99)} ${ms(s.max)} ${ms(s.mean)}`);

  const index = rows[0]![1];
  const scan = rows[3]![1];
  const met = index.p95 < GOAL_P95_MS;
  console.log(`\nqueries with at least one hit: ${((withHits / measured.length) * 100).toFixed(1)}%`);
  console.log(`naive scan / index: ${(scan.p50 / index.p50).toFixed(1)}× at p50, ${(scan.p95 / index.p95).toFixed(1)}× at p95`);
  console.log(`goal p95 < ${GOAL_P95_MS} ms: ${met ? 'met' : 'NOT met'} (p95 ${index.p95.toFixed(3)} ms)`);

  const out = join(BENCH_DIR, 'results', `search-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ settings, documents: docs.length, buildMs, heapMb, withHits, results: Object.fromEntries(rows), goalP95Ms: GOAL_P95_MS, met }, null, 2)}\n`,
  );
  console.log(`results: ${out}`);
  if (process.argv.includes('--check') && !met) process.exitCode = 1;
}

main();
