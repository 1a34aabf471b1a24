/**
 * Who a mail is from. One address (MAIL_FROM), a display name per language: an English mail arrives from
 * "Demo Exchange <support@…>", a Japanese one from "デモ取引所 <support@…>".
 */
export type MailLang = 'ja' | 'en';

export interface MailFrom {
  address: string;
  names: Readonly<Record<MailLang, string>>;
  /** The name for mail without a language (queued before mail had one). */
  defaultLang: MailLang;
}

export interface MailFromSettings {
  /** MAIL_FROM: `support@example.com` or `名前 <support@example.com>`. */
  mailFrom: string;
  /** MAIL_FROM_NAME_JA / MAIL_FROM_NAME_EN, when set. */
  mailFromNameJa?: string | undefined;
  mailFromNameEn?: string | undefined;
  exchangeNameJa: string;
  exchangeNameEn: string;
  defaultLang: MailLang;
}

const ANGLE = /^\s*(?:"?([^"<]*?)"?\s*)?<([^<>\s]+@[^<>\s]+)>\s*$/;

/**
 * The names: MAIL_FROM_NAME_JA / _EN when set; else, for Japanese, the display name written in MAIL_FROM, and
 * the exchange's name in that language otherwise.
 */
export function mailFromSettings(s: MailFromSettings): MailFrom {
  const trimmed = s.mailFrom.trim();
  const angle = ANGLE.exec(trimmed);
  const address = angle ? angle[2]! : trimmed;
  const written = angle?.[1]?.trim() || undefined;
  const clean = (name: string | undefined) => name?.replace(/[\r\n"<>]+/g, ' ').trim() || undefined;
  return {
    address,
    names: {
      ja: clean(s.mailFromNameJa) ?? clean(written) ?? clean(s.exchangeNameJa) ?? address,
      en: clean(s.mailFromNameEn) ?? clean(s.exchangeNameEn) ?? address,
    },
    defaultLang: s.defaultLang,
  };
}

/** The From header for a mail in `lang` (nodemailer encodes a Japanese name per RFC 2047). */
export function fromHeader(from: MailFrom, lang: MailLang | null | undefined): { name: string; address: string } {
  return { name: from.names[lang ?? from.defaultLang], address: from.address };
}
