/**
 * The exchange's support channels (seed §2) and which one fits which need. Every name, address, number and
 * the phone hours come from configuration; the phone line's "open now" comes from the support desk's
 * BusinessCalendar, so the help center and the desk never disagree about the hours.
 */
import type { Config } from '../config.ts';
import type { Lang } from '../web/i18n.ts';

export type ChannelId = 'status' | 'x' | 'faq' | 'form' | 'phone';

/** What the user needs right now; each need has its own channels, in the order to try them. */
export type Need = 'urgent_security' | 'status' | 'question' | 'self_help';

const ROUTES: Record<Need, readonly ChannelId[]> = {
  // The phone is for urgent security cases only: it is never offered for anything else.
  urgent_security: ['phone', 'form'],
  status: ['status', 'x'],
  question: ['form'],
  self_help: ['faq'],
};

export function channelsFor(need: Need): readonly ChannelId[] {
  return ROUTES[need];
}

export interface Channels {
  statusUrl: string;
  officialXUrl: string;
  /** "@bitbank_cc" from the X address, for display. */
  officialXHandle: string;
  /** The help articles (ours when the knowledge base runs, otherwise the exchange's FAQ_URL). */
  faqUrl: string;
  /** Our contact form: it takes the emergency type as `?category=`. */
  formUrl: string;
  phone: string;
  /** "tel:0367211100". */
  phoneHref: string;
  tradeHistoryUrl: string;
  policeCyberUrl: string;
}

export function channelsFromConfig(config: Config, opts: { ownArticles: boolean }): Channels {
  return {
    statusUrl: '/',
    officialXUrl: config.officialXUrl,
    officialXHandle: xHandle(config.officialXUrl),
    faqUrl: opts.ownArticles ? '/help/articles' : config.faqUrl,
    formUrl: '/contact',
    phone: config.supportPhone,
    phoneHref: `tel:${config.supportPhone.replace(/[^\d+]/g, '')}`,
    tradeHistoryUrl: config.tradeHistoryUrl,
    policeCyberUrl: config.policeCyberUrl,
  };
}

function xHandle(url: string): string {
  const m = /^https?:\/\/(?:www\.)?(?:x|twitter)\.com\/([A-Za-z0-9_]{1,30})\/?$/.exec(url.trim());
  return m ? `@${m[1]}` : 'X';
}

/** What to do while the phone line is closed, in this order (seed §2, §3.2). */
export const WHEN_PHONE_CLOSED = ['lock', 'form', 'police'] as const;

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function wallClock(date: Date, timeZone: string, lang: Lang): { weekday: string; month: string; day: string; time: string } {
  const key = `${lang}|${timeZone}`;
  let fmt = partsFormats.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-US', {
      timeZone,
      weekday: 'short',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    partsFormats.set(key, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
  return { weekday: parts.weekday ?? '', month: parts.month ?? '', day: parts.day ?? '', time: `${Number(parts.hour)}:${parts.minute}` };
}

/** "18:00" in the calendar's zone. */
export function formatClock(date: Date, timeZone: string, lang: Lang): string {
  return wallClock(date, timeZone, lang).time;
}

/** "12月1日(月) 9:00" / "Mon 12/1 9:00", in the calendar's zone. */
export function formatOpening(date: Date, timeZone: string, lang: Lang): string {
  const w = wallClock(date, timeZone, lang);
  return lang === 'ja' ? `${w.month}月${w.day}日(${w.weekday}) ${w.time}` : `${w.weekday} ${w.month}/${w.day} ${w.time}`;
}
