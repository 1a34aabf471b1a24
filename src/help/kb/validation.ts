import { KinkyuError } from '../../domain/errors.ts';
import { cleanText } from '../../domain/text.ts';
import type { Lang } from '../../web/i18n.ts';
import { isArticleCategory, type ArticleCategory } from '../articles/categories.ts';

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const LIMITS = { slug: 100, title: 200, body: 50_000, keywords: 30, keyword: 50, comment: 1000 } as const;

/** The fields of one language version, as staff send them. */
export interface ArticleDraft {
  lang: Lang;
  title: string;
  keywords: string[];
  body: string;
  category: ArticleCategory;
}

/**
 * A refusal of knowledge-base input. `field` and `rule` name messages `kb.field.<field>` and
 * `kb.error.<rule>`, so the refusal reads in the staff member's language.
 */
const refuse = (field: string, rule: string, params: Record<string, string> = {}) =>
  new KinkyuError('VALIDATION', { field, rule, ...params });

// Tab and newline belong in a Markdown body; no other control character belongs anywhere.
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// A title or keyword is plain text: something that looks like a tag is a mistake or an attack, either way refused.
const MARKUP = /<\s*\/?\s*[a-z!?]/i;

function text(value: unknown, field: string, max: number, opts: { multiline?: boolean; required?: boolean; markup?: boolean } = {}): string | null {
  if (typeof value === 'string') {
    if (!value.isWellFormed() || value.includes('\uFFFD')) throw refuse(field, 'encoding');
    if ((opts.multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE).test(value)) throw refuse(field, 'control');
    if (value.length > max * 4) throw refuse(field, 'max', { max: String(max) });
  } else if (value !== undefined && value !== null) {
    throw refuse(field, 'text');
  }
  let cleaned: string | null;
  try {
    cleaned = cleanText(value, field, { max, required: opts.required ?? true, multiline: opts.multiline ?? false });
  } catch (err) {
    if (err instanceof KinkyuError) throw refuse(field, err.params.rule ?? 'text', err.params.max ? { max: err.params.max } : {});
    throw err;
  }
  if (cleaned !== null && opts.markup === false && MARKUP.test(cleaned)) throw refuse(field, 'markup');
  return cleaned;
}

export function parseSlug(value: unknown): string {
  const slug = text(value, 'slug', LIMITS.slug) as string;
  if (!SLUG_PATTERN.test(slug)) throw refuse('slug', 'slug');
  // "/staff/kb/new" is the editor for a new article.
  if (slug === 'new') throw refuse('slug', 'slug_taken');
  return slug;
}

export function parseLang(value: unknown): Lang {
  if (value === 'ja' || value === 'en') return value;
  throw refuse('lang', 'enum');
}

export function parseCategory(value: unknown): ArticleCategory {
  if (isArticleCategory(value)) return value;
  throw refuse('category', 'enum');
}

/** The whole comma-separated keywords field: room for every keyword at full length, separators and spaces. */
export const KEYWORDS_FIELD_MAX = LIMITS.keywords * (LIMITS.keyword + 2) * 2;

/** Keywords come as a JSON array or as one comma-separated form field ("出金, 送金、withdrawal"). */
export function parseKeywords(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  let parts: unknown[];
  if (typeof value === 'string') {
    if (value.length > KEYWORDS_FIELD_MAX) {
      throw refuse('keywords', 'keywords_total', { max: String(KEYWORDS_FIELD_MAX), count: String(LIMITS.keywords), each: String(LIMITS.keyword) });
    }
    parts = value.split(/[,、，\n]/);
  } else if (Array.isArray(value)) {
    parts = value;
  } else {
    throw refuse('keywords', 'text');
  }
  const out: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string' && part.trim() === '') continue;
    const keyword = text(part, 'keywords', LIMITS.keyword, { required: false, markup: false });
    if (keyword && !out.includes(keyword)) out.push(keyword);
  }
  if (out.length > LIMITS.keywords) throw refuse('keywords', 'count', { max: String(LIMITS.keywords) });
  return out;
}

export function parseDraft(input: Record<string, unknown>, fallbackCategory?: ArticleCategory): ArticleDraft {
  return {
    lang: parseLang(input.lang),
    title: text(input.title, 'title', LIMITS.title, { markup: false }) as string,
    keywords: parseKeywords(input.keywords),
    body: text(input.body, 'body', LIMITS.body, { multiline: true }) as string,
    category: input.category === undefined && fallbackCategory ? fallbackCategory : parseCategory(input.category),
  };
}

/** An optional feedback comment: plain text, at most 1,000 characters; empty means none. */
export function parseComment(value: unknown): string | null {
  return text(value, 'comment', LIMITS.comment, { multiline: true, required: false });
}

export function parseVersionNumber(value: unknown, field = 'version'): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1) throw refuse(field, 'enum');
  return n;
}
