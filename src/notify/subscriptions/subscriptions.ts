import { randomBytes } from 'node:crypto';
import type { Component } from '../../domain/component.ts';
import { parseAntiPhishingCode } from '../../domain/anti-phishing.ts';
import { KinkyuError } from '../../domain/errors.ts';
import { cleanText } from '../../domain/text.ts';
import { enqueueMail } from '../../mail/outbox.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { sha256Hex } from '../../domain/secrets.ts';
import { RateLimiter } from '../../web/rate-limit.ts';
import type { Db, Queryable } from '../../store/db.ts';
import { newId } from '../../store/ids.ts';
import type { Lang } from '../../web/i18n.ts';
import type { SubscriptionConfig } from './config.ts';
import { alreadySubscribedMail, antiPhishingConfirmMail, confirmEmailMail, confirmEndpointMail, type MailText, type SubscriptionMailContext } from './emails.ts';
import { checkSlackUrl, checkWebhookUrl, type Lookup } from './endpoint-check.ts';
import type { LinkPurpose, SubscriberLinks } from './links.ts';
import {
  applyAntiPhishingChange,
  confirmSubscriber,
  pendingAntiPhishingChange,
  requestAntiPhishingChange,
  findByConfirmHash,
  findLiveForUpdate,
  findSubscriber,
  insertSubscriber,
  renewPending,
  targetKey,
  unsubscribe,
  updatePreferences,
  type PublicChannel,
  type SubscriberRow,
} from './repository.ts';
import { langQuery } from '../../web/links.ts';

/** The same address shape the contact form accepts: one plain address with a dotted domain. */
const ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;
const ID = /^[0-9a-z]{1,40}$/;

export type Body = Record<string, unknown>;

/** The components a subscriber can choose: every leaf, in the status page's order, under its group. */
export interface ComponentChoiceGroup {
  group: Component | null;
  components: Component[];
}

export function componentChoices(snapshot: PageSnapshot | null): ComponentChoiceGroup[] {
  const all = snapshot?.components ?? [];
  const out: ComponentChoiceGroup[] = [];
  for (const top of all.filter((c) => c.groupId === null)) {
    if (!top.isGroup) {
      const last = out[out.length - 1];
      if (last && last.group === null) last.components.push(top);
      else out.push({ group: null, components: [top] });
      continue;
    }
    const children = all.filter((c) => c.groupId === top.id && !c.isGroup);
    if (children.length) out.push({ group: top, components: children });
  }
  return out;
}

export function parseEmailAddress(value: unknown, field: string, required: boolean): string | null {
  const text = cleanText(value, field, { max: 254, required });
  if (text === null) return null;
  if (!ADDRESS.test(text)) throw new KinkyuError('VALIDATION', { field, rule: 'email' });
  return text;
}

function parseLang(value: unknown, fallback: Lang): Lang {
  if (value === undefined || value === '') return fallback;
  if (value === 'ja' || value === 'en') return value;
  throw new KinkyuError('VALIDATION', { field: 'lang', rule: 'enum' });
}

/**
 * The chosen component ids; null means "everything" (also future components), which is what choosing every
 * one of them means too.
 */
export function parseComponents(value: unknown, snapshot: PageSnapshot | null): string[] | null {
  if (!snapshot) throw new KinkyuError('DATABASE_UNAVAILABLE');
  const leaves = snapshot.components.filter((c) => !c.isGroup).map((c) => c.id);
  if (value === undefined) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'components_none' });
  const list = Array.isArray(value) ? value : [value];
  if (list.length > leaves.length) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'enum' });
  const known = new Set(leaves);
  const chosen = new Set<string>();
  for (const id of list) {
    if (typeof id !== 'string' || !known.has(id)) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'enum' });
    chosen.add(id);
  }
  if (chosen.size === 0) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'components_none' });
  if (chosen.size === leaves.length) return null;
  return leaves.filter((id) => chosen.has(id));
}

function parseChannel(value: unknown): PublicChannel {
  if (value === 'email' || value === 'webhook' || value === 'slack') return value;
  throw new KinkyuError('VALIDATION', { field: 'channel', rule: 'enum' });
}

function urlText(value: unknown): string {
  return cleanText(value, 'url', { max: 2048, required: true }) as string;
}

export type SubscribeResult =
  /** Email: the same answer whatever happened (new, pending again, already subscribed, or mail held back). */
  | { channel: 'email' }
  | { channel: 'webhook' | 'slack'; id: string; manageUrl: string; unsubscribeUrl: string; secret: string | null; pending: boolean };

export type ConfirmState = 'ready' | 'confirmed' | 'expired' | 'invalid';

export interface SubscriptionsOptions {
  config: SubscriptionConfig;
  links: SubscriberLinks;
  mailDomain: string;
  publicUrl: string;
  exchangeName: { ja: string; en: string };
  snapshot: () => PageSnapshot | null;
  onMailQueued?: () => void;
  clock?: () => Date;
  /** Name resolution for webhook hosts (tests); default the system resolver. */
  lookup?: Lookup;
}

const WINDOW_MS = 10 * 60_000;

/**
 * Public subscriptions: email with double opt-in, webhooks (signed, SSRF-checked) and Slack incoming webhooks.
 *
 * Email never tells the form's sender whether an address is known: the answer is the same page, and the address
 * gets either a confirmation link or a "you are already subscribed, manage here" mail. A webhook or Slack endpoint
 * with an owner email starts when the owner confirms by mail; without one it starts at once (there is nobody to
 * ask, and the URL itself is the owner's secret).
 */
export class Subscriptions {
  readonly #db: Db;
  readonly #opts: SubscriptionsOptions;
  readonly #clock: () => Date;
  readonly #attempts: RateLimiter;
  readonly #mailsPerAddress: RateLimiter;

  constructor(db: Db, opts: SubscriptionsOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => new Date());
    this.#attempts = new RateLimiter(opts.config.rateLimitPerIp, WINDOW_MS, () => this.#clock().getTime());
    this.#mailsPerAddress = new RateLimiter(opts.config.mailsPerAddress, 60 * 60_000, () => this.#clock().getTime());
  }

  get links(): SubscriberLinks {
    return this.#opts.links;
  }

  #mailContext(lang: Lang): SubscriptionMailContext {
    return { lang, exchangeName: this.#opts.exchangeName[lang], statusUrl: `${this.#opts.publicUrl}/${langQuery(lang)}` };
  }

  #confirmUrl(token: string): string {
    return `${this.#opts.publicUrl}/subscriptions/confirm/${token}`;
  }

  async #mail(tx: Queryable, to: string, lang: Lang, mail: MailText): Promise<void> {
    await enqueueMail(tx, { to, subject: mail.subject, text: mail.text, lang }, { domain: this.#opts.mailDomain });
  }

  #newToken(): { token: string; hash: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: sha256Hex(token), expiresAt: new Date(this.#clock().getTime() + this.#opts.config.confirmHours * 3_600_000) };
  }

  /** Validates everything first (nothing is stored for a refused form), then subscribes. */
  async subscribe(body: Body, meta: { ip: string; pageLang: Lang }): Promise<SubscribeResult> {
    if (!this.#attempts.take(meta.ip)) throw new KinkyuError('RATE_LIMITED', { rule: 'subscribe' });
    const channel = parseChannel(body.channel);
    const lang = parseLang(body.lang, meta.pageLang);
    const components = parseComponents(body.components, this.#opts.snapshot());
    if (channel === 'email') {
      const email = parseEmailAddress(body.email, 'email', true) as string;
      await this.#subscribeEmail(email, { lang, components, ip: meta.ip });
      return { channel: 'email' };
    }
    const url = channel === 'webhook'
      ? await checkWebhookUrl(urlText(body.url), { allowLoopback: this.#opts.config.allowLocalWebhooks, ...(this.#opts.lookup ? { lookup: this.#opts.lookup } : {}) })
      : checkSlackUrl(urlText(body.url), this.#opts.config.slackWebhookPrefix);
    const ownerEmail = parseEmailAddress(body.ownerEmail, 'ownerEmail', false);
    return this.#subscribeEndpoint(channel, url, { lang, components, ownerEmail, ip: meta.ip });
  }

  async #subscribeEmail(email: string, input: { lang: Lang; components: string[] | null; ip: string }): Promise<void> {
    const key = targetKey('email', email);
    // Past the limit an address gets no more mail for a while, and nothing changes; the answer stays the same.
    if (!this.#mailsPerAddress.take(key)) return;
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      const token = this.#newToken();
      let live = await findLiveForUpdate(tx, 'email', key);
      if (!live) {
        const inserted = await insertSubscriber(tx, {
          id: newId(), channel: 'email', target: email, lang: input.lang, components: input.components, secret: null, ownerEmail: null,
          confirmTokenHash: token.hash, confirmExpiresAt: token.expiresAt, confirmedAt: null, ip: input.ip, now,
        });
        // Another request for the same address inserted its row meanwhile (the unique index made this one wait for
        // it): carry on as if that request had come first, so the answer is the same as ever.
        if (!inserted) live = await findLiveForUpdate(tx, 'email', key);
        if (!inserted && !live) return;
      }
      if (live?.confirmedAt) {
        const links = this.#opts.links;
        await this.#mail(tx, live.target, input.lang, alreadySubscribedMail(this.#mailContext(input.lang), { manage: links.manageUrl(live.id), unsubscribe: links.unsubscribeUrl(live.id) }));
        return;
      }
      if (live) {
        await renewPending(tx, live.id, { target: email, lang: input.lang, components: input.components, confirmTokenHash: token.hash, confirmExpiresAt: token.expiresAt, ip: input.ip });
      }
      await this.#mail(tx, email, input.lang, confirmEmailMail(this.#mailContext(input.lang), this.#confirmUrl(token.token), this.#opts.config.confirmHours));
    });
    this.#opts.onMailQueued?.();
  }

  async #subscribeEndpoint(
    channel: 'webhook' | 'slack',
    url: URL,
    input: { lang: Lang; components: string[] | null; ownerEmail: string | null; ip: string },
  ): Promise<SubscribeResult> {
    if (input.ownerEmail && !this.#mailsPerAddress.take(targetKey('email', input.ownerEmail))) throw new KinkyuError('RATE_LIMITED', { rule: 'subscribe' });
    const now = this.#clock();
    const id = newId();
    const secret = channel === 'webhook' ? `whsec_${randomBytes(32).toString('base64url')}` : null;
    const token = input.ownerEmail ? this.#newToken() : null;
    const links = this.#opts.links;
    await this.#db.transaction(async (tx) => {
      const inserted = await insertSubscriber(tx, {
        id, channel, target: url.href, lang: input.lang, components: input.components, secret, ownerEmail: input.ownerEmail,
        confirmTokenHash: token?.hash ?? null, confirmExpiresAt: token?.expiresAt ?? null, confirmedAt: token ? null : now, ip: input.ip, now,
      });
      if (!inserted) throw new KinkyuError('CONFLICT', { rule: 'duplicate_endpoint' });
      if (token && input.ownerEmail) {
        await this.#mail(tx, input.ownerEmail, input.lang, confirmEndpointMail(this.#mailContext(input.lang), {
          kind: channel, host: url.host, link: this.#confirmUrl(token.token), hours: this.#opts.config.confirmHours, manage: links.manageUrl(id),
        }));
      }
    });
    if (token) this.#opts.onMailQueued?.();
    return { channel, id, manageUrl: links.manageUrl(id), unsubscribeUrl: links.unsubscribeUrl(id), secret, pending: token !== null };
  }

  async #byToken(token: unknown): Promise<SubscriberRow | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    return findByConfirmHash(this.#db, sha256Hex(token));
  }

  #confirmState(row: SubscriberRow | null): ConfirmState {
    if (!row || row.unsubscribedAt || row.disabledAt) return 'invalid';
    if (row.confirmedAt) return 'confirmed';
    if (!row.confirmExpiresAt || row.confirmExpiresAt.getTime() <= this.#clock().getTime()) return 'expired';
    return 'ready';
  }

  /** What a confirmation link would do, without doing it (mail scanners open links). */
  async peekConfirmation(token: unknown): Promise<{ state: ConfirmState; row: SubscriberRow | null }> {
    const row = await this.#byToken(token);
    return { state: this.#confirmState(row), row };
  }

  /** Confirms; a second press of the button answers 'confirmed' again. */
  async confirm(token: unknown): Promise<{ state: ConfirmState; row: SubscriberRow | null }> {
    const row = await this.#byToken(token);
    const state = this.#confirmState(row);
    if (state !== 'ready' || !row) return { state, row };
    await this.#db.transaction((tx) => confirmSubscriber(tx, row.id, this.#clock()));
    return { state: 'confirmed', row };
  }

  /** The subscriber behind a signed link, or null — wrong token and unknown id alike, the token checked first. */
  async fromLink(id: string, token: unknown, purpose: LinkPurpose): Promise<SubscriberRow | null> {
    if (!ID.test(id) || !this.#opts.links.verify(id, token, purpose)) return null;
    const row = await findSubscriber(this.#db, id);
    return row && row.channel !== 'x' && row.target !== 'erased' ? row : null;
  }

  async unsubscribe(id: string): Promise<SubscriberRow | null> {
    return unsubscribe(this.#db, id, this.#clock());
  }

  /**
   * From the manage page: set (`code`) or remove (`remove`) the anti-phishing code of an email subscriber. Nothing
   * changes yet: a link goes to the subscriber's address, and the change happens when it is confirmed there (a
   * manage link travels in every status mail and may be forwarded; the mailbox is the subscriber). A refused code
   * changes nothing and sends nothing.
   */
  async requestAntiPhishing(row: SubscriberRow, body: Body): Promise<void> {
    if (row.channel !== 'email' || row.unsubscribedAt || row.disabledAt) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
    const remove = body.remove === '1';
    const code = remove ? null : parseAntiPhishingCode(body.code);
    if (!this.#mailsPerAddress.take(targetKey('email', row.target))) throw new KinkyuError('RATE_LIMITED', { rule: 'subscribe' });
    const token = this.#newToken();
    const link = `${this.#opts.publicUrl}/subscriptions/${encodeURIComponent(row.id)}/anti-phishing/${token.token}`;
    await this.#db.transaction(async (tx) => {
      if (!(await requestAntiPhishingChange(tx, row.id, { code, tokenHash: token.hash, expiresAt: token.expiresAt }))) {
        throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
      }
      await this.#mail(tx, row.target, row.lang, antiPhishingConfirmMail(this.#mailContext(row.lang), { link, hours: this.#opts.config.confirmHours, remove }));
    });
    this.#opts.onMailQueued?.();
  }

  /** What a code-change link would do, without doing it (mail scanners open links); null when it is not good. */
  async peekAntiPhishing(id: string, token: unknown): Promise<{ remove: boolean; lang: Lang } | null> {
    if (!ID.test(id) || typeof token !== 'string' || !TOKEN.test(token)) return null;
    return pendingAntiPhishingChange(this.#db, id, sha256Hex(token), this.#clock());
  }

  /** Confirms the code change behind the link, once. */
  async confirmAntiPhishing(id: string, token: unknown): Promise<boolean> {
    if (!ID.test(id) || typeof token !== 'string' || !TOKEN.test(token)) return false;
    return applyAntiPhishingChange(this.#db, id, sha256Hex(token), this.#clock());
  }

  async updatePreferences(row: SubscriberRow, body: Body): Promise<{ lang: Lang; components: string[] | null }> {
    const prefs = { lang: parseLang(body.lang, row.lang), components: parseComponents(body.components, this.#opts.snapshot()) };
    if (!(await updatePreferences(this.#db, row.id, prefs))) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
    return prefs;
  }
}
