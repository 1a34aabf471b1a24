/**
 * The exchange's support channels (seed §2) and which one fits which need. Every name, address, number and
 * the phone hours come from configuration; the phone line itself (hours, "open now" from the support desk's
 * BusinessCalendar, what to do while it is closed) is one component, src/web/phone-line.ts.
 */
import type { Config } from '../config.ts';

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
    tradeHistoryUrl: config.tradeHistoryUrl,
    policeCyberUrl: config.policeCyberUrl,
  };
}

function xHandle(url: string): string {
  const m = /^https?:\/\/(?:www\.)?(?:x|twitter)\.com\/([A-Za-z0-9_]{1,30})\/?$/.exec(url.trim());
  return m ? `@${m[1]}` : 'X';
}
