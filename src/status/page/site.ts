import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import type { Db } from '../../store/db.ts';
import type { Incident } from '../../domain/incident.ts';
import { pickLang, type Lang } from '../../web/i18n.ts';
import type { Config } from '../../config.ts';
import { API_PATHS, renderApi } from '../api-v2.ts';
import { renderAtom, renderRss } from './feeds.ts';
import { renderHistoryPage, renderIncidentPage, renderMonthPage, renderNotFoundPage, renderStatusPage, type PageContext } from './pages.ts';
import { loadSnapshot, type PageInfo, type PageSnapshot } from './snapshot.ts';
import { renderNoticePage, renderNoticesPage } from '../../notices/public-pages.ts';
import type { Notice } from '../../notices/notices.ts';
import { pageVersion } from '../repository.ts';
import { coalesce, type Coalesced } from '../../jobs/coalesce.ts';
import { ASSET_CACHE_CONTROL, CONTENT_TYPES, HTML_SECURITY_HEADERS, PAGE_CACHE_CONTROL, type Kind } from './response-headers.ts';
import { archiveMonths, monthOf, readMonth } from './month-archive.ts';

export interface PublicSiteOptions {
  page: PageInfo;
  officialXUrl: string;
  defaultLang: Lang;
  /** The database must have been failing this long before the page calls its state old. */
  staleAfterMs: number;
  /** How often to ask the database whether anything changed, besides LISTEN/NOTIFY. */
  pollMs?: number;
  /** How often to rebuild anyway (uptime bars move with the clock). */
  fullRefreshMs?: number;
  /** Under a burst of changes, rebuild at most once in this many milliseconds (default 250). */
  minRebuildGapMs?: number;
  /** How long a database read may take before it counts as a failure (default 5 s). */
  dbDeadlineMs?: number;
  clock?: () => Date;
  hsts?: boolean;
  log?: (msg: string, err?: unknown) => void;
}

interface Rendered {
  body: Buffer;
  contentType: string;
  etag: string;
  gzip?: Buffer;
  br?: Buffer;
  /**
   * The answers built from this representation, by encoding and Vary: the herd gets the same headers object every
   * time (a representation lives for one snapshot version, so its Last-Modified cannot change under it).
   */
  answers?: Map<string, Answer>;
}

/** One encoding of a representation, ready to send: the 200's body and headers, and the 304's headers. */
interface Answer {
  etag: string;
  body: Buffer;
  ok: Record<string, string>;
  notModified: Record<string, string>;
}

type Renderer = (ctx: PageContext) => string;

interface Route {
  kind: Kind;
  /** HTML follows Accept-Language; machine formats only follow ?lang= so caches and clients see one URL = one body. */
  render: Renderer;
}

const MIN_REBUILD_GAP_MS = 250;
/** A database that stops answering (rather than refusing) must still turn into "stale", not a hang. */
const DB_DEADLINE_MS = 5000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

const CSS = readFileSync(new URL('../../web/assets/site.css', import.meta.url));
const CSS_LOADED_AT = new Date(Math.floor(Date.now() / 1000) * 1000);


/** The site's options as the operator configured them. */
export function siteOptionsFromConfig(config: Config): PublicSiteOptions {
  return {
    page: { id: config.pageId, nameJa: config.exchangeNameJa, nameEn: config.exchangeNameEn, url: config.publicUrl, timeZone: config.timeZone },
    officialXUrl: config.officialXUrl,
    defaultLang: config.defaultLang,
    staleAfterMs: config.staleAfterMs,
    ...(config.pageRebuildGapMs !== undefined ? { minRebuildGapMs: config.pageRebuildGapMs } : {}),
    hsts: config.publicUrl.startsWith('https://'),
  };
}

/**
 * The public status page, API v2 and feeds, served from memory. The database is read once per change
 * (LISTEN/NOTIFY, plus a cheap version poll as a safety net); each representation is rendered on first
 * request after that and then served as bytes with ETag and precompressed variants. If the database stops
 * answering, the last snapshot keeps being served and the pages say how old it is.
 */
export class PublicSite {
  private snapshot: PageSnapshot | null = null;
  private cache = new Map<string, Rendered>();
  private cacheKey = '';
  private staleSince: Date | null = null;
  private lastCheckedAt: Date = new Date(0);
  // Under a burst of changes, rebuild at most every MIN_REBUILD_GAP_MS: the herd keeps being served between
  // rebuilds, and the newest state is still out well within a second.
  private readonly rebuilds: Coalesced;
  private checking = false;
  private readonly changeListeners: ((snapshot: PageSnapshot) => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private unlisten: (() => Promise<void>) | null = null;
  private readonly routes = new Map<string, Route>();
  private readonly clock: () => Date;
  /** The stylesheet as a representation of its own: its answers are built once, like the pages'. */
  private readonly css: Rendered = {
    body: CSS, contentType: CONTENT_TYPES.asset, etag: `"${createHash('sha1').update(CSS).digest('base64url').slice(0, 20)}"`,
  };

  constructor(
    private readonly db: Db,
    private readonly options: PublicSiteOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.rebuilds = coalesce(() => this.reload().catch((err) => this.markFailure(err)), options.minRebuildGapMs ?? MIN_REBUILD_GAP_MS);
    const status: Route = { kind: 'html', render: (c) => renderStatusPage(c) };
    this.routes.set('/', status);
    this.routes.set('/index.html', status);
    this.routes.set('/history', { kind: 'html', render: (c) => renderHistoryPage(c) });
    this.routes.set('/history.atom', { kind: 'atom', render: (c) => renderAtom(c.snapshot, c.lang) });
    this.routes.set('/history.rss', { kind: 'rss', render: (c) => renderRss(c.snapshot, c.lang) });
    this.routes.set('/notices', { kind: 'html', render: (c) => renderNoticesPage(c) });
    for (const [path, endpoint] of Object.entries(API_PATHS)) {
      this.routes.set(path, { kind: 'api', render: (c) => JSON.stringify(renderApi(endpoint, c.snapshot, c.lang)) });
    }
  }

  /** Loads the first snapshot (waiting for the database) and starts following changes. */
  async start(): Promise<void> {
    await this.reload();
    this.unlisten = await this.db.listen('kinkyu_page', () => void this.refresh()).catch(() => null);
    const poll = setInterval(() => void this.checkVersion(), this.options.pollMs ?? 500);
    const full = setInterval(() => void this.refresh(), this.options.fullRefreshMs ?? 60_000);
    poll.unref();
    full.unref();
    this.timers.push(poll, full);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.unlisten?.().catch(() => undefined);
  }

  setLogger(log: (msg: string, err?: unknown) => void): void {
    this.options.log = log;
  }

  current(): PageSnapshot | null {
    return this.snapshot;
  }

  isStale(): boolean {
    return this.staleSince !== null && this.clock().getTime() - this.staleSince.getTime() >= this.options.staleAfterMs;
  }

  /** Rebuilds the snapshot; concurrent calls coalesce into at most one more rebuild. */
  refresh(): Promise<void> {
    return this.rebuilds.trigger();
  }

  private async reload(): Promise<void> {
    const now = this.clock();
    const snapshot = await withDeadline(loadSnapshot(this.db, this.options.page, now), this.options.dbDeadlineMs ?? DB_DEADLINE_MS);
    const changed = snapshot.version !== this.snapshot?.version;
    this.snapshot = snapshot;
    this.markSuccess(now);
    if (changed) for (const listener of this.changeListeners) listener(snapshot);
  }

  /** Calls `listener` after each reload that brought a new version (not on periodic refreshes). */
  onChange(listener: (snapshot: PageSnapshot) => void): void {
    this.changeListeners.push(listener);
  }

  private async checkVersion(): Promise<void> {
    if (this.rebuilds.running || this.checking) return;
    this.checking = true;
    try {
      const { version } = await withDeadline(pageVersion(this.db), this.options.dbDeadlineMs ?? DB_DEADLINE_MS);
      const wasStale = this.staleSince !== null;
      this.markSuccess(this.clock());
      if (!this.snapshot || version !== this.snapshot.version || wasStale) await this.refresh();
    } catch (err) {
      this.markFailure(err);
    } finally {
      this.checking = false;
    }
  }

  private markSuccess(at: Date): void {
    this.staleSince = null;
    this.lastCheckedAt = at;
  }

  private markFailure(err: unknown): void {
    if (!this.staleSince) {
      this.staleSince = this.clock();
      this.options.log?.('public site: database not answering; serving the last known state', err);
    }
  }

  private context(lang: Lang): PageContext {
    if (!this.snapshot) throw new Error('no snapshot loaded');
    // Show the check time to the minute, so the page is not re-rendered every poll.
    const checked = new Date(Math.floor(this.lastCheckedAt.getTime() / 60_000) * 60_000);
    return {
      snapshot: this.snapshot,
      lang,
      staleSince: this.isStale() ? this.staleSince : null,
      lastCheckedAt: checked,
      officialXUrl: this.options.officialXUrl,
    };
  }

  /** Everything a representation depends on: a change to any of these means re-rendering. */
  private currentCacheKey(): string {
    const s = this.snapshot;
    // The load time matters to the pages only to the minute (uptime days, month links, the stale notice's
    // time): a periodic reload that brings the same version within the minute re-renders nothing.
    const minute = (d: Date | undefined) => (d ? Math.floor(d.getTime() / 60_000) : -1);
    return `${s?.version}|${minute(s?.loadedAt)}|${this.isStale()}|${minute(this.lastCheckedAt)}`;
  }

  private rendered(key: string, kind: Kind, make: () => string): Rendered {
    const cacheKey = this.currentCacheKey();
    if (cacheKey !== this.cacheKey) {
      this.cache.clear();
      this.cacheKey = cacheKey;
    }
    let r = this.cache.get(key);
    if (!r) {
      const body = Buffer.from(make(), 'utf8');
      r = { body, contentType: CONTENT_TYPES[kind], etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"` };
      // Bound the cache: incident pages are keyed by id, and ids in URLs are attacker-chosen.
      if (this.cache.size < 2000) this.cache.set(key, r);
    }
    return r;
  }

  /** Renders a public path to a string, for the static export. */
  renderPath(path: string, lang: Lang): string | null {
    const route = this.routes.get(path);
    if (route) return route.render(this.context(lang));
    const notice = this.findNotice(path);
    if (notice) return renderNoticePage(this.context(lang), notice);
    const incident = this.findIncident(path);
    return incident ? renderIncidentPage(this.context(lang), incident) : null;
  }

  noticeIds(): string[] {
    return this.snapshot?.notices.map((n) => n.id) ?? [];
  }

  private findNotice(path: string): Notice | undefined {
    if (!path.startsWith('/notices/')) return undefined;
    const id = path.slice('/notices/'.length);
    return this.snapshot?.notices.find((n) => n.id === id);
  }

  /** A notice page for one that is not in the snapshot (withdrawn), rendered per request. */
  noticePage(notice: Notice, lang: Lang): string | null {
    return this.snapshot ? renderNoticePage(this.context(lang), notice) : null;
  }

  incidentIds(): string[] {
    const s = this.snapshot;
    return s ? [...s.incidents, ...s.maintenances].map((i) => i.id) : [];
  }

  private findIncident(path: string): Incident | undefined {
    if (!path.startsWith('/incidents/')) return undefined;
    const id = path.slice('/incidents/'.length);
    const s = this.snapshot;
    return s?.incidents.find((i) => i.id === id) ?? s?.maintenances.find((i) => i.id === id);
  }

  /**
   * Serves a public path if it is one, straight onto the socket. Returns false for anything else (and for
   * incident pages not in the snapshot), which the application then handles.
   */
  tryServe(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = this.routes.get(path);
    if (path === '/assets/site.css') {
      if (method === 'OPTIONS') return false;
      this.send(req, res, 'asset', this.css, false);
      return true;
    }
    let incident: Incident | undefined;
    let notice: Notice | undefined;
    if (!route) {
      notice = this.findNotice(path);
      incident = notice ? undefined : this.findIncident(path);
      if (!incident && !notice) return false;
    }
    if (!this.snapshot) return false;
    const kind: Kind = route?.kind ?? 'html';
    if (method === 'OPTIONS') {
      if (kind === 'html') return false;
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': '*',
        'access-control-max-age': '86400',
      });
      res.end();
      return true;
    }
    const queryLang = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get('lang');
    const lang = kind === 'html'
      ? pickLang(queryLang, req.headers['accept-language'], this.options.defaultLang)
      : pickLang(queryLang, undefined, this.options.defaultLang);
    const r = this.rendered(`${path}|${lang}`, kind, () =>
      route ? route.render(this.context(lang)) : notice ? renderNoticePage(this.context(lang), notice) : renderIncidentPage(this.context(lang), incident as Incident),
    );
    this.send(req, res, kind, r, kind === 'html' && queryLang !== 'ja' && queryLang !== 'en');
    return true;
  }

  /** The 404 page in the visitor's language, for the application's not-found handler. */
  notFoundPage(lang: Lang): string | null {
    return this.snapshot ? renderNotFoundPage(this.context(lang)) : null;
  }

  /** `oldest`: the oldest month that has a page (the static export's), so no link points before it. */
  monthPage(month: string, items: Incident[], lang: Lang, oldest?: string): string | null {
    return this.snapshot ? renderMonthPage(this.context(lang), month, items, oldest) : null;
  }

  /** The history archive's months, newest first (see `archiveMonths`), for the static export. */
  async archiveMonths(): Promise<string[]> {
    const s = this.snapshot;
    if (!s) return [];
    return archiveMonths(this.db, monthOf(s.loadedAt, s.page.timeZone), s.page.timeZone);
  }

  /** The incidents and maintenances that began in `month`, read from the database. */
  readMonth(month: string): Promise<Incident[]> {
    return readMonth(this.db, month, this.options.page.timeZone);
  }

  incidentPage(incident: Incident, lang: Lang): string | null {
    return this.snapshot ? renderIncidentPage(this.context(lang), incident) : null;
  }

  private send(req: IncomingMessage, res: ServerResponse, kind: Kind, r: Rendered, variesByLanguage: boolean): void {
    const accept = req.headers['accept-encoding'];
    const encoding = accept && r.body.length > 1024 ? pickEncoding(accept) : null;
    const answer = this.answer(r, kind, variesByLanguage, encoding);
    if (matchesEtag(req.headers['if-none-match'], answer.etag)) {
      res.writeHead(304, answer.notModified);
      res.end();
      return;
    }
    res.writeHead(200, answer.ok);
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  private answer(r: Rendered, kind: Kind, variesByLanguage: boolean, encoding: 'br' | 'gzip' | null): Answer {
    const key = `${encoding ?? ''}|${variesByLanguage ? 'v' : ''}`;
    const cached = r.answers?.get(key);
    if (cached) return cached;
    const headers: Record<string, string> = {
      'content-type': r.contentType,
      // Each encoding is its own representation, so it gets its own strong validator.
      etag: encoding ? `${r.etag.slice(0, -1)}-${encoding}"` : r.etag,
      // The stylesheet changes with the code, not with the status: its time is this process's start.
      'last-modified': (kind === 'asset' ? CSS_LOADED_AT : this.snapshot?.changedAt ?? new Date(0)).toUTCString(),
      'cache-control': kind === 'asset' ? ASSET_CACHE_CONTROL : PAGE_CACHE_CONTROL,
      vary: variesByLanguage ? 'Accept-Encoding, Accept-Language' : 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
    };
    if (kind === 'api' || kind === 'atom' || kind === 'rss') headers['access-control-allow-origin'] = '*';
    if (kind === 'html') {
      for (const [name, value] of Object.entries(HTML_SECURITY_HEADERS)) headers[name.toLowerCase()] = value;
      if (this.options.hsts) headers['strict-transport-security'] = 'max-age=31536000';
    }
    let body = r.body;
    const ok = { ...headers };
    if (encoding === 'br') {
      r.br ??= brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
      body = r.br;
      ok['content-encoding'] = 'br';
    } else if (encoding === 'gzip') {
      r.gzip ??= gzipSync(body, { level: 6 });
      body = r.gzip;
      ok['content-encoding'] = 'gzip';
    }
    ok['content-length'] = String(body.length);
    const answer: Answer = { etag: headers.etag as string, body, ok, notModified: headers };
    (r.answers ??= new Map()).set(key, answer);
    return answer;
  }
}

/** If-None-Match may list several validators, weak ones included (RFC 9110 §13.1.2 uses weak comparison). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === etag;
  });
}

const encodingCache = new Map<string, 'br' | 'gzip' | null>();

/** br if the client accepts it, else gzip, honouring q=0 ("not this one"); memoised per header value. */
function pickEncoding(accept: string): 'br' | 'gzip' | null {
  const cached = encodingCache.get(accept);
  if (cached !== undefined) return cached;
  const q = new Map<string, number>();
  for (const part of accept.slice(0, 256).split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepts = (name: string) => (q.get(name) ?? (q.has('*') ? (q.get('*') as number) : 0)) > 0;
  const chosen = accepts('br') ? 'br' : accepts('gzip') ? 'gzip' : null;
  if (encodingCache.size > 1000) encodingCache.clear();
  encodingCache.set(accept, chosen);
  return chosen;
}
