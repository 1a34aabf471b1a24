/**
 * What the help search costs in memory and start-up time: `node --expose-gc --import tsx scripts/search-memory.ts [--articles 5000]`.
 * Loads the Japanese analyser's dictionary, then builds the index over the starter articles, then over
 * --articles generated articles in each language (sentences, titles and keywords of the starter set mixed by
 * a seeded generator, as bench/search.ts does), and prints the heap each step adds after a full GC. Run it
 * alone: it is a measurement, not a test.
 */
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';
import { markdownToPlainText } from '../src/help/articles/plain-text.ts';
import { articleToSearchDoc } from '../src/help/search/from-articles.ts';
import { createArticleSearch, type SearchDoc } from '../src/help/search/index.ts';
import { loadJapaneseAnalyzer } from '../src/help/search/japanese-analyzer.ts';
import type { Lang } from '../src/web/i18n.ts';
import { seeded } from '../bench/support/seeded.ts';

const gc = globalThis.gc;
if (!gc) {
  console.error('search-memory: run with node --expose-gc');
  process.exit(2);
}
const at = process.argv.indexOf('--articles');
const generated = at > 0 ? Number(process.argv[at + 1]) : 5000;

const heap = () => {
  gc();
  gc();
  return process.memoryUsage();
};
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function measure<T>(label: string, build: () => T): T {
  const before = heap();
  const started = performance.now();
  const result = build();
  const ms = performance.now() - started;
  const after = heap();
  console.log(
    `${label.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(6)} s   heap +${mb(after.heapUsed - before.heapUsed).padStart(9)}   ` +
      `array buffers +${mb(after.arrayBuffers - before.arrayBuffers).padStart(9)}`,
  );
  return result;
}


function generate(lang: Lang, count: number, random: () => number): SearchDoc[] {
  const articles = loadStarterArticles().filter((a) => a.lang === lang);
  const sentences = articles.flatMap((a) => markdownToPlainText(a.body).split(/(?<=[。！？!?.])\s*|\n/).filter((s) => s.trim().length > 8));
  const keywords = articles.flatMap((a) => a.keywords);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return Array.from({ length: count }, (_, i) => ({
    slug: `generated-${i}`,
    lang,
    title: `${pick(articles).title} ${pick(keywords)}`,
    keywords: Array.from({ length: between(3, 8) }, () => pick(keywords)),
    category: 'emergency',
    body: Array.from({ length: between(8, 30) }, () => pick(sentences)).join(lang === 'ja' ? '' : ' '),
  }));
}

const loadMs = measure('Japanese analyser (kuromoji dictionary)', () => loadJapaneseAnalyzer());
console.log(`  dictionary load: ${loadMs.toFixed(0)} ms`);
const starters = loadStarterArticles().map(articleToSearchDoc);
const small = measure(`index of the ${starters.length} starter articles (ja+en)`, () => createArticleSearch(starters));
const random = seeded(42);
const docs = [...generate('ja', generated, random), ...generate('en', generated, random)];
const large = measure(`index of ${generated} generated articles × ja+en`, () => createArticleSearch(docs));
console.log(`  (${small.size} and ${large.size} documents indexed; rss ${mb(process.memoryUsage().rss)})`);
