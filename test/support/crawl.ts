/**
 * Follows every link of a site from its start pages, as a visitor or a feed reader would: href, src and form
 * actions in HTML, url() in CSS, links in feeds, paths and URLs in JSON. Links on the site's own origin are
 * fetched (and followed in turn); links to other origins are only collected.
 */

export interface CrawlResult {
  /** Every same-origin URL found, with the status it answered. */
  internal: Map<string, number>;
  /** Same-origin URLs that did not answer 200, with the pages that link to them. */
  broken: { url: string; status: number; from: string[] }[];
  /** Links to other origins, with the pages that link to them. */
  external: Map<string, string[]>;
}

function linksIn(body: string, contentType: string): string[] {
  const found: string[] = [];
  const push = (value: string | undefined) => {
    if (value) found.push(value.replace(/&amp;/g, '&').trim());
  };
  if (contentType.includes('html')) {
    for (const m of body.matchAll(/\s(?:href|src|action)="([^"]*)"/g)) push(m[1]);
  } else if (contentType.includes('css')) {
    for (const m of body.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) push(m[1]);
  } else if (contentType.includes('xml')) {
    for (const m of body.matchAll(/\shref="([^"]*)"/g)) push(m[1]);
    for (const m of body.matchAll(/<link>([^<]+)<\/link>/g)) push(m[1]);
  } else if (contentType.includes('json')) {
    const walk = (v: unknown): void => {
      if (typeof v === 'string' && (/^https?:\/\//.test(v) || /^\/[\w-]/.test(v))) push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(JSON.parse(body));
  }
  return found;
}

export async function crawl(origin: string, starts: string[]): Promise<CrawlResult> {
  const internal = new Map<string, number>();
  const linkedFrom = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  const queue = starts.map((s) => new URL(s, origin).href);
  for (const s of queue) linkedFrom.set(s, ['(start)']);
  while (queue.length) {
    const url = queue.shift()!;
    if (internal.has(url)) continue;
    const res = await fetch(url, { redirect: 'manual' });
    internal.set(url, res.status);
    if (res.status !== 200) {
      await res.arrayBuffer();
      continue;
    }
    const body = await res.text();
    for (const link of linksIn(body, res.headers.get('content-type') ?? '')) {
      if (/^(data|mailto|tel|javascript):/i.test(link) || link.startsWith('#')) continue;
      const target = new URL(link, url);
      target.hash = '';
      if (target.origin !== origin) {
        external.set(target.href, [...(external.get(target.href) ?? []), url]);
        continue;
      }
      linkedFrom.set(target.href, [...(linkedFrom.get(target.href) ?? []), url]);
      if (!internal.has(target.href)) queue.push(target.href);
    }
  }
  const broken = [...internal].filter(([, status]) => status !== 200).map(([url, status]) => ({ url, status, from: [...new Set(linkedFrom.get(url))].slice(0, 3) }));
  return { internal, broken, external };
}
