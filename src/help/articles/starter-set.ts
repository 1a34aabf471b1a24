import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lang } from '../../web/i18n.ts';
import { isArticleCategory, type ArticleCategory } from './categories.ts';

/** One language version of a starter article, as written in `content/help/articles/<lang>/<slug>.md`. */
export interface StarterArticle {
  slug: string;
  lang: Lang;
  title: string;
  category: ArticleCategory;
  /** Words users type that the text may not contain; comma-separated in the file. */
  keywords: string[];
  /** Markdown. */
  body: string;
}

export const STARTER_ARTICLES_DIR = fileURLToPath(new URL('../../../content/help/articles/', import.meta.url));

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Reads one article file: a front matter block (`slug`, `title`, `category`, `keywords`) between `---` lines,
 * then Markdown. Throws with the file name on anything malformed: the starter set is ours and must be right.
 */
export function parseArticleFile(text: string, lang: Lang, fileName: string): StarterArticle {
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text.replace(/\r\n/g, '\n'));
  if (!match) throw new Error(`${fileName}: no front matter`);
  const fields = new Map<string, string>();
  for (const line of (match[1] ?? '').split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon < 1) throw new Error(`${fileName}: bad front matter line "${line}"`);
    fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const slug = fields.get('slug') ?? '';
  const title = fields.get('title') ?? '';
  const category = fields.get('category');
  if (!SLUG.test(slug) || `${slug}.md` !== fileName) throw new Error(`${fileName}: slug "${slug}" must match the file name`);
  if (!title) throw new Error(`${fileName}: no title`);
  if (!isArticleCategory(category)) throw new Error(`${fileName}: unknown category "${category}"`);
  const keywords = (fields.get('keywords') ?? '').split(/[,、]/).map((k) => k.trim()).filter(Boolean);
  const body = (match[2] ?? '').trim();
  if (!body) throw new Error(`${fileName}: empty body`);
  return { slug, lang, title, category, keywords, body };
}

/** Every starter article, Japanese and English versions, sorted by slug then language. */
export function loadStarterArticles(dir: string = STARTER_ARTICLES_DIR): StarterArticle[] {
  const articles: StarterArticle[] = [];
  for (const lang of ['ja', 'en'] as const) {
    let files: string[];
    try {
      files = readdirSync(join(dir, lang));
    } catch {
      continue;
    }
    for (const file of files.filter((f) => f.endsWith('.md')).sort()) {
      articles.push(parseArticleFile(readFileSync(join(dir, lang, file), 'utf8'), lang, file));
    }
  }
  return articles.sort((a, b) => a.slug.localeCompare(b.slug) || a.lang.localeCompare(b.lang));
}
