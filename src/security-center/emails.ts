import type { MailText } from '../protection/emails.ts';
import { formatDateTime, t, type Lang } from '../web/i18n.ts';

export type SecurityNotice = 'new_sign_in' | 'password_changed' | 'totp_changed' | 'email_changed' | 'withdrawal_address_added' | 'withdrawal_requested' | 'emergency_contact_changed' | 'recovery_codes_regenerated'
  | 'passkey_added' | 'passkey_removed' | 'anti_phishing_changed' | 'settings_locked';

/** "{exchange} サポート" / "{exchange} Support", the last line of every mail. */
const signature = (lang: Lang, exchange: string): string => t(lang, 'lockMail.signature', { exchange });

/**
 * A security notice: what happened, when and from where, and the one-time "this wasn't me — lock my account"
 * link, which works without signing in and without the password.
 */
export function securityNoticeMail(c: {
  lang: Lang;
  exchangeName: string;
  kind: SecurityNotice;
  at: Date;
  /** The exchange's time zone: times read "2026年12月7日 02:39 JST" / "Dec 7, 2026, 02:39 JST". */
  timeZone: string;
  details: Array<[string, string]>;
  lockLink: string;
  holdUntil?: Date | null;
}): MailText {
  const exchange = c.exchangeName;
  const what = t(c.lang, `securityMail.what.${c.kind}`);
  return {
    subject: t(c.lang, 'securityMail.notice.subject', { exchange, what }),
    text: t(c.lang, 'securityMail.notice.text', {
      what,
      at: formatDateTime(c.lang, c.at, c.timeZone),
      details: c.details.map(([k, v]) => `  ${k}: ${v}`).join('\n'),
      hold: c.holdUntil ? t(c.lang, 'securityMail.notice.hold', { holdUntil: formatDateTime(c.lang, c.holdUntil, c.timeZone) }) : '',
      lockLink: c.lockLink,
      signature: signature(c.lang, exchange),
    }),
  };
}

/** The code that verifies an emergency contact address. */
export function contactVerificationMail(c: { lang: Lang; exchangeName: string; code: string; account: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.contact.subject', { exchange }),
    text: t(c.lang, 'securityMail.contact.text', { account: c.account, code: c.code, signature: signature(c.lang, exchange) }),
  };
}

/** The "forgot my password" link, with the lock link for whoever did not ask for it. */
export function passwordResetMail(c: { lang: Lang; exchangeName: string; resetLink: string; lockLink: string; minutes: number }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.reset.subject', { exchange }),
    text: t(c.lang, 'securityMail.reset.text', {
      minutes: c.minutes, resetLink: c.resetLink, lockLink: c.lockLink, signature: signature(c.lang, exchange),
    }),
  };
}

/** The one-time code asked for at sign-in when detection saw something unusual and there is no authenticator. */
export function stepUpCodeMail(c: { lang: Lang; exchangeName: string; code: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.stepUp.subject', { exchange }),
    text: t(c.lang, 'securityMail.stepUp.text', { code: c.code, signature: signature(c.lang, exchange) }),
  };
}

/** A sensitive change in the security center needs one more check, and the account has no authenticator. */
export function actionCodeMail(c: { lang: Lang; exchangeName: string; code: string; minutes: number; lockLink: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.actionCode.subject', { exchange }),
    text: t(c.lang, 'securityMail.actionCode.text', { minutes: c.minutes, code: c.code, lockLink: c.lockLink, signature: signature(c.lang, exchange) }),
  };
}

/** To the new address of an email change: the link that confirms it. */
export function emailChangeConfirmMail(c: { lang: Lang; exchangeName: string; link: string; minutes: number }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.emailConfirm.subject', { exchange }),
    text: t(c.lang, 'securityMail.emailConfirm.text', { exchange, minutes: c.minutes, link: c.link, signature: signature(c.lang, exchange) }),
  };
}

/** To an address that already belongs to an account, when another account asked to move to it. Nothing changes. */
export function emailChangeTakenMail(c: { lang: Lang; exchangeName: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'securityMail.emailTaken.subject', { exchange }),
    text: t(c.lang, 'securityMail.emailTaken.text', { exchange, signature: signature(c.lang, exchange) }),
  };
}
