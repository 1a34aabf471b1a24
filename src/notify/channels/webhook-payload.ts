import type { ComponentStatus } from '../../domain/component.ts';
import type { Incident } from '../../domain/incident.ts';
import { postmortemFields, renderApi } from '../../status/api-v2.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { isoInZone } from '../../domain/iso-time.ts';
import type { Lang } from '../../web/i18n.ts';

/**
 * Subscriber webhooks in the shape Atlassian Statuspage sends, so receivers written for Statuspage work unchanged:
 * `meta`, `page` (`id`, `status_indicator`, `status_description`), then either `incident` (the full incident as
 * /api/v2 shows it, with `incident_updates` newest first) or `component_update` + `component`.
 * The incident and component objects come from the /api/v2 renderer, so the two never drift apart; the webhook
 * adds the fields Statuspage's webhooks carry beyond the public API (postmortem, scheduling and Twitter fields,
 * `component_update.component_type`). Documented for receivers at /help/webhooks.
 */
export const WEBHOOK_DOCUMENTATION_PATH = '/help/webhooks';

export interface WebhookMeta {
  /** One-click unsubscribe link for this subscriber. */
  unsubscribeUrl: string;
  generatedAt: Date;
  /** Where receivers read how to verify the signature; defaults to the page URL + WEBHOOK_DOCUMENTATION_PATH. */
  documentationUrl?: string;
}

export interface ComponentChange {
  /** Identifies this change (and with the subscriber, the idempotency key). */
  id: string;
  componentId: string;
  oldStatus: ComponentStatus;
  newStatus: ComponentStatus;
  createdAt: Date;
}

type Json = Record<string, unknown>;

export interface WebhookPayload {
  meta: { unsubscribe: string; documentation: string; generated_at: string };
  page: { id: string; status_indicator: string; status_description: string };
  incident?: Json;
  component_update?: {
    id: string;
    component_id: string;
    /** Statuspage's model name; always "Component" (groups have no status changes of their own). */
    component_type: 'Component';
    old_status: ComponentStatus;
    new_status: ComponentStatus;
    created_at: string;
  };
  component?: Json;
}

function header(s: PageSnapshot, lang: Lang, meta: WebhookMeta): Pick<WebhookPayload, 'meta' | 'page'> {
  const { page, status } = renderApi('status', s, lang) as { page: { id: string }; status: { indicator: string; description: string } };
  return {
    meta: {
      unsubscribe: meta.unsubscribeUrl,
      documentation: meta.documentationUrl ?? `${s.page.url}${WEBHOOK_DOCUMENTATION_PATH}`,
      generated_at: isoInZone(meta.generatedAt, s.page.timeZone),
    },
    page: { id: page.id, status_indicator: status.indicator, status_description: status.description },
  };
}

/** The incident or maintenance `incidentId` as in the snapshot; null when the snapshot does not hold it. */
export function incidentWebhookPayload(s: PageSnapshot, incidentId: string, lang: Lang, meta: WebhookMeta): WebhookPayload | null {
  const incident = s.incidents.find((i) => i.id === incidentId);
  const maintenance = s.maintenances.find((i) => i.id === incidentId);
  let shaped: Json | undefined;
  // Render a snapshot narrowed to this one incident: /api/v2 lists only the newest 50.
  if (incident) {
    const body = renderApi('incidents', { ...s, incidents: [incident] }, lang) as { incidents: Json[] };
    shaped = body.incidents[0];
  } else if (maintenance) {
    const body = renderApi('scheduled_maintenances', { ...s, maintenances: [maintenance] }, lang) as { scheduled_maintenances: Json[] };
    shaped = body.scheduled_maintenances[0];
  }
  const source = incident ?? maintenance;
  if (!shaped || !source) return null;
  return { ...header(s, lang, meta), incident: withWebhookFields(shaped, source, lang, s.page.timeZone) };
}

/**
 * The incident fields Statuspage's webhooks carry besides the public API's. kinkyu has no backfilled incidents,
 * impact overrides, reminders or tweets, so those have their "none" values; the postmortem is the newest update
 * with status `postmortem` (postmortemFields, as /api/v2 serves it); a maintenance that moves on its own schedule says so in `scheduled_auto_*`.
 */
function withWebhookFields(shaped: Json, i: Incident, lang: Lang, timeZone: string): Json {
  const updates = Array.isArray(shaped['incident_updates']) ? (shaped['incident_updates'] as Json[]) : [];
  return {
    ...shaped,
    backfilled: false,
    impact_override: null,
    ...postmortemFields(i, lang, timeZone),
    scheduled_for: shaped['scheduled_for'] ?? null,
    scheduled_until: shaped['scheduled_until'] ?? null,
    scheduled_remind_prior: false,
    scheduled_reminded_at: null,
    scheduled_auto_in_progress: i.kind === 'maintenance' && i.autoTransition,
    scheduled_auto_completed: i.kind === 'maintenance' && i.autoTransition,
    reminder_intervals: null,
    incident_updates: updates.map((u) => ({ ...u, wants_twitter_update: false, twitter_updated_at: null })),
  };
}

/** A component status change; null when the component is not in the snapshot. */
export function componentWebhookPayload(s: PageSnapshot, change: ComponentChange, lang: Lang, meta: WebhookMeta): WebhookPayload | null {
  const { components } = renderApi('components', s, lang) as { components: Json[] };
  const component = components.find((c) => c['id'] === change.componentId);
  if (!component) return null;
  return {
    ...header(s, lang, meta),
    component_update: {
      id: change.id,
      component_id: change.componentId,
      component_type: 'Component',
      old_status: change.oldStatus,
      new_status: change.newStatus,
      created_at: isoInZone(change.createdAt, s.page.timeZone),
    },
    component,
  };
}
