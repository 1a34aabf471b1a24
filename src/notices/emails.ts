import type { MailText } from '../protection/emails.ts';
import { formatDateTime, type Lang } from '../web/i18n.ts';
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
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Please review and accept the new terms of service by ${deadline}`,
      text: `We have revised our terms of service (version ${c.label}, in force from ${effective}).\n` +
        `Please read the changes and accept them by ${deadline}. Until you do, you will be asked to accept them when you sign in.\n\n` +
        `What changes, in short:\n${c.summary}\n\n` +
        `Read the changes against the previous version:\n${c.diffUrl}\n\n` +
        `Accept the new terms (no sign-in needed; the link works once, until ${expires}):\n${c.ackUrl}\n\n` +
        `You can also sign in and accept them there: ${c.loginUrl}\n` +
        `We never ask for your password or 2FA codes by email.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] 利用規約改定への同意のお願い (期限: ${deadline})`,
    text: `利用規約を改定しました (版: ${c.label}、${effective} から適用)。\n` +
      `${deadline} までに変更内容をご確認のうえ、同意をお願いします。同意いただくまでは、ログイン時に同意の画面が表示されます。\n\n` +
      `主な変更点:\n${c.summary}\n\n` +
      `旧版との違いはこちらで確認できます:\n${c.diffUrl}\n\n` +
      `新しい利用規約に同意する (ログイン不要・1回限り有効・${expires} まで):\n${c.ackUrl}\n\n` +
      `ログインして同意することもできます: ${c.loginUrl}\n` +
      `当社がメールでパスワードや二段階認証のコードをお尋ねすることはありません。\n\n${c.exchangeName} サポート`,
  };
}
