/**
 * A small static file host, for the exported status site: what Netlify or Cloudflare Pages do with a folder,
 * and nothing more. `/a` and `/a/` serve `a/index.html`, a missing file is `404.html` with status 404, the
 * content type comes from the file's extension (nginx's mime.types), and the folder's `_headers` file
 * (Netlify / Cloudflare Pages format) adds or replaces headers per path pattern when `honourHeaders` is on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface StaticHost {
  url: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.atom': 'application/atom+xml',
  '.rss': 'application/rss+xml',
  '.xml': 'text/xml',
};

interface HeaderRule {
  pattern: RegExp;
  headers: [string, string][];
}

/** `_headers`: a path pattern at the start of a line (`*` matches anything), its `Name: value` lines indented below. */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const source = line.trim().split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
      rules.push({ pattern: new RegExp(`^${source}$`), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    const rule = rules.at(-1);
    if (colon < 0 || !rule) throw new Error(`_headers: cannot read ${JSON.stringify(line)}`);
    rule.headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return rules;
}

function resolveFile(root: string, path: string): string | null {
  const relative = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
  if (relative.split(sep).includes('..')) return null;
  const direct = join(root, relative);
  const candidates = path.endsWith('/') ? [join(direct, 'index.html')] : [direct, join(direct, 'index.html')];
  return candidates.find((f) => existsSync(f) && statSync(f).isFile()) ?? null;
}

export async function serveStatic(root: string, opts: { honourHeaders: boolean }): Promise<StaticHost> {
  const rules = opts.honourHeaders && existsSync(join(root, '_headers')) ? parseHeadersFile(readFileSync(join(root, '_headers'), 'utf8')) : [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    // Hosts keep their configuration files to themselves.
    const hidden = path === '/_headers';
    let file = hidden ? null : resolveFile(root, path);
    let status = 200;
    if (!file) {
      status = 404;
      file = existsSync(join(root, '404.html')) ? join(root, '404.html') : null;
    }
    const headers = new Map<string, string>();
    headers.set('content-type', (file && MIME[extname(file)]) ?? 'application/octet-stream');
    for (const rule of status === 200 ? rules : []) {
      if (rule.pattern.test(path)) for (const [name, value] of rule.headers) headers.set(name, value);
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, Object.fromEntries(headers));
      res.end();
      return;
    }
    const body = file ? readFileSync(file) : Buffer.from('not found');
    headers.set('content-length', String(body.length));
    res.writeHead(status, Object.fromEntries(headers));
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
