import type { TicketType } from '../domain/ticket.ts';
import { t, type Lang } from '../web/i18n.ts';

/** The emails the desk sends, in the ticket's language. Plain text: no markup from user text can run anywhere. */
export interface MailText {
  subject: string;
  text: string;
}

export interface MailContext {
  lang: Lang;
  exchangeName: string;
  /** The ticket number, or the placeholder the intake statement fills in. */
  number: string;
  link: string;
}

const footer = (c: MailContext) => t(c.lang, 'deskMail.footer', { link: c.link, exchange: c.exchangeName });
const subject = (c: MailContext, key: 'deskMail.received.subject' | 'deskMail.reply.subject' | 'deskMail.solved.subject') =>
  t(c.lang, key, { exchange: c.exchangeName, number: c.number });

export function confirmationMail(
  c: MailContext,
  ticket: { type: TicketType; phone: string; phoneHours: string },
  incidentUpdate: string | null,
): MailText {
  const lines: string[] = [t(c.lang, 'deskMail.received.lead', { number: c.number })];
  if (ticket.type === 'security') {
    const steps = t(c.lang, 'deskMail.securitySteps');
    lines.push(t(c.lang, 'deskMail.received.security', { steps, phone: ticket.phone, hours: ticket.phoneHours }));
  }
  if (incidentUpdate) lines.push(t(c.lang, 'deskMail.received.incident', { update: incidentUpdate }));
  // The user's own text is not quoted: anyone can type any address into the form, and this mail must not
  // carry a stranger's words (a phishing link) under the exchange's name. It is on the ticket page.
  lines.push(t(c.lang, 'deskMail.received.messageOnPage'));
  return { subject: subject(c, 'deskMail.received.subject'), text: lines.join('\n') + footer(c) };
}

export function replyMail(c: MailContext, body: string): MailText {
  return { subject: subject(c, 'deskMail.reply.subject'), text: body + footer(c) };
}

export function solvedMail(c: MailContext, body: string): MailText {
  return { subject: subject(c, 'deskMail.solved.subject'), text: body + t(c.lang, 'deskMail.solved.reopen') + footer(c) };
}
