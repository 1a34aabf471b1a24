/**
 * The update composer: a draft (from a template or from scratch) is checked as publishing would check it, then
 * shown as every channel will carry it — the status page card, the email, the X thread as it will be split, the
 * Slack message, the webhook body — with how many subscribers each channel reaches, rendered by the very code the
 * page and the fan-out use. Publishing goes through `StatusCommands.postUpdate` like any update, so the fan-out
 * and everything after it are unchanged.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isComponentStatus, type Component, type ComponentStatus } from '../domain/component.ts';
import {
  assertIncidentTransition, isIncidentOpen, isIncidentStatus, type AffectedComponent, type Incident, type IncidentStatus, type IncidentUpdate,
} from '../domain/incident.ts';
import { cleanText, requireText } from '../domain/text.ts';
import { componentHolders, getIncident } from '../status/repository.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import { incidentCard } from '../status/page/pages.ts';
import { renderUpdateEmail, personalize } from '../notify/email/render.ts';
import { updateNotice } from '../notify/channels/update-notice.ts';
import { composeXThread, weightedLength, xUpdateText, X_MAX_WEIGHTED } from '../notify/channels/x-compose.ts';
import { SLACK_LIMITS, escapeMrkdwn, slackMessage, type SlackMessage } from '../notify/channels/slack.ts';
import { incidentWebhookPayload } from '../notify/channels/webhook-payload.ts';
import { CHANNELS_FOR } from '../notify/fanout/expand.ts';
import type { SafeHtml } from '../web/html.ts';
import { LANGS, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { fillPlaceholders, type Placeholder } from './placeholders.ts';
import { audienceCounts } from './composer-repository.ts';
import { assertKnownPlaceholders } from './service.ts';

const BODY_MAX = 20_000;
/** The id the preview's update has: never a real one (ids are 12 lowercase letters and digits). */
export const PREVIEW_UPDATE_ID = 'preview-update';

export interface ComposeInput {
  templateId?: unknown;
  status?: unknown;
  bodyJa?: unknown;
  bodyEn?: unknown;
  componentStatuses?: Record<string, unknown>;
  solveLinked?: unknown;
}

export interface Draft {
  templateId: string | null;
  status: IncidentStatus;
  bodyJa: string;
  bodyEn: string | null;
  componentStatuses: Map<string, ComponentStatus>;
  solveLinked: boolean;
  /** Names exactly this content: publishing needs the fingerprint of the preview that was looked at. */
  fingerprint: string;
}

/**
 * Checks a draft as `postUpdate` would (status transition, a closed incident, text, component statuses) and
 * refuses a {name} that is not a placeholder; fills the placeholders there are.
 */
export function parseDraft(
  incident: Pick<Incident, 'status' | 'kind'>,
  components: readonly Component[],
  input: ComposeInput,
  values: Readonly<Record<Lang, Record<Placeholder, string>>>,
): Draft {
  const current = incident.status;
  if (incident.kind !== 'incident' || !isIncidentStatus(current)) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
  const status = input.status === undefined || input.status === '' ? current : input.status;
  if (!isIncidentStatus(status)) throw new KinkyuError('UNKNOWN_INCIDENT_STATUS', { status: String(status).slice(0, 40) });
  if (status !== current) assertIncidentTransition(current, status);
  if (status === current && !isIncidentOpen(status)) throw new KinkyuError('INCIDENT_CLOSED', { status });
  const rawJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
  const rawEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
  assertKnownPlaceholders('bodyJa', rawJa);
  assertKnownPlaceholders('bodyEn', rawEn);
  const bodyJa = fillPlaceholders(rawJa, values.ja);
  const bodyEn = rawEn === null ? null : fillPlaceholders(rawEn, values.en);
  if (bodyJa.length > BODY_MAX) throw new KinkyuError('VALIDATION', { field: 'bodyJa', rule: 'max', max: String(BODY_MAX) });
  if (bodyEn && bodyEn.length > BODY_MAX) throw new KinkyuError('VALIDATION', { field: 'bodyEn', rule: 'max', max: String(BODY_MAX) });
  const componentStatuses = new Map<string, ComponentStatus>();
  const cs = input.componentStatuses ?? {};
  if (typeof cs !== 'object' || cs === null || Array.isArray(cs)) throw new KinkyuError('VALIDATION', { field: 'componentStatuses', rule: 'object' });
  for (const [id, value] of Object.entries(cs)) {
    if (value === '' || value === undefined || value === null) continue;
    if (!isComponentStatus(value)) throw new KinkyuError('UNKNOWN_COMPONENT_STATUS', { status: String(value).slice(0, 40) });
    const comp = components.find((c) => c.id === id);
    if (!comp) throw new KinkyuError('NOT_FOUND', { what: 'component', id: id.slice(0, 40) });
    if (comp.isGroup) throw new KinkyuError('VALIDATION', { field: 'componentStatuses', rule: 'group' });
    componentStatuses.set(id, value);
  }
  const templateId = typeof input.templateId === 'string' && /^[0-9a-z]{1,40}$/.test(input.templateId) ? input.templateId : null;
  const solveLinked = status === 'resolved' && (input.solveLinked === true || input.solveLinked === 'true' || input.solveLinked === 'on');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([status, bodyJa, bodyEn, [...componentStatuses].sort(([a], [b]) => (a < b ? -1 : 1)), solveLinked]))
    .digest('hex')
    .slice(0, 32);
  return { templateId, status, bodyJa, bodyEn, componentStatuses, solveLinked, fingerprint };
}

export interface Warning {
  key: MessageKey;
  params: Record<string, string | number>;
}

export interface ChannelAudience {
  channel: string;
  total: number;
  byLang: Record<Lang, number>;
}

export interface ChannelPreviews {
  statusPage: Record<Lang, SafeHtml>;
  email: Record<Lang, { subject: string; text: string } | null>;
  x: { lang: Lang; posts: { text: string; weighted: number }[] } | null;
  slack: Record<Lang, SlackMessage | null>;
  webhook: Record<Lang, string | null>;
  audience: ChannelAudience[];
  warnings: Warning[];
}

export interface PreviewSettings {
  exchangeName: Readonly<Record<Lang, string>>;
  officialXUrl: string;
  publicUrl: string;
  /** X_LANG, or the page's default language: what the exchange's X account posts in. */
  xLang: Lang;
}

/**
 * The page as it will be once the draft is published: the incident with the draft as its newest update, its
 * status and components moved as `postUpdate` will move them (resolving returns components no other open
 * incident or maintenance holds to operational).
 */
async function previewSnapshot(db: Db, base: PageSnapshot, incidentId: string, draft: Draft, now: Date): Promise<PageSnapshot> {
  const held = base.incidents.find((i) => i.id === incidentId);
  const incident = held ?? (await getIncident(db, incidentId, { includeInternal: false }));
  if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
  const statuses = new Map(draft.componentStatuses);
  if (draft.status === 'resolved' && incident.status !== 'resolved') {
    const holders = await componentHolders(db, incidentId);
    for (const id of incident.componentIds) {
      if (statuses.has(id) || holders.get(id) === 'incident') continue;
      statuses.set(id, holders.get(id) === 'maintenance' ? 'under_maintenance' : 'operational');
    }
  }
  const affected: AffectedComponent[] = [];
  for (const [id, status] of statuses) {
    const comp = base.components.find((c) => c.id === id);
    if (comp) affected.push({ code: id, name: comp.nameJa, old_status: comp.status, new_status: status });
  }
  const update: IncidentUpdate = {
    id: PREVIEW_UPDATE_ID, incidentId, status: draft.status, visibility: 'public', bodyJa: draft.bodyJa, bodyEn: draft.bodyEn,
    affectedComponents: affected, deliverNotifications: true, authorId: null, createdAt: now, displayAt: now, editedAt: null,
  };
  const next: Incident = {
    ...incident,
    status: draft.status,
    updatedAt: now,
    resolvedAt: draft.status === 'resolved' ? incident.resolvedAt ?? now : incident.resolvedAt,
    monitoringAt: draft.status === 'monitoring' ? incident.monitoringAt ?? now : incident.monitoringAt,
    componentIds: [...new Set([...incident.componentIds, ...statuses.keys()])].sort(),
    updates: [update, ...incident.updates],
  };
  return {
    ...base,
    components: base.components.map((c) => {
      const status = statuses.get(c.id);
      return status ? { ...c, status, updatedAt: now } : c;
    }),
    incidents: [next, ...base.incidents.filter((i) => i.id !== incidentId)],
  };
}

/** Every channel's rendering of the draft, the subscribers each reaches, and what to look at before publishing. */
export async function previewChannels(
  db: Db,
  base: PageSnapshot,
  incidentId: string,
  draft: Draft,
  now: Date,
  s: PreviewSettings,
): Promise<ChannelPreviews> {
  const snapshot = await previewSnapshot(db, base, incidentId, draft, now);
  const incident = snapshot.incidents.find((i) => i.id === incidentId);
  if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
  const sample = {
    manageUrl: `${s.publicUrl}/subscriptions/…/manage/…`,
    unsubscribeUrl: `${s.publicUrl}/subscriptions/…/unsubscribe/…`,
  };
  const per = <T>(f: (lang: Lang) => T): Record<Lang, T> => ({ ja: f('ja'), en: f('en') });
  const statusPage = per((lang) => incidentCard({ snapshot, lang, staleSince: null, lastCheckedAt: now, officialXUrl: s.officialXUrl }, incident));
  const email = per((lang) => {
    const mail = renderUpdateEmail(snapshot, incidentId, PREVIEW_UPDATE_ID, lang, s.exchangeName[lang]);
    if (!mail) return null;
    const full = personalize(mail, sample, lang, s.exchangeName[lang]);
    return { subject: full.subject, text: full.text };
  });
  const notice = per((lang) => updateNotice(snapshot, incidentId, PREVIEW_UPDATE_ID, lang));
  const xNotice = notice[s.xLang];
  const x = xNotice
    ? { lang: s.xLang, posts: composeXThread(xUpdateText(xNotice), xNotice.url).map((text) => ({ text, weighted: weightedLength(text) })) }
    : null;
  const slack = per((lang) => (notice[lang] ? slackMessage(notice[lang]) : null));
  const webhook = per((lang) => {
    const payload = incidentWebhookPayload(snapshot, incidentId, lang, { unsubscribeUrl: sample.unsubscribeUrl, generatedAt: now });
    return payload ? JSON.stringify(payload, null, 2) : null;
  });

  const counted = await audienceCounts(db, incident.componentIds, { drill: Boolean(incident.drillId) });
  const audience = CHANNELS_FOR.incident_update.map((channel): ChannelAudience => {
    const byLang = { ja: 0, en: 0 };
    for (const r of counted) if (r.channel === channel && (r.lang === 'ja' || r.lang === 'en')) byLang[r.lang] += r.count;
    return { channel, total: byLang.ja + byLang.en, byLang };
  });

  const warnings: Warning[] = [];
  if (!draft.bodyEn) {
    const english = audience.reduce((n, a) => n + a.byLang.en, 0);
    warnings.push({ key: 'room.warn.noEnglish', params: { count: english } });
  }
  if (x && x.posts.length > 1) {
    warnings.push({ key: 'room.warn.xThread', params: { posts: x.posts.length, max: X_MAX_WEIGHTED, length: xNotice ? weightedLength(xUpdateText(xNotice)) : 0 } });
  }
  // A placeholder the incident had nothing for (no service attached yet) reads "(none)" in the text.
  const none = { ja: t('ja', 'room.placeholder.none'), en: t('en', 'room.placeholder.none') };
  if (draft.bodyJa.includes(none.ja) || (draft.bodyEn ?? '').includes(none.en)) {
    warnings.push({ key: 'room.warn.emptyPlaceholder', params: { none: none.ja, noneEn: none.en } });
  }
  for (const lang of LANGS) {
    const n = notice[lang];
    if (!n) continue;
    if (escapeMrkdwn(n.body).length > SLACK_LIMITS.sectionText) {
      warnings.push({ key: 'room.warn.slackBody', params: { lang: lang.toUpperCase(), limit: SLACK_LIMITS.sectionText, length: escapeMrkdwn(n.body).length } });
    }
    if (n.incidentName.length > SLACK_LIMITS.headerText) {
      warnings.push({ key: 'room.warn.slackHeader', params: { lang: lang.toUpperCase(), limit: SLACK_LIMITS.headerText } });
    }
  }
  return { statusPage, email, x, slack, webhook, audience, warnings };
}
