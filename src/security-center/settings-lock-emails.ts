import type { MailText } from '../protection/emails.ts';
import { guardText } from '../web/anti-phishing.ts';
import { formatDateTime, type Lang } from '../web/i18n.ts';

/**
 * To the account's address when an early lift of the settings lock is asked for: when it takes effect (after the
 * waiting period), from which device, and the one-time "this wasn't me — lock my account" link.
 */
export function settingsLockLiftMail(c: {
  lang: Lang;
  exchangeName: string;
  /** When the lift was asked for. */
  at: Date;
  /** When the lock ends (after the waiting period). */
  liftAt: Date;
  hours: number;
  timeZone: string;
  device: string;
  ip: string;
  lockLink: string;
}): MailText {
  const params = {
    exchange: c.exchangeName,
    at: formatDateTime(c.lang, c.at, c.timeZone),
    liftAt: formatDateTime(c.lang, c.liftAt, c.timeZone),
    hours: c.hours,
    device: c.device,
    ip: c.ip,
    lockLink: c.lockLink,
  };
  return { subject: guardText(c.lang, 'liftMail.subject', params), text: guardText(c.lang, 'liftMail.body', params) };
}
