/**
 * Run by the build (scripts/build.mjs) from dist/: analyses the starter articles' Japanese once and writes the
 * words of every piece to dist/search-cache/analysed-pieces.json, which japanese-analyzer.ts reads at start.
 *
 *   node dist/help/search/starter-analysis.js <output file>
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadStarterArticles } from '../articles/starter-set.ts';
import { markdownToPlainText } from '../articles/plain-text.ts';
import { createArticleSearch } from './index.ts';
import { rememberedAnalyses } from './japanese-analyzer.ts';

const output = process.argv[2];
if (!output) {
  console.error('usage: starter-analysis <output file>');
  process.exit(2);
}
const search = createArticleSearch();
// As the knowledge base indexes a published article (knowledge-base.ts), so the pieces are the same.
for (const article of loadStarterArticles()) search.upsert({ ...article, body: markdownToPlainText(article.body) });
mkdirSync(dirname(output), { recursive: true });
const temporary = `${output}.${process.pid}.tmp`;
writeFileSync(temporary, JSON.stringify(rememberedAnalyses()));
renameSync(temporary, output);
