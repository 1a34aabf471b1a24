import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import type { MailText } from './emails.ts';

export interface RecoveredItem {
  kind: 'withdrawal_address' | 'api_key';
  label: string;
  createdAt: Date | null;
}

export interface UnlockMailInput {
  lang: Lang;
  exchangeName: string;
  timeZone: string;
  unlockedAt: Date;
  /** The approving staff member's role: the mail names the role, never the person. */
  approverRole: string | null;
  windowStartsAt: Date;
  lockedAt: Date;
  removed: RecoveredItem[];
  kept: RecoveredItem[];
  /** The address the unlock took off the account, setting back the one before the window (this mail's recipient). */
  emailRestoredFrom: string | null;
  /** The address given in the window that the requester kept after checking with the owner. */
  emailKept: string | null;
  /** Null when kinkyu holds no credentials for the account (the exchange's own sign-in then applies). */
  resetLink: string | null;
  resetHours: number;
  lockLink: string | null;
}

const ROLES: Record<string, 'unlockMail.role.security' | 'unlockMail.role.admin'> = {
  security: 'unlockMail.role.security',
  admin: 'unlockMail.role.admin',
};

/**
 * The email after a staff unlock: that the account is open again and who opened it (by role), what the recovery
 * removed of what was added while the account was in the wrong hands, and what the owner does next — set a new
 * password from the one-time link, then set up two-factor authentication again. Times in the user's language
 * and the exchange's time zone.
 */
export function unlockMail(c: UnlockMailInput): MailText {
  const lang = c.lang;
  const when = (d: Date) => formatDateTime(lang, d, c.timeZone);
  const item = (i: RecoveredItem) => `  - ${i.label}${i.createdAt ? t(lang, 'unlockMail.itemAdded', { when: when(i.createdAt) }) : ''}`;
  const listed = (items: RecoveredItem[], headings: Record<RecoveredItem['kind'], MessageKey>) =>
    (['withdrawal_address', 'api_key'] as const)
      .map((kind) => ({ heading: t(lang, headings[kind]), lines: items.filter((i) => i.kind === kind).map(item) }))
      .filter((g) => g.lines.length)
      .map((g) => `${g.heading}\n${g.lines.join('\n')}`)
      .join('\n');
  const window = { from: when(c.windowStartsAt), locked: when(c.lockedAt) };
  const removed = c.removed.length
    ? t(lang, 'unlockMail.removed', { ...window, list: listed(c.removed, { withdrawal_address: 'unlockMail.removed.addresses', api_key: 'unlockMail.removed.keys' }) })
    : t(lang, 'unlockMail.nothingRemoved', window);
  const email = c.emailRestoredFrom ? t(lang, 'unlockMail.emailRestored', { address: c.emailRestoredFrom }) : '';
  const keptLines = [
    c.kept.length ? listed(c.kept, { withdrawal_address: 'unlockMail.kept.addresses', api_key: 'unlockMail.kept.keys' }) : '',
    c.emailKept ? t(lang, 'unlockMail.kept.email', { address: c.emailKept }) : '',
  ].filter(Boolean);
  const kept = keptLines.length ? t(lang, 'unlockMail.kept', { list: keptLines.join('\n') }) : '';
  const steps = [
    c.resetLink ? t(lang, 'unlockMail.step.resetLink', { hours: c.resetHours, link: c.resetLink }) : t(lang, 'unlockMail.step.reset'),
    t(lang, 'unlockMail.step.twoFactor'),
    t(lang, 'unlockMail.step.check'),
  ];
  const role = t(lang, (c.approverRole && ROLES[c.approverRole]) || 'unlockMail.role.other');
  return {
    subject: t(lang, 'unlockMail.subject', { exchange: c.exchangeName }),
    text: t(lang, 'unlockMail.lead', { when: when(c.unlockedAt), role }) +
      `${removed}${email}${kept}` + t(lang, 'unlockMail.next') + steps.map((step, i) => `${i + 1}. ${step}`).join('\n') + '\n\n' +
      (c.lockLink ? t(lang, 'unlockMail.relock', { link: c.lockLink }) : '') +
      t(lang, 'lockMail.signature', { exchange: c.exchangeName }),
  };
}

export interface EmailRestoreMailInput {
  lang: Lang;
  exchangeName: string;
  timeZone: string;
  at: Date;
}

/**
 * To the address a recovery took off the account. It was most likely the attacker's: the mail carries no link
 * (no lock link, no new-password link), names neither the account nor the address restored, and only says that
 * mail about the account no longer comes here — so that an owner who did change it can still ask support.
 */
export function emailReplacedMail(c: EmailRestoreMailInput): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'emailReplacedMail.subject', { exchange }),
    text: t(c.lang, 'emailReplacedMail.text', { when: formatDateTime(c.lang, c.at, c.timeZone), exchange, signature: t(c.lang, 'lockMail.signature', { exchange }) }),
  };
}

/** To the address staff set back (outside the unlock, whose own email says it): mail comes here again. */
export function emailRestoredMail(c: EmailRestoreMailInput & { replaced: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'emailRestoredMail.subject', { exchange }),
    text: t(c.lang, 'emailRestoredMail.text', { when: formatDateTime(c.lang, c.at, c.timeZone), replaced: c.replaced, exchange, signature: t(c.lang, 'lockMail.signature', { exchange }) }),
  };
}
