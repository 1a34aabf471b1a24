import { mkdir, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PublicSite } from './site.ts';
import { coalesce } from './coalesce.ts';
import { API_PATHS } from './api-v2.ts';
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

/**
 * Writes the status page, history, incident and notice pages, API v2 JSON and feeds, in both languages (and
 * the audit checkpoint when given).
 */
export async function exportStatic(site: PublicSite, outDir: string, extras: ExportExtras = {}): Promise<string[]> {
  const paths = ['/', '/history', '/history.atom', '/history.rss', ...Object.keys(API_PATHS), ...site.incidentIds().map((id) => `/incidents/${id}`),
    '/notices', ...site.noticeIds().map((id) => `/notices/${id}`)];
  const written: string[] = [];
  for (const lang of LANGS) {
    for (const path of paths) {
      const rendered = site.renderPath(path, lang);
      if (rendered === null) continue;
      const file = join(outDir, fileFor(path, lang));
      await mkdir(dirname(file), { recursive: true });
      await writeAtomically(file, path.endsWith('.json') ? rendered : rewriteLinksForStatic(rendered));
      written.push(file);
    }
  }
  const css = join(outDir, 'assets/site.css');
  await mkdir(dirname(css), { recursive: true });
  await writeAtomically(css, readFileSync(new URL('../web/assets/site.css', import.meta.url)));
  written.push(css);
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
