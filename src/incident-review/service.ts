import type { Db } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import type { Component } from '../domain/component.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import type { Incident } from '../domain/incident.ts';
import { cleanText, requireText } from '../domain/text.ts';
import type { StatusCommands } from '../status/commands.ts';
import { getIncident, listComponents } from '../status/repository.ts';
import { postmortemUpdate } from '../status/api-v2.ts';
import { formatDateTime } from '../web/i18n.ts';
import { reviewFigures, type ReviewFigures } from './compute.ts';
import { composePostmortem } from './postmortem-text.ts';
import {
  activeStaffExists, insertAction, listActions, listStaff, readRecord, readSections, setActionDone, setPostmortemFlags,
  writePostmortemDraft, writeSections, xAccountActive, type ReviewAction, type ReviewSections, type StaffOption,
} from './repository.ts';

const SECTION_MAX = 20_000;
const TITLE_MAX = 500;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export interface ReviewOptions {
  commands: StatusCommands;
  clock?: () => Date;
  /** The page's zone: times written into the public postmortem's draft. */
  timeZone: string;
}

/** Everything the review page shows. */
export interface ReviewDraft {
  incident: Incident;
  components: Component[];
  figures: ReviewFigures;
  firstFailureSource: string | null;
  sections: ReviewSections;
  actions: ReviewAction[];
  staff: StaffOption[];
  /** The postmortem as published (its update), or null. */
  published: { updateId: string; bodyJa: string; bodyEn: string | null; publishedAt: Date; lastUpdatedAt: Date; notified: boolean } | null;
  /** The text the publish form starts with: what was saved, else a draft written from the record. */
  postmortemJa: string;
  postmortemEn: string;
}

const actorId = (a: Actor) => (a.type === 'staff' ? a.id : null);

function boolField(v: unknown): boolean {
  return v === true || v === 'true' || v === 'on' || v === '1';
}

/**
 * The post-incident review (issue 13 §7): figures computed from the record, the sections people write, follow-up
 * actions with owners and due dates, and the public postmortem. Publishing goes through StatusCommands as the
 * incident's update with status `postmortem` (so the page, API, feeds, webhooks and subscribers get it the way
 * they get every update); it is done once — a second publish is refused, a correction is an explicit update of
 * the published text that notifies nobody again.
 */
export class IncidentReviews {
  readonly #db: Db;
  readonly #opts: ReviewOptions;
  readonly #clock: () => Date;

  constructor(db: Db, opts: ReviewOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => new Date());
  }

  async #incident(id: string): Promise<Incident> {
    const incident = typeof id === 'string' && id.length <= 64 ? await getIncident(this.#db, id, { includeInternal: true }) : undefined;
    if (!incident || incident.kind !== 'incident') throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return incident;
  }

  /** The figures alone (the drill report and the JSON API use them). */
  async figures(incidentId: string): Promise<{ incident: Incident; figures: ReviewFigures; firstFailureSource: string | null }> {
    const incident = await this.#incident(incidentId);
    const record = await readRecord(this.#db, incident, this.#clock());
    return { incident, figures: reviewFigures(record, this.#clock()), firstFailureSource: record.firstFailureSource };
  }

  async draft(incidentId: string): Promise<ReviewDraft> {
    const { incident, figures, firstFailureSource } = await this.figures(incidentId);
    const [components, sections, actions, staff] = await Promise.all([
      listComponents(this.#db), readSections(this.#db, incident.id), listActions(this.#db, incident.id), listStaff(this.#db),
    ]);
    const pm = postmortemUpdate(incident);
    const compose = (lang: 'ja' | 'en') => composePostmortem(lang, { incident, figures, sections, actions, components, timeZone: this.#opts.timeZone });
    return {
      incident, components, figures, firstFailureSource, sections, actions, staff,
      published: pm
        ? { updateId: pm.id, bodyJa: pm.bodyJa, bodyEn: pm.bodyEn, publishedAt: pm.displayAt, lastUpdatedAt: pm.editedAt ?? pm.createdAt, notified: pm.deliverNotifications }
        : null,
      postmortemJa: pm?.bodyJa ?? (sections.postmortemJa || compose('ja')),
      postmortemEn: pm?.bodyEn ?? (sections.postmortemEn || compose('en')),
    };
  }

  /** Saves what people wrote. `version` is what the form was read at: a save in between is refused, not lost. */
  async saveSections(actor: Actor, incidentId: string, input: Record<string, unknown>): Promise<{ version: number }> {
    const incident = await this.#incident(incidentId);
    const text = (field: string) => cleanText(input[field], field, { max: SECTION_MAX, multiline: true }) ?? '';
    const sections = { cause: text('cause'), wentWell: text('wentWell'), wentBadly: text('wentBadly') };
    const version = Number(input.version ?? 0);
    if (!Number.isSafeInteger(version) || version < 0) throw new KinkyuError('VALIDATION', { field: 'version', rule: 'format' });
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      if (!(await writeSections(tx, incident.id, sections, version, actorId(actor), now))) {
        throw new KinkyuError('CONFLICT', { rule: 'review_changed' });
      }
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'review.save', targetType: 'incident', targetId: incident.id,
        data: { fields: Object.entries(sections).filter(([, v]) => v !== '').map(([k]) => k) },
      }, now);
    });
    return { version: version + 1 };
  }

  /** Keeps the postmortem's text as written so far, without publishing it. */
  async savePostmortemDraft(actor: Actor, incidentId: string, input: Record<string, unknown>): Promise<Record<string, never>> {
    const incident = await this.#incident(incidentId);
    const ja = cleanText(input.bodyJa, 'postmortemJa', { max: SECTION_MAX, multiline: true }) ?? '';
    const en = cleanText(input.bodyEn, 'postmortemEn', { max: SECTION_MAX, multiline: true }) ?? '';
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      await writePostmortemDraft(tx, incident.id, ja, en, actorId(actor), now);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'postmortem.draft', targetType: 'incident', targetId: incident.id, data: {},
      }, now);
    });
    return {};
  }

  async addAction(actor: Actor, incidentId: string, input: Record<string, unknown>): Promise<{ actionId: string }> {
    const incident = await this.#incident(incidentId);
    const title = requireText(input.title, 'title', TITLE_MAX);
    const ownerId = cleanText(input.ownerId, 'ownerId', { max: 64 });
    if (ownerId && !(await activeStaffExists(this.#db, ownerId))) throw new KinkyuError('VALIDATION', { field: 'ownerId', rule: 'unknown_staff' });
    const dueOn = cleanText(input.dueOn, 'dueOn', { max: 10 });
    if (dueOn && (!DAY.test(dueOn) || Number.isNaN(new Date(`${dueOn}T00:00:00Z`).getTime()) || new Date(`${dueOn}T00:00:00Z`).toISOString().slice(0, 10) !== dueOn)) {
      throw new KinkyuError('VALIDATION', { field: 'dueOn', rule: 'date' });
    }
    const id = newId();
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      await insertAction(tx, { id, incidentId: incident.id, title, ownerId, dueOn, at: now, by: actorId(actor) });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'review.action_add', targetType: 'incident', targetId: incident.id,
        data: { actionId: id, title, ownerId, dueOn },
      }, now);
    });
    return { actionId: id };
  }

  async setActionDone(actor: Actor, incidentId: string, actionId: string, doneInput: unknown): Promise<Record<string, never>> {
    const incident = await this.#incident(incidentId);
    const done = boolField(doneInput);
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      if (!(await setActionDone(tx, incident.id, String(actionId).slice(0, 64), done ? now : null))) throw new KinkyuError('NOT_FOUND', { what: 'action' });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: done ? 'review.action_done' : 'review.action_reopen',
        targetType: 'incident', targetId: incident.id, data: { actionId },
      }, now);
    });
    return {};
  }

  /**
   * Publishes the public postmortem: the incident's update with status `postmortem`, notifying subscribers (and the
   * X account, if it is connected) only when asked. Refused — nothing changed — for an incident not resolved yet and
   * for one whose postmortem is already out (the published text can be corrected with `updatePostmortem`).
   */
  async publishPostmortem(actor: Actor, incidentId: string, input: Record<string, unknown>): Promise<{ updateId: string }> {
    const incident = await this.#incident(incidentId);
    this.#refuseIfPublished(incident);
    if (incident.status !== 'resolved') throw new KinkyuError('CONFLICT', { rule: 'postmortem_not_resolved' });
    const bodyJa = requireText(input.bodyJa, 'postmortemJa', SECTION_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'postmortemEn', { max: SECTION_MAX, multiline: true });
    const notify = boolField(input.notify);
    const toX = notify && !incident.drillId && (await xAccountActive(this.#db));
    const now = this.#clock();
    try {
      return await this.#opts.commands.postUpdate(actor, incident.id, {
        status: 'postmortem', expectedStatus: 'resolved', bodyJa, bodyEn, deliverNotifications: notify,
      }, async (tx) => {
        await setPostmortemFlags(tx, incident.id, { ignored: false, notifiedTwitter: toX });
        await writePostmortemDraft(tx, incident.id, bodyJa, bodyEn ?? '', actorId(actor), now);
        await appendAudit(tx, {
          actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'postmortem.publish', targetType: 'incident', targetId: incident.id,
          data: { notifySubscribers: notify, notifyTwitter: toX },
        }, now);
      });
    } catch (err) {
      // Another publish won the race: the same clear refusal as for a second click.
      if (isKinkyuError(err) && err.code === 'CONFLICT' && err.params.status === 'postmortem') this.#refuseIfPublished(await this.#incident(incident.id));
      throw err;
    }
  }

  /** The explicit update of a published postmortem: the text changes (postmortem_body_last_updated_at), nobody is notified again. */
  async updatePostmortem(actor: Actor, incidentId: string, input: Record<string, unknown>): Promise<Record<string, never>> {
    const incident = await this.#incident(incidentId);
    const pm = postmortemUpdate(incident);
    if (!pm) throw new KinkyuError('CONFLICT', { rule: 'postmortem_not_published' });
    await this.#opts.commands.editUpdate(actor, incident.id, pm.id, { bodyJa: input.bodyJa, bodyEn: input.bodyEn });
    return {};
  }

  /** Statuspage's "no postmortem needed" (postmortem_ignored); undone with `ignored: false`. */
  async ignorePostmortem(actor: Actor, incidentId: string, ignoredInput: unknown): Promise<Record<string, never>> {
    const incident = await this.#incident(incidentId);
    this.#refuseIfPublished(incident);
    const ignored = boolField(ignoredInput);
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      await setPostmortemFlags(tx, incident.id, { ignored });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: ignored ? 'postmortem.ignore' : 'postmortem.unignore',
        targetType: 'incident', targetId: incident.id, data: {},
      }, now);
    });
    return {};
  }

  #refuseIfPublished(incident: Incident): void {
    const pm = postmortemUpdate(incident);
    if (pm || incident.status === 'postmortem') {
      const at = pm?.displayAt ?? incident.updatedAt;
      throw new KinkyuError('CONFLICT', {
        rule: 'postmortem_published',
        timeJa: formatDateTime('ja', at, this.#opts.timeZone),
        timeEn: formatDateTime('en', at, this.#opts.timeZone),
        status: 'postmortem',
      });
    }
  }
}
