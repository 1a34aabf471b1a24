import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { formatClock, formatOpening } from '../help/channels.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { toKinkyuError } from '../web/error-handler.ts';

/** What could not be done, and so what the page must say about it. */
export type Unavailable =
  /** The lock itself: nothing was locked (the database did not answer before anything was journalled). */
  | 'lock_not_done'
  /** The lock was journalled but the exchange has not confirmed it: it is retried until it takes effect. */
  | 'lock_pending'
  /** The help center's request for lock links could not be stored: nothing was sent. */
  | 'lock_links_not_sent'
  /** The contact form: the message was not stored (the form keeps what the user wrote). */
  | 'contact_not_saved';

const LEAD: Record<Unavailable, MessageKey> = {
  lock_not_done: 'down.lockNotDone',
  lock_pending: 'down.lockPending',
  lock_links_not_sent: 'down.lockLinksNotSent',
  contact_not_saved: 'down.contactNotSaved',
};

export interface PhoneLine {
  phone: string;
  calendar: BusinessCalendar;
  timeZone: string;
  now: Date;
}

/** The emergency line as the notice shows it: the configured number and the desk's calendar. */
export function phoneLine(phone: string, calendar: BusinessCalendar, now: Date): PhoneLine {
  return { phone, calendar, timeZone: calendar.config.timeZone, now };
}

/** Which dependency an error says is down — the database or the exchange core — or null for any other error. */
export function downDependency(err: unknown): 'database' | 'exchange' | null {
  const code = toKinkyuError(err)?.code;
  return code === 'DATABASE_UNAVAILABLE' ? 'database' : code === 'EXCHANGE_UNAVAILABLE' ? 'exchange' : null;
}

/**
 * The honest answer when a dependency is down: what did and did not happen, what to do instead (the emergency
 * line, and whether it is open right now), and when to try again. Never tells whether an account exists.
 */
export function unavailableNotice(lang: Lang, what: Unavailable, line: PhoneLine): SafeHtml {
  const s = line.calendar.status(line.now);
  const tel = `tel:${line.phone.replace(/[^\d+]/g, '')}`;
  return html`<div class="error-box" role="alert" id="dependency-down">
<p><strong>${t(lang, LEAD[what])}</strong></p>
<p>${t(lang, what === 'lock_pending' ? 'down.pendingRetry' : 'down.retry')}</p>
<p>${t(lang, 'down.phone')} <a href="${tel}">${line.phone}</a></p>
<p class="meta">${s.open
    ? t(lang, 'help.phone.open', { until: formatClock(s.closesAt, line.timeZone, lang) })
    : t(lang, 'help.phone.closed', { when: formatOpening(s.opensAt, line.timeZone, lang) })}</p>
</div>`;
}
