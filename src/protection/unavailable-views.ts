import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { toKinkyuError } from '../web/error-handler.ts';
import { phoneLineBlock, type InsteadStep, type PhoneLine } from '../web/phone-line.ts';

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
  // With the database down neither the lock nor the form can take anything; with only the exchange down, the form can.
  const instead: readonly InsteadStep[] = what === 'lock_pending' ? ['form', 'police'] : ['police'];
  return html`<div class="error-box" role="alert" id="dependency-down">
<p><strong>${t(lang, LEAD[what])}</strong></p>
<p>${t(lang, what === 'lock_pending' ? 'down.pendingRetry' : 'down.retry')}</p>
<p>${t(lang, 'down.phone')}</p>
${phoneLineBlock(lang, line, { instead, id: 'dependency-down-phone' })}
</div>`;
}
