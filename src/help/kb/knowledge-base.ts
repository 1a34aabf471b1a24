import { appendAudit } from '../../audit/audit-log.ts';
import type { Actor } from '../../domain/actor.ts';
import { KinkyuError } from '../../domain/errors.ts';
import type { Db } from '../../store/db.ts';
import { newId } from '../../store/ids.ts';
import type { SafeHtml } from '../../web/html.ts';
import type { Lang } from '../../web/i18n.ts';
import { ARTICLE_CATEGORIES, type ArticleCategory } from '../articles/categories.ts';
import { markdownToPlainText } from '../articles/plain-text.ts';
import { loadStarterArticles, type StarterArticle } from '../articles/starter-set.ts';
import { createArticleSearch, type ArticleSearch } from '../search/index.ts';
import { renderArticleMarkdown } from './markdown.ts';
import * as repo from './repository.ts';
import type { PublishedArticle, StaffArticleSummary, VersionRow } from './repository.ts';
import { FEEDBACK_TOKEN_TTL_MS } from './feedback-token.ts';
import { importStarterSet, type StarterImportResult } from './starter-import.ts';
import { SLUG_PATTERN, parseComment, parseDraft, parseLang, parseSlug, parseVersionNumber } from './validation.ts';


export interface KnowledgeBaseOptions {
  clock?: () => Date;
  log?: (msg: string, err?: unknown) => void;
  /** The starter set to import on start (default: the files in content/help/articles). */
  starterArticles?: () => readonly StarterArticle[];
  /** How often to compare the database's change counter with ours, besides LISTEN/NOTIFY (ms). */
  pollMs?: number;
}

/** An article's versions with the readers' feedback on each, for the staff history page. */
export interface ArticleHistory {
  slug: string;
  category: ArticleCategory;
  withdrawnAt: Date | null;
  versions: VersionRow[];
  feedback: { lang: Lang; version: number; total: number; helpful: number }[];
  comments: { lang: Lang; version: number; helpful: boolean; comment: string; createdAt: Date }[];
}

/** An article in a list: in the reader's language, or in the other one when it has no version in theirs. */
export interface ArticleSummary {
  slug: string;
  category: ArticleCategory;
  title: string;
  /** The language this title is in. */
  lang: Lang;
  /** True when the article has no version in the reader's language and this is the other one. */
  fallback: boolean;
  excerpt: string;
}

export interface ArticleView {
  article: PublishedArticle;
  html: SafeHtml;
  fallback: boolean;
  /** Other articles in the same category. */
  related: ArticleSummary[];
}

interface Entry {
  articleId: string;
  slug: string;
  category: ArticleCategory;
  versions: Partial<Record<Lang, PublishedArticle & { excerpt: string }>>;
}

const EXCERPT_CHARS = 110;
/** Used feedback tokens are kept this much longer than they are valid, for clocks that disagree. */
const TOKEN_CLOCK_SLACK_MS = 5 * 60_000;
const RENDER_CACHE_MAX = 2000;

function excerptOf(plain: string): string {
  const text = plain.replace(/\s+/g, ' ').trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS).trimEnd()}…` : text;
}

/**
 * The help center's articles. Published versions live in memory (pages and search never wait for the
 * database); staff changes go to the database first and then into memory and the search index.
 *
 * With several processes on one database, each follows the others through LISTEN/NOTIFY on `kinkyu_kb`
 * (sent at commit, naming the article) and a cheap poll of a change counter as a safety net for a lost
 * notification. A check on every read is not an option: `search` is called synchronously, in memory, by
 * other modules (the contact form), and a round trip per query would cost more than the query itself.
 */
export class KnowledgeBase {
  /** Stable for the life of the process: callers may keep this reference before `start()`. */
  readonly search: ArticleSearch = createArticleSearch();
  private readonly bySlug = new Map<string, Entry>();
  private readonly slugOfArticle = new Map<string, string>();
  private readonly rendered = new Map<number, SafeHtml>();
  private loadedState = -1;
  private chain: Promise<void> = Promise.resolve();
  private unlisten: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Db,
    private readonly options: KnowledgeBaseOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Imports new starter articles, loads what is published, and starts following other processes' changes. */
  async start(): Promise<StarterImportResult | null> {
    const imported = await this.importStarters();
    await this.enqueue(() => this.reloadAll());
    this.unlisten = await this.db.listen('kinkyu_kb', (payload) => void this.onNotify(payload)).catch((err) => {
      this.options.log?.('knowledge base: LISTEN failed; following changes by polling only', err);
      return null;
    });
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.timer.unref();
    return imported;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.unlisten?.().catch(() => undefined);
    this.unlisten = null;
    await this.chain;
  }

  private async importStarters(): Promise<StarterImportResult | null> {
    let starters: readonly StarterArticle[];
    try {
      starters = (this.options.starterArticles ?? loadStarterArticles)();
    } catch (err) {
      this.options.log?.('knowledge base: the starter articles could not be read; none imported', err);
      return null;
    }
    let result: StarterImportResult;
    try {
      result = await importStarterSet(this.db, starters, this.clock());
    } catch (err) {
      // The help center must come up even so: what is already stored is served, and the next start tries again.
      this.options.log?.('knowledge base: the starter import failed; serving the articles already stored', err);
      return null;
    }
    if (result.skipped.length) this.options.log?.(`knowledge base: starter articles refused by validation: ${result.skipped.join(', ')}`);
    return result;
  }

  // ── Public reads (memory only) ───────────────────────────────────────────────────────────────────────

  /**
   * The article in `lang`, or in the other language (`fallback: true`) when it has none: Japanese first, and an
   * article staff wrote only in English is still shown to a Japanese reader. Null if not public.
   */
  article(slug: string, lang: Lang): ArticleView | null {
    const entry = this.bySlug.get(slug);
    const version = entry ? versionFor(entry, lang) : undefined;
    if (!entry || !version) return null;
    const related = this.inCategory(entry.category, lang).filter((a) => a.slug !== slug);
    return { article: version, html: this.render(version), fallback: version.lang !== lang, related };
  }

  /** The published articles of one category, in the reader's language where possible, sorted by title. */
  inCategory(category: ArticleCategory, lang: Lang): ArticleSummary[] {
    const out: ArticleSummary[] = [];
    for (const entry of this.bySlug.values()) {
      if (entry.category !== category) continue;
      const summary = this.summaryOf(entry, lang);
      if (summary) out.push(summary);
    }
    const collator = new Intl.Collator(lang);
    return out.sort((a, b) => Number(a.fallback) - Number(b.fallback) || collator.compare(a.title, b.title));
  }

  /** Every category that has published articles, in display order. */
  categories(lang: Lang): { category: ArticleCategory; articles: ArticleSummary[] }[] {
    return ARTICLE_CATEGORIES.map((category) => ({ category, articles: this.inCategory(category, lang) })).filter((c) => c.articles.length > 0);
  }

  /** One article's title and excerpt for a list, or null when it is not public. */
  summary(slug: string, lang: Lang): ArticleSummary | null {
    const entry = this.bySlug.get(slug);
    return entry ? this.summaryOf(entry, lang) : null;
  }

  /** How many articles are public (in any language). */
  get publishedCount(): number {
    return this.bySlug.size;
  }

  private summaryOf(entry: Entry, lang: Lang): ArticleSummary | null {
    const v = versionFor(entry, lang);
    if (!v) return null;
    return { slug: entry.slug, category: entry.category, title: v.title, lang: v.lang, fallback: v.lang !== lang, excerpt: v.excerpt };
  }

  private render(version: PublishedArticle): SafeHtml {
    let html = this.rendered.get(version.versionId);
    if (!html) {
      html = renderArticleMarkdown(version.body);
      if (this.rendered.size >= RENDER_CACHE_MAX) this.rendered.clear();
      this.rendered.set(version.versionId, html);
    }
    return html;
  }

  // ── Feedback (public) ────────────────────────────────────────────────────────────────────────────────

  /**
   * "Did this help?" for the version the reader saw (or the current one, if theirs is newer than what is
   * public now). `tokenHash` names the page view (a verified feedback token): a second answer with it is not
   * stored (`counted: false`). Stores no personal data.
   */
  async recordFeedback(slug: string, input: { lang: unknown; version: unknown; helpful: unknown; comment?: unknown; tokenHash: string }): Promise<{ version: number; counted: boolean }> {
    const lang = parseLang(input.lang);
    const helpful = input.helpful === true || input.helpful === 'yes' || input.helpful === 'true' ? true
      : input.helpful === false || input.helpful === 'no' || input.helpful === 'false' ? false : null;
    if (helpful === null) throw new KinkyuError('VALIDATION', { field: 'helpful', rule: 'enum' });
    const comment = parseComment(input.comment);
    const current = this.bySlug.get(slug)?.versions[lang];
    if (!current) throw new KinkyuError('NOT_FOUND', { what: 'article' });
    const seen = parseVersionNumber(input.version);
    // The reader may have loaded the page before an edit: their answer is about what they read.
    const version = seen <= current.version ? seen : current.version;
    const at = this.clock();
    const counted = await this.db.transaction(async (tx) => {
      if (!(await repo.useFeedbackToken(tx, input.tokenHash, at, new Date(at.getTime() - FEEDBACK_TOKEN_TTL_MS - TOKEN_CLOCK_SLACK_MS)))) return false;
      await repo.insertFeedback(tx, { articleId: current.articleId, lang, version, helpful, comment, at });
      return true;
    });
    return { version, counted };
  }

  // ── Staff (database) ─────────────────────────────────────────────────────────────────────────────────

  listForStaff(): Promise<StaffArticleSummary[]> {
    return repo.listForStaff(this.db);
  }

  /** An article with its newest version per language and what is published, for the editor. */
  async forEditor(slugInput: unknown): Promise<{
    slug: string;
    category: ArticleCategory;
    withdrawnAt: Date | null;
    latest: Partial<Record<Lang, VersionRow>>;
    current: Partial<Record<Lang, number>>;
  }> {
    const article = await this.requireArticle(slugInput);
    const latest: Partial<Record<Lang, VersionRow>> = {};
    for (const v of await repo.latestVersions(this.db, [article.id])) latest[v.lang] = v;
    return { slug: article.slug, category: article.category, withdrawnAt: article.withdrawnAt, latest, current: await repo.currentVersions(this.db, article.id) };
  }

  /** Validates a version without storing it and renders its Markdown, for the editor's preview. */
  preview(input: Record<string, unknown>, withSlug = false): { title: string; lang: Lang; html: SafeHtml } {
    if (withSlug) parseSlug(input.slug);
    const draft = parseDraft(input);
    return { title: draft.title, lang: draft.lang, html: renderArticleMarkdown(draft.body) };
  }

  async history(slugInput: unknown): Promise<ArticleHistory> {
    const article = await this.requireArticle(slugInput);
    return {
      slug: article.slug,
      category: article.category,
      withdrawnAt: article.withdrawnAt,
      versions: await repo.listVersions(this.db, article.id),
      feedback: await repo.feedbackByVersion(this.db, article.id),
      comments: await repo.recentComments(this.db, article.id),
    };
  }

  async version(slugInput: unknown, langInput: unknown, versionInput: unknown): Promise<{ slug: string; version: VersionRow; html: SafeHtml }> {
    const article = await this.requireArticle(slugInput);
    const version = await repo.findVersion(this.db, article.id, parseLang(langInput), parseVersionNumber(versionInput));
    if (!version) throw new KinkyuError('NOT_FOUND', { what: 'version' });
    return { slug: article.slug, version, html: renderArticleMarkdown(version.body) };
  }

  /** A new article with its first version (in one language), published or as a draft. */
  async createArticle(actor: Actor, input: Record<string, unknown>): Promise<{ slug: string; lang: Lang; version: number; published: boolean }> {
    const slug = parseSlug(input.slug);
    const draft = parseDraft(input);
    const publish = wantsPublish(input);
    const now = this.clock();
    const articleId = newId();
    const result = await this.db.transaction(async (tx) => {
      if (await repo.findArticle(tx, slug)) throw new KinkyuError('CONFLICT', { field: 'slug', rule: 'slug_taken' });
      await repo.insertArticle(tx, { id: articleId, slug, category: draft.category, editedByStaff: true, at: now });
      const v = await repo.insertVersion(tx, { articleId, ...draft, state: publish ? 'published' : 'draft', authorStaffId: staffId(actor), at: now });
      if (publish) await repo.setCurrent(tx, articleId, draft.lang, v.id, now);
      await audit(tx, actor, publish ? 'kb.article.publish' : 'kb.article.draft', slug, { lang: draft.lang, version: v.version, category: draft.category, created: true }, now);
      return { version: v.version, state: publish ? await repo.bumpState(tx, articleId) : null };
    }).catch(rethrowSlugRace);
    if (result.state !== null) await this.afterChange(articleId, result.state);
    return { slug, lang: draft.lang, version: result.version, published: publish };
  }

  /**
   * A new version of one language of an article: published at once, or kept as a draft. `baseVersion` (the
   * version the editor started from; 0 for a language the article does not have yet) is required and refuses
   * the save when someone else saved a newer one meanwhile.
   */
  async saveVersion(actor: Actor, slugInput: unknown, input: Record<string, unknown>): Promise<{ slug: string; lang: Lang; version: number; published: boolean }> {
    const slug = parseSlug(slugInput);
    const draft = parseDraft(input);
    const publish = wantsPublish(input);
    // Required of every client (form and JSON alike): without it a save could silently bury someone else's.
    if (input.baseVersion === undefined || input.baseVersion === null || input.baseVersion === '') throw new KinkyuError('VALIDATION', { field: 'baseVersion', rule: 'required' });
    const base = input.baseVersion === '0' || input.baseVersion === 0 ? 0 : parseVersionNumber(input.baseVersion, 'baseVersion');
    const now = this.clock();
    const result = await this.db.transaction(async (tx) => {
      const article = await repo.findArticle(tx, slug, { lock: true });
      if (!article) throw new KinkyuError('NOT_FOUND', { what: 'article' });
      const [latest] = (await repo.latestVersions(tx, [article.id])).filter((v) => v.lang === draft.lang);
      if ((latest?.version ?? 0) !== base) throw new KinkyuError('CONFLICT', { rule: 'stale', version: String(latest?.version ?? 0) });
      const v = await repo.insertVersion(tx, { articleId: article.id, ...draft, state: publish ? 'published' : 'draft', authorStaffId: staffId(actor), at: now });
      // The category shown to the public changes only with a publication; a draft keeps its own.
      await repo.touchArticle(tx, article.id, publish ? { at: now, category: draft.category, withdrawn: false } : { at: now });
      if (publish) await repo.setCurrent(tx, article.id, draft.lang, v.id, now);
      await audit(tx, actor, publish ? 'kb.version.publish' : 'kb.version.draft', slug, { lang: draft.lang, version: v.version, category: draft.category }, now);
      return { articleId: article.id, version: v.version, state: publish ? await repo.bumpState(tx, article.id) : null };
    });
    if (result.state !== null) await this.afterChange(result.articleId, result.state);
    return { slug, lang: draft.lang, version: result.version, published: publish };
  }

  /** Publishes an old version (or a draft) again, as a new version that copies it: history only grows. */
  async republish(actor: Actor, slugInput: unknown, langInput: unknown, versionInput: unknown): Promise<{ slug: string; lang: Lang; version: number; restoredFrom: number }> {
    const slug = parseSlug(slugInput);
    const lang = parseLang(langInput);
    const from = parseVersionNumber(versionInput);
    const now = this.clock();
    const result = await this.db.transaction(async (tx) => {
      const article = await repo.findArticle(tx, slug, { lock: true });
      if (!article) throw new KinkyuError('NOT_FOUND', { what: 'article' });
      const old = await repo.findVersion(tx, article.id, lang, from);
      if (!old) throw new KinkyuError('NOT_FOUND', { what: 'version' });
      const v = await repo.insertVersion(tx, {
        articleId: article.id, lang, title: old.title, keywords: old.keywords, body: old.body, category: old.category,
        state: 'published', authorStaffId: staffId(actor), restoredFrom: old.version, at: now,
      });
      await repo.touchArticle(tx, article.id, { at: now, category: old.category, withdrawn: false });
      await repo.setCurrent(tx, article.id, lang, v.id, now);
      await audit(tx, actor, 'kb.version.republish', slug, { lang, version: v.version, restoredFrom: old.version }, now);
      return { articleId: article.id, version: v.version, state: await repo.bumpState(tx, article.id) };
    });
    await this.afterChange(result.articleId, result.state);
    return { slug, lang, version: result.version, restoredFrom: from };
  }

  /** Takes an article off the public pages and out of search, in every language. Its versions stay. */
  async withdraw(actor: Actor, slugInput: unknown): Promise<{ slug: string; withdrawn: number }> {
    const slug = parseSlug(slugInput);
    const now = this.clock();
    const result = await this.db.transaction(async (tx) => {
      const article = await repo.findArticle(tx, slug, { lock: true });
      if (!article) throw new KinkyuError('NOT_FOUND', { what: 'article' });
      const withdrawn = await repo.clearCurrent(tx, article.id);
      await repo.touchArticle(tx, article.id, { at: now, withdrawn: true });
      await audit(tx, actor, 'kb.article.withdraw', slug, { languages: withdrawn }, now);
      return { articleId: article.id, withdrawn, state: await repo.bumpState(tx, article.id) };
    });
    await this.afterChange(result.articleId, result.state);
    return { slug, withdrawn: result.withdrawn };
  }

  private async requireArticle(slugInput: unknown): Promise<repo.ArticleRow> {
    // A malformed slug names no article: "not found", like any other unknown one.
    const slug = typeof slugInput === 'string' && SLUG_PATTERN.test(slugInput) ? slugInput : null;
    const article = slug ? await repo.findArticle(this.db, slug) : null;
    if (!article) throw new KinkyuError('NOT_FOUND', { what: 'article' });
    return article;
  }

  // ── Following changes ────────────────────────────────────────────────────────────────────────────────

  /** Runs reloads one at a time, in order, so an older read never overwrites a newer one. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch((err) => this.options.log?.('knowledge base: reload failed', err));
    return next;
  }

  /** After our own commit: memory and index follow before the staff member's request is answered. */
  private async afterChange(articleId: string, state: number): Promise<void> {
    await this.enqueue(async () => {
      await this.reloadArticle(articleId);
      // Only when no other change happened in between may we say we are current up to `state`.
      if (state === this.loadedState + 1) this.loadedState = state;
    });
  }

  private onNotify(payload: string): Promise<void> {
    const [stateText = '', articleId = '*'] = payload.split(':');
    const state = Number(stateText);
    return this.enqueue(async () => {
      if (Number.isInteger(state) && state <= this.loadedState) return;
      if (articleId === '*' || !Number.isInteger(state)) return this.reloadAll();
      await this.reloadArticle(articleId);
      if (state === this.loadedState + 1) this.loadedState = state;
    }).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const state = await repo.stateVersion(this.db);
      if (state !== this.loadedState) await this.enqueue(() => this.reloadAll());
    } catch (err) {
      this.options.log?.('knowledge base: change check failed; serving what is loaded', err);
    } finally {
      this.polling = false;
    }
  }

  private async reloadAll(): Promise<void> {
    // The counter is read first: the rows read after it are at least that new.
    const state = await repo.stateVersion(this.db);
    const rows = await repo.loadPublished(this.db);
    const seen = new Set<string>();
    const grouped = new Map<string, PublishedArticle[]>();
    for (const row of rows) grouped.set(row.articleId, [...(grouped.get(row.articleId) ?? []), row]);
    for (const [articleId, versions] of grouped) {
      seen.add(articleId);
      this.apply(articleId, versions);
    }
    for (const articleId of [...this.slugOfArticle.keys()]) if (!seen.has(articleId)) this.apply(articleId, []);
    this.loadedState = state;
  }

  private async reloadArticle(articleId: string): Promise<void> {
    this.apply(articleId, await repo.loadPublished(this.db, articleId));
  }

  /** Replaces one article's published versions in memory and in the index; unchanged versions are left alone. */
  private apply(articleId: string, versions: readonly PublishedArticle[]): void {
    const slug = versions[0]?.slug ?? this.slugOfArticle.get(articleId);
    if (!slug) return;
    const before = this.bySlug.get(slug);
    if (!versions.length) {
      for (const lang of ['ja', 'en'] as const) if (before?.versions[lang]) this.search.remove(slug, lang);
      this.bySlug.delete(slug);
      this.slugOfArticle.delete(articleId);
      return;
    }
    const entry: Entry = { articleId, slug, category: versions[0]!.category, versions: {} };
    for (const v of versions) {
      const old = before?.versions[v.lang];
      if (old && old.versionId === v.versionId && old.category === v.category) {
        entry.versions[v.lang] = old;
        continue;
      }
      const plain = markdownToPlainText(v.body);
      entry.versions[v.lang] = { ...v, excerpt: excerptOf(plain) };
      this.search.upsert({ slug, lang: v.lang, title: v.title, keywords: v.keywords, category: v.category, body: plain });
    }
    for (const lang of ['ja', 'en'] as const) if (before?.versions[lang] && !entry.versions[lang]) this.search.remove(slug, lang);
    this.bySlug.set(slug, entry);
    this.slugOfArticle.set(articleId, slug);
  }
}

/** The reader's language, else Japanese (the main one), else whatever is published. */
function versionFor(entry: Entry, lang: Lang): Entry['versions'][Lang] {
  return entry.versions[lang] ?? entry.versions.ja ?? entry.versions.en;
}

function wantsPublish(input: Record<string, unknown>): boolean {
  const v = input.publish ?? input.action;
  return v === true || v === 'true' || v === 'publish' || v === '1';
}

const staffId = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

function audit(tx: Parameters<Parameters<Db['transaction']>[0]>[0], actor: Actor, action: string, slug: string, data: Record<string, unknown>, at: Date) {
  return appendAudit(tx, { actorType: actor.type, actorId: actor.id, action, targetType: 'kb_article', targetId: slug, data, ip: actor.ip ?? null }, at);
}

/** Two staff members creating the same slug at once: the second insert meets the unique constraint. */
function rethrowSlugRace(err: unknown): never {
  if ((err as { code?: string })?.code === '23505') throw new KinkyuError('CONFLICT', { field: 'slug', rule: 'slug_taken' });
  throw err;
}
