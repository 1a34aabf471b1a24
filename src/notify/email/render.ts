import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { formatDateTime, joinList, localized, t, type Lang } from '../../web/i18n.ts';
import { antiPhishingHtml, withAntiPhishingText } from '../../web/anti-phishing.ts';
import { html, multiline } from '../../web/html.ts';
import { updateNotice } from '../channels/update-notice.ts';

/** The parts of an update email shared by every subscriber of one language. */
export interface UpdateEmail {
  subject: string;
  /** Text before the subscriber's own links. */
  text: string;
  /** HTML `<body>` content before the subscriber's own links. */
  htmlBody: string;
}

export interface SubscriberLinksFor {
  manageUrl: string;
  unsubscribeUrl: string;
}

/** One line, no control characters: an incident name in a Subject header. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Renders one update for one language; null when the snapshot does not hold it (no longer public). */

/** The update email's fixed words, from the catalogue. */
function updateMailWords(lang: Lang) {
  return {
    status: t(lang, 'updateMail.status'),
    components: t(lang, 'updateMail.components'),
    updatedAt: t(lang, 'updateMail.updatedAt'),
    details: t(lang, 'updateMail.details'),
    manage: t(lang, 'updateMail.manage'),
    unsubscribe: t(lang, 'updateMail.unsubscribe'),
  };
}

export function renderUpdateEmail(
  snapshot: PageSnapshot,
  incidentId: string,
  updateId: string,
  lang: Lang,
  exchangeName: string,
): UpdateEmail | null {
  const notice = updateNotice(snapshot, incidentId, updateId, lang);
  if (!notice) return null;
  const s = updateMailWords(lang);
  const incident = snapshot.incidents.find((i) => i.id === incidentId) ?? snapshot.maintenances.find((i) => i.id === incidentId);
  const componentNames = (incident?.componentIds ?? [])
    .map((id) => snapshot.components.find((c) => c.id === id))
    .filter((c) => c !== undefined)
    .map((c) => (localized(lang, c.nameJa, c.nameEn)));
  const name = oneLine(notice.incidentName);
  const at = formatDateTime(lang, notice.at, notice.timeZone);
  const text = [
    name,
    `${s.status}: ${notice.statusLabel}`,
    '',
    notice.body,
    '',
    ...(componentNames.length ? [`${s.components}: ${joinList(lang, componentNames)}`] : []),
    `${s.updatedAt}: ${at}`,
    `${s.details}: ${notice.url}`,
  ].join('\n');
  const htmlBody = html`<h1 style="font-size:18px">${name}</h1>
<p><strong>${s.status}:</strong> ${notice.statusLabel}</p>
<p>${multiline(notice.body)}</p>
${componentNames.length ? html`<p><strong>${s.components}:</strong> ${joinList(lang, componentNames)}</p>` : ''}
<p><strong>${s.updatedAt}:</strong> ${at}</p>
<p><a href="${notice.url}">${s.details}</a></p>`.value;
  return { subject: oneLine(t(lang, 'updateMail.subject', { exchange: exchangeName, incident: name, status: notice.statusLabel })), text, htmlBody };
}

/**
 * Adds one subscriber's own parts to a rendered update: the anti-phishing code at the top (escaped in the HTML part,
 * like any text), and the footer with the manage and unsubscribe links.
 */
export function personalize(
  mail: UpdateEmail,
  links: SubscriberLinksFor,
  lang: Lang,
  exchangeName: string,
  antiPhishingCode: string | null = null,
): { subject: string; text: string; html: string } {
  const s = updateMailWords(lang);
  const text = `${withAntiPhishingText(lang, antiPhishingCode, mail.text)}\n\n--\n${t(lang, 'updateMail.footer', { exchange: exchangeName })}\n${s.manage}: ${links.manageUrl}\n${s.unsubscribe}: ${links.unsubscribeUrl}\n`;
  const footer = html`<hr>
<p style="font-size:12px;color:#555">${t(lang, 'updateMail.footer', { exchange: exchangeName })}<br>
<a href="${links.manageUrl}">${s.manage}</a> · <a href="${links.unsubscribeUrl}">${s.unsubscribe}</a></p>`.value;
  const page = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${html`${mail.subject}`.value}</title></head><body>${antiPhishingCode ? antiPhishingHtml(lang, antiPhishingCode).value : ''}${mail.htmlBody}\n${footer}</body></html>`;
  return { subject: mail.subject, text, html: page };
}
