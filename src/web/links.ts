import type { Lang } from './i18n.ts';

function splitHref(href: string): { path: string; params: URLSearchParams; fragment: string } {
  const hashAt = href.indexOf('#');
  const fragment = hashAt < 0 ? '' : href.slice(hashAt);
  const beforeHash = hashAt < 0 ? href : href.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  return {
    path: queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt),
    params: new URLSearchParams(queryAt < 0 ? '' : beforeHash.slice(queryAt + 1)),
    fragment,
  };
}

function joinHref(path: string, params: URLSearchParams, fragment: string): string {
  const qs = params.toString();
  return `${path}${qs ? `?${qs}` : ''}${fragment}`;
}

/**
 * An internal link in the reader's language: English pages carry `lang=en` (before any #fragment) so that a
 * shared link opens in English too; Japanese, the default, carries nothing. `query` adds or replaces parameters.
 */
export function langHref(lang: Lang, href: string, query: Record<string, string> = {}): string {
  const { path, params, fragment } = splitHref(href);
  for (const [name, value] of Object.entries(query)) params.set(name, value);
  params.delete('lang');
  if (lang === 'en') params.set('lang', 'en');
  return joinHref(path, params, fragment);
}

/** The query that keeps a link in the reader's language: `?lang=en` for English, nothing for Japanese. */
export const langQuery = (lang: Lang): string => (lang === 'en' ? '?lang=en' : '');

/** The language switch: the same page and query (a search, the answers so far) in the other language. */
export function switchLangHref(href: string, target: Lang): string {
  const { path, params } = splitHref(href);
  params.set('lang', target);
  return joinHref(path, params, '');
}
