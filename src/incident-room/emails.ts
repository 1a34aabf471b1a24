import type { Queryable } from '../store/db.ts';
import { enqueueMail, notifyMailQueued } from '../mail/outbox.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';
import type { IncidentHead } from './room-repository.ts';

/**
 * The mail a staff member gets when they are given an incident role, or hand one over. Staff have no language
 * of their own: the mail is Japanese first, then English, both with the time in the page's zone (JST).
 */
export interface RoleMail {
  to: string;
  recipientName: string;
  kind: 'assigned' | 'handed_over';
  /** The role's name in each language. */
  role: Readonly<Record<Lang, string>>;
  incident: Pick<IncidentHead, 'id' | 'nameJa' | 'nameEn' | 'severity' | 'type'>;
  /** Who assigned it (or, for a hand-over, who takes it on now). */
  otherName: string;
  at: Date;
}

export interface RoleMailSettings {
  publicUrl: string;
  timeZone: string;
  mailDomain: string;
}

function part(lang: Lang, mail: RoleMail, s: RoleMailSettings): { subject: string; text: string } {
  const incident = (lang === 'en' ? mail.incident.nameEn : null) ?? mail.incident.nameJa;
  const params = {
    name: mail.recipientName, role: mail.role[lang], incident, other: mail.otherName, severity: mail.incident.severity,
    type: t(lang, `type.${mail.incident.type}`), time: formatDateTime(lang, mail.at, s.timeZone),
  };
  const room = `${s.publicUrl}/staff/incidents/${mail.incident.id}/room${lang === 'en' ? '?lang=en' : ''}`;
  const subject = t(lang, mail.kind === 'assigned' ? 'room.mail.assigned.subject' : 'room.mail.handedOver.subject', params);
  const body = t(lang, mail.kind === 'assigned' ? 'room.mail.assigned.body' : 'room.mail.handedOver.body', params);
  return { subject, text: `${body}\n\n${t(lang, 'room.mail.room')}: ${room}` };
}

/** Queues the mail inside the caller's transaction (it exists iff the role change committed). */
export async function queueRoleMail(tx: Queryable, mail: RoleMail, s: RoleMailSettings): Promise<void> {
  const ja = part('ja', mail, s);
  const en = part('en', mail, s);
  await enqueueMail(tx, {
    to: mail.to,
    subject: `${ja.subject} / ${en.subject}`,
    text: `${ja.text}\n\n----- English -----\n\n${en.text}\n`,
    lang: 'ja',
  }, { domain: s.mailDomain });
  await notifyMailQueued(tx);
}
