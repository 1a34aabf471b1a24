import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LANGS, type Lang } from '../../web/i18n.ts';
import type { ArticleSearch } from './types.ts';

/*
 * Relevance figures for the help search over a hand-written query set (eval/search-queries.json), shared by
 * `npm run eval:search` and test/search.test.ts.
 *   MRR@5:    mean over queries of 1 / rank of the first expected article in the top 5 (0 when none is there).
 *   hit@1:    share of queries whose first hit is an expected article.
 *   recall@5: share of queries with an expected article in the top 5 (hit@5).
 * Each query lists the article(s) that should come first; any one of them at rank 1 is a full score.
 */

export const EVAL_K = 5;
export const MIN_MRR = 0.8;
export const SEARCH_QUERIES_FILE = fileURLToPath(new URL('../../../eval/search-queries.json', import.meta.url));

export interface SearchQueryCase {
  q: string;
  lang: Lang;
  expect: string[];
}

export interface SearchFigures {
  queries: number;
  mrr: number;
  /** Share of queries whose first hit is expected. */
  hit1: number;
  recall: number;
}

export interface SearchMiss {
  q: string;
  lang: Lang;
  expect: string[];
  /** Rank of the first expected article (1-based) within the top k, or null when it is not there. */
  rank: number | null;
  got: string[];
}

export interface SearchEvaluation {
  overall: SearchFigures;
  byLang: Record<Lang, SearchFigures>;
  /** Queries whose first hit is not an expected article. */
  misses: SearchMiss[];
}

/** Parses and checks the query set; throws naming the first bad entry. */
export function parseSearchQueries(json: string): SearchQueryCase[] {
  const data: unknown = JSON.parse(json);
  if (!Array.isArray(data)) throw new Error('the query set must be a JSON array');
  return data.map((entry: unknown, i) => {
    const e = entry as Partial<SearchQueryCase> | null;
    const ok =
      e !== null &&
      typeof e === 'object' &&
      typeof e.q === 'string' &&
      e.q.trim() !== '' &&
      (LANGS as readonly unknown[]).includes(e.lang) &&
      Array.isArray(e.expect) &&
      e.expect.length > 0 &&
      e.expect.every((s) => typeof s === 'string' && s !== '');
    if (!ok) throw new Error(`query #${i + 1} must be {"q": text, "lang": "ja"|"en", "expect": [slug, ...]}: ${JSON.stringify(entry)}`);
    return { q: e.q!, lang: e.lang!, expect: [...e.expect!] };
  });
}

export function loadSearchQueries(file: string = SEARCH_QUERIES_FILE): SearchQueryCase[] {
  return parseSearchQueries(readFileSync(file, 'utf8'));
}

/** Expected slugs that name no article of that language (a typo in the set, or an article not written yet). */
export function unknownExpectations(cases: readonly SearchQueryCase[], slugs: Record<Lang, ReadonlySet<string>>): string[] {
  const unknown = new Set<string>();
  for (const c of cases) for (const s of c.expect) if (!slugs[c.lang].has(s)) unknown.add(`${c.lang}:${s}`);
  return [...unknown].sort();
}

function figures(ranks: readonly (number | null)[]): SearchFigures {
  const n = ranks.length;
  if (n === 0) return { queries: 0, mrr: 0, hit1: 0, recall: 0 };
  const rr = ranks.reduce<number>((sum, r) => sum + (r === null ? 0 : 1 / r), 0);
  const found = ranks.filter((r) => r !== null).length;
  const first = ranks.filter((r) => r === 1).length;
  return { queries: n, mrr: rr / n, hit1: first / n, recall: found / n };
}

export function evaluateSearch(search: ArticleSearch, cases: readonly SearchQueryCase[], k: number = EVAL_K): SearchEvaluation {
  const ranks: (number | null)[] = [];
  const ranksByLang: Record<Lang, (number | null)[]> = { ja: [], en: [] };
  const misses: SearchMiss[] = [];
  for (const c of cases) {
    const got = search.search(c.q, { lang: c.lang, limit: k }).map((h) => h.slug);
    const index = got.findIndex((slug) => c.expect.includes(slug));
    const rank = index === -1 ? null : index + 1;
    ranks.push(rank);
    ranksByLang[c.lang].push(rank);
    if (rank !== 1) misses.push({ q: c.q, lang: c.lang, expect: c.expect, rank, got });
  }
  return { overall: figures(ranks), byLang: { ja: figures(ranksByLang.ja), en: figures(ranksByLang.en) }, misses };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatSearchReport(result: SearchEvaluation, k: number = EVAL_K): string {
  const rows = [
    `                 queries   MRR@${k}    hit@1   recall@${k}`,
    ...(['overall', ...LANGS] as const).map((name) => {
      const f = name === 'overall' ? result.overall : result.byLang[name];
      return `  ${name.padEnd(13)} ${String(f.queries).padStart(7)}   ${f.mrr.toFixed(3)}   ${pct(f.hit1).padStart(6)}   ${pct(f.recall).padStart(7)}`;
    }),
  ];
  if (result.misses.length === 0) rows.push('', 'misses: none');
  else {
    rows.push('', `misses (first hit not an expected article): ${result.misses.length}`);
    for (const m of result.misses) {
      rows.push(`  [${m.lang}] ${JSON.stringify(m.q)}  expected ${m.expect.join(' | ')}  rank ${m.rank ?? `>${k}`}  got ${m.got.join(', ') || '(nothing)'}`);
    }
  }
  return rows.join('\n');
}
