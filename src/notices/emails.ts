import type { MailText } from '../protection/emails.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import { formatDay } from './days.ts';

/**
 * The reminder before the acknowledgement deadline: what changed in short, where to read the changes, and a
 * one-time link to agree without signing in. It never asks for a password.
 */
export function termsReminderMail(c: {
  lang: Lang;
  exchangeName: string;
  label: string;
  effectiveFrom: string;
  deadline: string;
  summary: string;
  diffUrl: string;
  ackUrl: string;
  loginUrl: string;
  linkExpires: Date;
  /** The exchange's time zone, for the link's expiry. */
  timeZone: string;
}): MailText {
  const expires = formatDateTime(c.lang, c.linkExpires, c.timeZone);
  const deadline = formatDay(c.lang, c.deadline);
  const effective = formatDay(c.lang, c.effectiveFrom);
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'termsMail.subject', { exchange, deadline }),
    text: t(c.lang, 'termsMail.text', {
      exchange, deadline, effective, expires, label: c.label, summary: c.summary, diffUrl: c.diffUrl, ackUrl: c.ackUrl, loginUrl: c.loginUrl,
    }),
  };
}
