import type { Incident } from '../domain/incident.ts';
import { formatDateTime, t, type Lang, localized } from '../web/i18n.ts';
import type { ObligationView, StageView } from './service.ts';

export interface ReminderInput {
  incident: Incident;
  obligation: ObligationView;
  stage: StageView;
  timeZone: string;
  exchangeName: { ja: string; en: string };
  /** The incident's regulator page and the printable draft, in the console. */
  link: string;
  draftLink: string;
}

function part(lang: Lang, r: ReminderInput): string {
  const name = localized(lang, r.incident.nameJa, r.incident.nameEn);
  return t(lang, 'regulator.mail.body', {
    exchange: r.exchangeName[lang],
    incident: name,
    title: r.obligation.title[lang],
    stage: r.stage.title[lang],
    authority: r.obligation.authority[lang],
    due: formatDateTime(lang, r.stage.dueShownAt, r.timeZone),
    source: r.obligation.source,
    link: r.link,
    draft: r.draftLink,
  }) + (r.incident.drillId ? `\n\n${t(lang, 'regulator.mail.drill')}` : '');
}

/**
 * The one reminder a stage's owner gets before it falls due: Japanese first, English second, with the deadline in
 * the page's zone, where to file and where the filled draft is.
 */
export function reminderMail(r: ReminderInput): { subject: string; text: string } {
  const prefix = r.incident.drillId ? `${t('ja', 'regulator.mail.drillPrefix')} ` : '';
  const subject = prefix + t('ja', 'regulator.mail.subject', {
    title: r.obligation.title.ja, stage: r.stage.title.ja, due: formatDateTime('ja', r.stage.dueShownAt, r.timeZone),
  });
  return { subject, text: `${part('ja', r)}\n\n----\n\n${part('en', r)}\n` };
}
