/**
 * The emergency phone line, as every page that offers it shows it: the number (a tel: link), the hours, whether
 * it is open right now by the support desk's calendar and the injected clock, and — when it is closed — when it
 * opens again, why it is closed, and what to do meanwhile, as links, in order. One component, so the help
 * center, the lock pages, the security center, the contact form and the ticket page never disagree.
 */
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { phoneHoursText } from './phone-hours.ts';
import { html, type SafeHtml } from './html.ts';
import { t, type Lang, type MessageKey, intlLocale, localized } from './i18n.ts';
import { langHref } from './links.ts';

export interface PhoneLine {
  phone: string;
  calendar: BusinessCalendar;
  /** The request's instant, from the application's (injectable) clock. */
  now: Date;
  /** The police's cyber-crime consultation page (POLICE_CYBER_URL). */
  policeUrl: string;
}

/** The line as configured: SUPPORT_PHONE, the desk's calendar, POLICE_CYBER_URL, at `now`. */
export function phoneLine(config: { supportPhone: string; policeCyberUrl: string }, calendar: BusinessCalendar, now: Date): PhoneLine {
  return { phone: config.supportPhone, calendar, now, policeUrl: config.policeCyberUrl };
}

/** What to do while the line is closed (seed §2, §3.2): lock first, then the form, then the police. */
export type InsteadStep = 'lock' | 'form' | 'police';
export const WHEN_PHONE_CLOSED: readonly InsteadStep[] = ['lock', 'form', 'police'];

export interface PhoneLineOptions {
  /**
   * The steps offered while the line is closed, in this order (default: all three). A page drops what it is
   * itself or what cannot help (the lock page does not offer the lock; with the database down, neither works).
   */
  instead?: readonly InsteadStep[];
  /** Where the lock step goes (default `/help/lock`; the security center's lock for a signed-in user). */
  lockHref?: string;
  /** The contact form's category for the form step (default `security`). */
  formCategory?: string;
  /** The element id (default `phone-line`): a page with two blocks needs two ids. */
  id?: string;
}

export const telHref = (phone: string) => `tel:${phone.replace(/[^\d+]/g, '')}`;

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function wallClock(date: Date, timeZone: string, lang: Lang): { weekday: string; month: string; day: string; time: string } {
  const key = `${lang}|${timeZone}`;
  let fmt = partsFormats.get(key);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat(intlLocale(lang), {
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
  return t(lang, 'time.opening', w);
}

const REASONS: Record<'national_holiday' | 'year_end' | 'weekend' | 'extra', MessageKey> = {
  national_holiday: 'help.phone.reason.national_holiday',
  year_end: 'help.phone.reason.year_end',
  weekend: 'help.phone.reason.weekend',
  extra: 'help.phone.reason.extra',
};

/** Whether the line is open now, in words: "受付中 (18:00 まで)" or "受付時間外です。次の受付開始: 11月24日(火) 9:00" and why. */
export function phoneLineStatus(lang: Lang, line: PhoneLine): SafeHtml {
  const zone = line.calendar.config.timeZone;
  const s = line.calendar.status(line.now);
  if (s.open) return html`<p class="phone-open">${t(lang, 'help.phone.open', { until: formatClock(s.closesAt, zone, lang) })}</p>`;
  const reason = s.reason.kind === 'outside_hours'
    ? null
    : t(lang, REASONS[s.reason.kind], s.reason.kind === 'national_holiday' ? { name: localized(lang, s.reason.name, s.reason.nameEn) } : {});
  return html`<p class="phone-closed">${t(lang, 'help.phone.closed', { when: formatOpening(s.opensAt, zone, lang) })}</p>
${reason ? html`<p>${reason}</p>` : ''}`;
}

/** The phone line block (see the top of this file). */
export function phoneLineBlock(lang: Lang, line: PhoneLine, opts: PhoneLineOptions = {}): SafeHtml {
  const open = line.calendar.isOpen(line.now);
  const instead = opts.instead ?? WHEN_PHONE_CLOSED;
  const step: Record<InsteadStep, (first: boolean) => SafeHtml> = {
    lock: () => html`<li><a href="${opts.lockHref ?? langHref(lang, '/help/lock')}">${t(lang, 'help.phone.closed.lock')}</a></li>`,
    form: (first) => html`<li><a href="${langHref(lang, '/contact', { category: opts.formCategory ?? 'security' })}">${t(lang, first ? 'help.phone.closed.formOnly' : 'help.phone.closed.form')}</a></li>`,
    police: () => html`<li><a href="${line.policeUrl}" rel="noopener">${t(lang, 'help.phone.closed.police')}</a><p class="hint">${t(lang, 'help.police.advice')}</p></li>`,
  };
  return html`<div class="phone-line" id="${opts.id ?? 'phone-line'}">
<p><strong>${t(lang, 'help.phone.title')}</strong></p>
<p class="hint">${t(lang, 'help.phone.only')}</p>
<p><a class="phone-number" href="${telHref(line.phone)}">${line.phone}</a></p>
<p class="meta">${t(lang, 'help.phone.hours', { hours: phoneHoursText(lang, line.calendar.config) })}</p>
${phoneLineStatus(lang, line)}
${!open && instead.length
    ? html`<p class="help-instead-title"><strong>${t(lang, 'help.phone.closedTitle')}</strong></p>
<ol class="help-instead">${instead.map((k, i) => step[k](i === 0 || instead[i - 1] !== 'lock'))}</ol>`
    : ''}
</div>`;
}
