/** The signed-in user's preparedness checklist (seed §4): each item's state and the control that fixes it. */
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { Db } from '../store/db.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { preparednessRow } from './user-credentials-repository.ts';

export interface UserPreparedness {
  items: Array<{ key: string; done: boolean; fix: SafeHtml }>;
  score: number;
}

export interface CenterPreparedness extends UserPreparedness {
  contact: string | null;
  contactVerified: boolean;
  totpEnabled: boolean;
  passkeys: number;
}

/** What the user can declare themselves (the rest the security center knows). */
export const DECLARATIONS = ['privateKeyBackup', 'bookmarked', 'faqRead'] as const;
type Declaration = (typeof DECLARATIONS)[number];

const ITEMS = {
  passkey: 'user.prep.passkey', totp: 'user.prep.totp', password: 'user.prep.password', contact: 'user.prep.contact', recovery: 'user.prep.recovery',
  allowlist: 'user.prep.allowlist', privateKeyBackup: 'user.prep.privateKeyBackup', bookmarked: 'user.prep.bookmarked', faqRead: 'user.prep.faqRead',
} as const satisfies Record<string, MessageKey>;
const DECLARE_LABELS = {
  privateKeyBackup: 'user.prep.privateKeyBackup.fix', bookmarked: 'user.prep.bookmarked.fix', faqRead: 'user.prep.faqRead.fix',
} as const satisfies Record<Declaration, MessageKey>;

/** The checklist line of an item. */
export const preparednessLabel = (lang: Lang, key: string): string => (Object.hasOwn(ITEMS, key) ? t(lang, ITEMS[key as keyof typeof ITEMS]) : key);

export async function preparedness(db: Db, config: Config, now: number, lang: Lang, s: { accountId: string }, csrf: SafeHtml): Promise<CenterPreparedness> {
  const c = await preparednessRow(db, s.accountId);
  if (!c) throw new KinkyuError('NOT_FOUND', { what: 'account' });
  const decl = (typeof c.declarations === 'string' ? JSON.parse(c.declarations) : c.declarations) as Record<string, boolean>;
  const button = (action: string, label: string, extra: SafeHtml | string = '') =>
    html`<form method="post" action="${action}" class="inline">${csrf}${extra}<button type="submit" class="secondary">${label}</button></form>`;
  const declare = (item: Declaration) => button('/account/declare', t(lang, DECLARE_LABELS[item]), html`<input type="hidden" name="item" value="${item}">`);
  const passkeys = Number(c.passkeys);
  // A passkey is the strongest factor: it counts as two-factor authentication and, phishing-resistant, once more.
  const items: UserPreparedness['items'] = [
    { key: 'passkey', done: passkeys > 0, fix: html`<a href="/account/passkeys">${t(lang, 'user.prep.passkey.fix')}</a>` },
    { key: 'totp', done: c.totp_enabled_at !== null || passkeys > 0, fix: html`<a href="/account/2fa">${t(lang, 'user.prep.totp.fix')}</a>` },
    { key: 'password', done: now - new Date(c.password_changed_at).getTime() < 365 * 86_400_000, fix: html`<a href="/account#password">${t(lang, 'user.prep.password.fix')}</a>` },
    { key: 'contact', done: c.emergency_contact_verified_at !== null, fix: html`<a href="/account#contact">${t(lang, 'user.prep.contact.fix')}</a>` },
    { key: 'recovery', done: c.recovery_codes_saved_at !== null, fix: button('/account/recovery-codes', t(lang, 'user.prep.recovery.fix')) },
    { key: 'allowlist', done: c.allowlist_enabled, fix: button('/account/allowlist', t(lang, 'user.prep.allowlist.fix')) },
    { key: 'privateKeyBackup', done: decl.privateKeyBackup === true, fix: declare('privateKeyBackup') },
    { key: 'bookmarked', done: decl.bookmarked === true, fix: declare('bookmarked') },
    { key: 'faqRead', done: decl.faqRead === true, fix: html`<a href="${config.faqUrl}" rel="noopener">${t(lang, 'user.prep.faqRead.open')}</a> ${declare('faqRead')}` },
  ];
  return { items, score: items.filter((i) => i.done).length, contact: c.emergency_contact, contactVerified: c.emergency_contact_verified_at !== null, totpEnabled: c.totp_enabled_at !== null, passkeys };
}
