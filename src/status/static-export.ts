import { mkdir, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PublicSite } from './page/site.ts';
import { coalesce } from '../jobs/coalesce.ts';
import { API_PATHS } from './api-v2.ts';
import { staticHostHeadersFile } from './page/response-headers.ts';
import { LANGS, type Lang } from '../web/i18n.ts';
import type { AuditCheckpoint } from '../audit/checkpoint.ts';

/** The audit chain's signed head, kept with the status page on the other host (docs/operations.md). */
export const AUDIT_CHECKPOINT_FILE = 'audit-checkpoint.json';

/**
 * Static hosts ignore query strings, so in the export English lives under /en/ and every `?lang=` link is
 * rewritten to a path. Pages become directory indexes (/history/ → history/index.html).
 */
export function rewriteLinksForStatic(markup: string): string {
  return markup.replace(/(href|action)="(\/[^"?]*)\?lang=(ja|en)"/g, (_m, attr: string, path: string, lang: string) =>
    `${attr}="${lang === 'en' ? (path === '/' ? '/en/' : `/en${path}`) : path}"`,
  );
}

function fileFor(path: string, lang: Lang): string {
  const prefix = lang === 'en' ? 'en/' : '';
  if (path === '/') return `${prefix}index.html`;
  if (/\.(json|atom|rss)$/.test(path)) return prefix + path.slice(1);
  return `${prefix}${path.slice(1)}/index.html`;
}

export interface ExportExtras {
  /** A signed audit checkpoint, taken just before the export. */
  auditCheckpoint?: () => Promise<AuditCheckpoint>;
}

/** A static host's own page for a missing path (Netlify and Cloudflare Pages serve `404.html` with status 404). */
const NOT_FOUND_FILE = '404.html';
/** The static host's header rules (`response-headers.ts`). */
export const HEADERS_FILE = '_headers';

/**
 * Writes a complete static copy of the public site, in both languages: the status page, history and every month
 * of its archive, incident and notice pages (also incidents only the archive lists), API v2 JSON, feeds, the
 * stylesheet, a 404 page, the header rules for the static host, and the audit checkpoint when given. Every
 * link between these files leads to one of them; pages only the live server has are linked at PUBLIC_URL.
 */
export async function exportStatic(site: PublicSite, outDir: string, extras: ExportExtras = {}): Promise<string[]> {
  const paths = ['/', '/history', '/history.atom', '/history.rss', ...Object.keys(API_PATHS), ...site.incidentIds().map((id) => `/incidents/${id}`),
    '/notices', ...site.noticeIds().map((id) => `/notices/${id}`)];
  const months = await site.archiveMonths();
  const archive = await Promise.all(months.map(async (month) => ({ month, items: await site.readMonth(month) })));
  const inSnapshot = new Set(site.incidentIds());
  const archivedOnly = new Map(archive.flatMap(({ items }) => items).filter((i) => !inSnapshot.has(i.id)).map((i) => [i.id, i]));
  const written: string[] = [];
  const write = async (relative: string, content: string | Buffer) => {
    const file = join(outDir, relative);
    await mkdir(dirname(file), { recursive: true });
    await writeAtomically(file, content);
    written.push(file);
  };
  const page = (markup: string | null) => (markup === null ? null : rewriteLinksForStatic(markup));
  for (const lang of LANGS) {
    const prefix = lang === 'en' ? 'en/' : '';
    for (const path of paths) {
      const rendered = site.renderPath(path, lang);
      if (rendered !== null) await write(fileFor(path, lang), path.endsWith('.json') ? rendered : rewriteLinksForStatic(rendered));
    }
    for (const { month, items } of archive) {
      const rendered = page(site.monthPage(month, items, lang, months.at(-1)));
      if (rendered !== null) await write(fileFor(`/history/${month}`, lang), rendered);
    }
    for (const incident of archivedOnly.values()) {
      const rendered = page(site.incidentPage(incident, lang));
      if (rendered !== null) await write(fileFor(`/incidents/${incident.id}`, lang), rendered);
    }
    const notFound = page(site.notFoundPage(lang));
    if (notFound !== null) await write(prefix + NOT_FOUND_FILE, notFound);
  }
  await write('assets/site.css', readFileSync(new URL('../web/assets/site.css', import.meta.url)));
  await write(HEADERS_FILE, staticHostHeadersFile());
  if (extras.auditCheckpoint) written.push(await writeAuditCheckpoint(outDir, await extras.auditCheckpoint()));
  return written;
}

export async function writeAuditCheckpoint(outDir: string, checkpoint: AuditCheckpoint): Promise<string> {
  const file = join(outDir, AUDIT_CHECKPOINT_FILE);
  await mkdir(outDir, { recursive: true });
  await writeAtomically(file, JSON.stringify(checkpoint, null, 2) + '\n');
  return file;
}

/** A host syncing the folder never picks up a half-written file: write beside it, then rename over it. */
let tempCounter = 0;

async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  // Unique per write: the periodic audit checkpoint and an export may write the same file at once.
  const temp = `${file}.${process.pid}.${++tempCounter}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/**
 * Keeps a static export current: after every change, at most once per `minGapMs`, one export at a time.
 * Returns a function that waits for the export in progress (for shutdown and tests).
 */
export function exportOnChange(site: PublicSite, outDir: string, opts: { minGapMs: number; log: (err: unknown) => void } & ExportExtras): () => Promise<void> {
  const extras: ExportExtras = opts.auditCheckpoint ? { auditCheckpoint: opts.auditCheckpoint } : {};
  const exports = coalesce(() => exportStatic(site, outDir, extras).then(() => undefined, opts.log), opts.minGapMs);
  site.onChange(() => void exports.trigger());
  return () => exports.settled();
}
