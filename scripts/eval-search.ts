/**
 * Help-search relevance on the hand-written query set: `npm run eval:search [queries.json]`.
 * Searches the starter articles (content/help/articles), prints MRR@5, hit@1 and recall@5 overall and per language
 * and lists every query whose first hit is not an expected article. Exit code 1 when MRR@5 < 0.8 or when the
 * set names an article that does not exist.
 */
import { resolve } from 'node:path';
import { loadStarterArticles } from '../src/help/articles/starter-set.ts';
import {
  evaluateSearch,
  formatSearchReport,
  loadSearchQueries,
  MIN_MRR,
  SEARCH_QUERIES_FILE,
  unknownExpectations,
} from '../src/help/search/evaluate.ts';
import { articleToSearchDoc } from '../src/help/search/from-articles.ts';
import { createArticleSearch } from '../src/help/search/index.ts';

const file = process.argv[2] ? resolve(process.argv[2]) : SEARCH_QUERIES_FILE;

let cases;
try {
  cases = loadSearchQueries(file);
} catch (err) {
  console.error(`eval:search: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}

const articles = loadStarterArticles();
const search = createArticleSearch(articles.map(articleToSearchDoc));
const slugs = { ja: new Set<string>(), en: new Set<string>() };
for (const a of articles) slugs[a.lang].add(a.slug);

console.log(`queries: ${file}`);
console.log(`articles: ${slugs.ja.size} ja, ${slugs.en.size} en\n`);
const result = evaluateSearch(search, cases);
console.log(formatSearchReport(result));

const failures: string[] = [];
const unknown = unknownExpectations(cases, slugs);
if (unknown.length > 0) failures.push(`the set expects articles that do not exist: ${unknown.join(', ')}`);
if (result.overall.mrr < MIN_MRR) failures.push(`MRR@5 ${result.overall.mrr.toFixed(3)} < ${MIN_MRR}`);
if (failures.length > 0) {
  console.error(`\nFAIL: ${failures.join('; ')}`);
  process.exitCode = 1;
} else console.log('\nOK');
