import { ja } from './messages/ja.ts';
import { en } from './messages/en.ts';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];
export type MessageKey = keyof typeof ja;
export type Messages = Record<MessageKey, string>;
/** The rest of every key that starts with `prefix.`: a view can take `KeysUnder<'recovery'>` and call t() with `recovery.${key}`, checked. */
export type KeysUnder<P extends string> = MessageKey extends infer K ? (K extends `${P}.${infer Rest}` ? Rest : never) : never;

const CATALOGUES: Record<Lang, Messages> = { ja, en };

/** A message in `lang`, with {name} placeholders filled from `params`. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = CATALOGUES[lang][key] ?? CATALOGUES.ja[key];
  if (!template.includes('{')) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/**
 * A value kept in both languages by staff or configuration (a component's name, an update's body): the English
 * one when the reader reads English and it exists, otherwise the Japanese one (Japanese is always written).
 */
export function localized<T>(lang: Lang, ja: T, en: T | null | undefined): T {
  return lang === 'en' && en !== null && en !== undefined ? en : ja;
}

/** Items joined as a list is written in `lang`: 「A、B」 / "A, B". */
export function joinList(lang: Lang, items: readonly string[]): string {
  return items.join(t(lang, 'list.separator'));
}

/** Items joined as a sentence lists them in `lang`, the last one set apart: 「A、B、C」 / "A, B and C". */
export function joinListAnd(lang: Lang, items: readonly string[]): string {
  if (items.length < 2) return items.join('');
  return joinList(lang, items.slice(0, -1)) + t(lang, 'list.lastSeparator') + items[items.length - 1];
}

/** The BCP 47 locale Intl formatters use for `lang`. */
export const intlLocale = (lang: Lang): string => (lang === 'ja' ? 'ja-JP' : 'en-US');

/**
 * Words for a key built from stored or incoming data (a rule name, a source kept in the database): the message when
 * the catalogue has it, otherwise `fallback` as stored — never a raw key on a page.
 */
export function known(lang: Lang, key: string, fallback: string, params: Record<string, string | number> = {}): string {
  return hasMessage(key) ? t(lang, key, params) : fallback;
}

export function hasMessage(key: string): key is MessageKey {
  return key in ja;
}

const acceptCache = new Map<string, Lang>();

/**
 * The language for a request: an explicit ?lang= wins, then the best of Accept-Language, then Japanese.
 * Results are memoised per header value: in a surge the same few headers arrive thousands of times.
 */
export function pickLang(queryLang: string | null | undefined, acceptLanguage: string | undefined, fallback: Lang = 'ja'): Lang {
  if (queryLang === 'ja' || queryLang === 'en') return queryLang;
  if (!acceptLanguage) return fallback;
  const cacheKey = `${fallback}|${acceptLanguage}`;
  const cached = acceptCache.get(cacheKey);
  if (cached) return cached;
  let best: Lang = fallback;
  let bestQ = -1;
  for (const part of acceptLanguage.slice(0, 512).split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    const base = tag.split('-')[0];
    if ((base === 'ja' || base === 'en') && Number.isFinite(q) && q > bestQ) {
      best = base;
      bestQ = q;
    }
  }
  if (acceptCache.size > 1000) acceptCache.clear();
  acceptCache.set(cacheKey, best);
  return best;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** "2026年11月25日 19:46 JST" / "Nov 25, 2026, 19:46 JST", in the page's time zone. */
export function formatDateTime(lang: Lang, date: Date, timeZone: string): string {
  const key = `${lang}|${timeZone}`;
  let fmt = dateTimeFormats.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(intlLocale(lang), {
      timeZone,
      year: 'numeric',
      month: lang === 'ja' ? 'long' : 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    dateTimeFormats.set(key, fmt);
  }
  if (lang === 'ja') return fmt.format(date);
  // English formatters name few zones ("GMT+9" for Tokyo); use the Japanese short name ("JST") instead.
  return fmt
    .formatToParts(date)
    .map((p) => (p.type === 'timeZoneName' ? zoneLabel(date, timeZone) : p.value))
    .join('');
}

function zoneLabel(date: Date, timeZone: string): string {
  const key = `ja|${timeZone}|zone`;
  let fmt = dateTimeFormats.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('ja-JP', { timeZone, timeZoneName: 'short' });
    dateTimeFormats.set(key, fmt);
  }
  return fmt.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}
