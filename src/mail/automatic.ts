/**
 * Headers of mail that no person wrote (confirmations, security notices, reminders, status updates):
 * - `Auto-Submitted: auto-generated` (RFC 3834): auto-responders and vacation replies must not answer it, and
 *   mail loops between two robots stop;
 * - `X-Auto-Response-Suppress: OOF, AutoReply`: the same asked of Microsoft Exchange / Outlook, which do not read
 *   RFC 3834. Bounces (NDRs) are not suppressed: they are how a dead address is noticed.
 * Mail a staff member wrote (a ticket reply) carries neither.
 */
export const AUTOMATIC_MAIL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Auto-Submitted': 'auto-generated',
  'X-Auto-Response-Suppress': 'OOF, AutoReply',
});

/** Who wrote a mail: the system, or a person (a staff reply, sent as written). */
export type MailOrigin = 'automatic' | 'staff';

export function originHeaders(origin: MailOrigin): Record<string, string> {
  return origin === 'automatic' ? { ...AUTOMATIC_MAIL_HEADERS } : {};
}
