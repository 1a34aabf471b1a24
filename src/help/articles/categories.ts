/** The knowledge base's categories, in display order. Articles name one of these. */
export const ARTICLE_CATEGORIES = [
  'emergency',
  'account-security',
  'two-factor',
  'phishing',
  'deposits-withdrawals',
  'trading',
  'preparation',
  'terms',
] as const;

export type ArticleCategory = (typeof ARTICLE_CATEGORIES)[number];

export const isArticleCategory = (v: unknown): v is ArticleCategory =>
  typeof v === 'string' && (ARTICLE_CATEGORIES as readonly string[]).includes(v);
