/**
 * The headers the public site is served with, in one place: the live server sends them itself (site.ts), and
 * the static export writes them as a `_headers` file for the static host (Netlify, Cloudflare Pages; the
 * nginx and S3 equivalents are in docs/operations.md).
 */
import { CONTENT_SECURITY_POLICY } from '../../web/security.ts';

export type Kind = 'html' | 'api' | 'atom' | 'rss' | 'asset';

export const CONTENT_TYPES: Record<Kind, string> = {
  html: 'text/html; charset=utf-8',
  api: 'application/json; charset=utf-8',
  // The feed types, so that browsers and readers recognise a feed (RFC 4287 §7; the RSS advisory board's type).
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  asset: 'text/css; charset=utf-8',
};

/** Short freshness keeps a change visible within a second; stale-if-error lets caches ride out an outage. */
export const PAGE_CACHE_CONTROL = 'public, max-age=1, stale-while-revalidate=5, stale-if-error=86400';
export const ASSET_CACHE_CONTROL = 'public, max-age=3600';

/** Every HTML page: no script, never framed, no sniffing. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'strict-origin-when-cross-origin',
  'X-Frame-Options': 'DENY',
};

/** The machine-readable files other sites read from a browser (status widgets): any origin may. */
export const CROSS_ORIGIN = 'Access-Control-Allow-Origin';

const API_GLOBS = ['/api/v2/*', '/en/api/v2/*'];
const FEEDS: [string, Kind][] = [['/history.atom', 'atom'], ['/history.rss', 'rss'], ['/en/history.atom', 'atom'], ['/en/history.rss', 'rss']];

/**
 * `_headers` in the format Netlify and Cloudflare Pages share: a path pattern (`*` matches anything), then its
 * headers indented. Both hosts join the values of a header that several matching rules set, so no header is
 * set by two rules that can match one path: the catch-all sets caching and the page headers, the API and feed
 * rules only their content type and CORS. (Cloudflare Pages and Netlify both strip `_headers` from the site.)
 */
export function staticHostHeadersFile(): string {
  const rule = (pattern: string, headers: Record<string, string>) =>
    `${pattern}\n${Object.entries(headers).map(([name, value]) => `  ${name}: ${value}\n`).join('')}`;
  return [
    '# Headers for the static copy of the status site (Netlify, Cloudflare Pages). nginx and S3: docs/operations.md.\n',
    rule('/*', { 'Cache-Control': PAGE_CACHE_CONTROL, 'X-Content-Type-Options': 'nosniff', ...HTML_SECURITY_HEADERS }),
    ...API_GLOBS.map((glob) => rule(glob, { 'Content-Type': CONTENT_TYPES.api, [CROSS_ORIGIN]: '*' })),
    ...FEEDS.map(([path, kind]) => rule(path, { 'Content-Type': CONTENT_TYPES[kind], [CROSS_ORIGIN]: '*' })),
  ].join('');
}
