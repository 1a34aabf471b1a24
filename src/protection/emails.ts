import type { LockEffects } from '../exchange/adapter.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import type { LockSource } from './lock-source.ts';

export interface MailText {
  subject: string;
  text: string;
}

/** Sent to the account's address right after a lock: what happened and what comes next. */
export function lockedMail(c: { lang: Lang; exchangeName: string; at: Date; timeZone: string; effects: LockEffects; source: LockSource; ticketNumber?: number | null }): MailText {
  const e = c.effects;
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'lockMail.locked.subject', { exchange }),
    text: t(c.lang, 'lockMail.locked.text', {
      at: formatDateTime(c.lang, c.at, c.timeZone),
      source: t(c.lang, `lockMail.source.${c.source}`),
      sessions: e.sessionsRevoked,
      keys: e.apiKeysRevoked,
      withdrawals: e.withdrawalsCancelled,
      caseRef: c.ticketNumber ? t(c.lang, 'lockMail.caseRef', { number: c.ticketNumber }) : '',
      signature: t(c.lang, 'lockMail.signature', { exchange }),
    }),
  };
}

/** A one-time lock link (from the help center, or in a security notice). */
export function lockLinkMail(c: { lang: Lang; exchangeName: string; link: string; reason: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'lockMail.link.subject', { exchange }),
    text: t(c.lang, 'lockMail.link.text', { link: c.link, signature: t(c.lang, 'lockMail.signature', { exchange }) }),
  };
}
