import { html, type SafeHtml } from './html.ts';
import { t, type Lang, type MessageKey } from './i18n.ts';

/** The suffixes of the `guard.*` messages (the anti-phishing code and the settings lock, messages/guard.*.ts). */
export type GuardMessage = Extract<MessageKey, `guard.${string}`> extends `guard.${infer K}` ? K : never;

/** A `guard.*` message, typed: a key that does not exist is a type error. */
export const guardText = (lang: Lang, key: GuardMessage, params: Record<string, string | number> = {}): string => t(lang, `guard.${key}`, params);

/**
 * The anti-phishing code as it opens a mail: the code on its own line, then what it means, then a blank line
 * before the mail itself. The same words in every mail (security mail, tickets, notices, status updates).
 */
export function antiPhishingText(lang: Lang, code: string): string {
  return `${t(lang, 'guard.mail.code', { code })}\n${t(lang, 'guard.mail.hint')}\n\n`;
}

/** The same for an HTML mail; the code is escaped like any other text (it is also refused with < > & " ' `). */
export function antiPhishingHtml(lang: Lang, code: string): SafeHtml {
  return html`<p style="margin:0 0 12px;padding:8px 12px;border:1px solid #888;font-size:14px"><strong>${t(lang, 'guard.mail.code', { code })}</strong><br>${t(lang, 'guard.mail.hint')}</p>`;
}

/** Puts the code at the top of a plain-text body (no code: the body as it is). */
export function withAntiPhishingText(lang: Lang, code: string | null | undefined, text: string): string {
  return code ? antiPhishingText(lang, code) + text : text;
}
