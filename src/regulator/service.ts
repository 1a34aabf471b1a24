import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { Actor } from '../domain/actor.ts';
import { BusinessCalendar } from '../domain/business-calendar.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { Incident } from '../domain/incident.ts';
import { cleanText } from '../domain/text.ts';
import { zoneOffsetMs } from '../domain/uptime.ts';
import { getIncident } from '../status/repository.ts';
import { deadline, reminderTime, shownDeadline } from './deadlines.ts';
import { reminderMail } from './emails.ts';
import {
  claimReminder, insertObligation, obligation, obligationsOf, openStagesFor, readFacts, recentIncidents,
  remindersDue, setObligationStatus, setOwner, setStageDone, staffEmail, stagesOf, upsertStage, writeFacts,
  type FactsRow, type ObligationRow, type StageRow,
} from './repository.ts';
import { applicableRules, dueFor, type Localized, type RegulatorRules, type RegulatoryRule, type RuleFacts } from './rules.ts';

export type StageState = 'open' | 'due_soon' | 'overdue' | 'done_on_time' | 'done_late';

export interface StageView {
  stageId: string;
  title: Localized;
  /** Exclusive: on time strictly before this. */
  dueAt: Date;
  /** What people read as the deadline (the last minute of a day-based one). */
  dueShownAt: Date;
  remindAt: Date;
  doneAt: Date | null;
  reference: string | null;
  reminded: boolean;
  state: StageState;
  /** Set when a variant chose the deadline (the PPC's 60 days). */
  variantNote: Localized | null;
}

export interface ObligationView {
  id: string;
  incidentId: string;
  ruleId: string;
  title: Localized;
  authority: Localized;
  source: string;
  note: Localized | null;
  status: 'open' | 'withdrawn';
  ownerId: string | null;
  ownerName: string | null;
  stages: StageView[];
}

/** One line of the staff home page's "regulatory deadlines" (see openRegulatoryObligations). */
export interface OpenObligation {
  obligationId: string;
  stageId: string;
  incidentId: string;
  incidentName: Localized;
  drill: boolean;
  title: Localized;
  stageTitle: Localized;
  authority: Localized;
  dueAt: Date;
  dueShownAt: Date;
  overdue: boolean;
  /** Where the obligation is worked on. */
  href: string;
}

export interface RegulatorOptions {
  rules: RegulatorRules;
  clock?: () => Date;
  /** Times in reminder mails. */
  timeZone: string;
  publicUrl: string;
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  log?: (msg: string, err?: unknown) => void;
}

/** Facts recorded before any were saved: aware when declared, nothing else known. */
export function defaultFacts(incident: Incident): Omit<FactsRow, 'updatedAt'> {
  return {
    incidentId: incident.id, awareAt: incident.startedAt, personalData: false, sensitiveData: false, financialLossRisk: false,
    wrongfulAct: false, customerAssetsLost: false, usersAffected: null, dataItems: '',
  };
}

export function ruleFacts(incident: Incident, f: Omit<FactsRow, 'updatedAt'>): RuleFacts {
  return {
    type: incident.type,
    severity: incident.severity,
    flags: {
      personalData: f.personalData, sensitiveData: f.sensitiveData, financialLossRisk: f.financialLossRisk,
      wrongfulAct: f.wrongfulAct, customerAssetsLost: f.customerAssetsLost,
    },
    usersAffected: f.usersAffected,
  };
}

/** How far back the sweep looks for incidents whose rules may need attaching. */
const SWEEP_DAYS = 90;
const REMINDERS_PER_RUN = 100;
const DUE_SOON_MS = 24 * 3_600_000;

function stageState(s: StageRow, now: Date): StageState {
  if (s.doneAt) return s.doneAt.getTime() < s.dueAt.getTime() ? 'done_on_time' : 'done_late';
  if (now.getTime() >= s.dueAt.getTime()) return 'overdue';
  if (now.getTime() >= s.remindAt.getTime() || s.dueAt.getTime() - now.getTime() <= DUE_SOON_MS) return 'due_soon';
  return 'open';
}

function boolField(v: unknown): boolean {
  return v === true || v === 'true' || v === 'on' || v === '1';
}

/**
 * The regulator's clock (issue 13 §8): rules from a configuration file attach report obligations to incidents by
 * type, severity and the facts staff record; each stage has a deadline from the moment of awareness (calendar or
 * business days, Japanese holidays and the year-end closure through the business calendar), an owner, one reminder
 * mail before it falls due (once per obligation and stage across every process: the reminder row is the claim) and
 * a printable draft filled from the record.
 */
export class RegulatorClock {
  readonly #db: Db;
  readonly #opts: RegulatorOptions;
  readonly #clock: () => Date;
  readonly calendar: BusinessCalendar;
  /** Stages already logged as having nobody to remind (said once per process, not every minute). */
  readonly #ownerless = new Set<string>();

  constructor(db: Db, opts: RegulatorOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => new Date());
    this.calendar = new BusinessCalendar(opts.rules.calendar);
  }

  get rules(): RegulatorRules {
    return this.#opts.rules;
  }

  async #incident(id: unknown): Promise<Incident> {
    const incident = typeof id === 'string' && id.length <= 64 ? await getIncident(this.#db, id, { includeInternal: false }) : undefined;
    if (!incident || incident.kind !== 'incident') throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return incident;
  }

  async facts(incidentId: string): Promise<{ incident: Incident; facts: Omit<FactsRow, 'updatedAt'>; saved: boolean }> {
    const incident = await this.#incident(incidentId);
    const stored = await readFacts(this.#db, incident.id);
    return { incident, facts: stored ?? defaultFacts(incident), saved: stored !== null };
  }

  /**
   * Records the facts (awareness time, flags, people affected) and attaches, re-times or withdraws obligations in the
   * same transaction. `awareAt` is an ISO time or a form's wall-clock time in `timeZone`.
   */
  async saveFacts(actor: Actor, incidentId: string, input: Record<string, unknown>, timeZone = this.#opts.timeZone): Promise<{ obligations: number }> {
    const incident = await this.#incident(incidentId);
    const now = this.#clock();
    const awareAt = parseInstant(input.awareAt, timeZone);
    if (awareAt.getTime() > now.getTime() + 5 * 60_000) throw new KinkyuError('VALIDATION', { field: 'awareAt', rule: 'future' });
    let usersAffected: number | null = null;
    if (input.usersAffected !== undefined && input.usersAffected !== null && input.usersAffected !== '') {
      const n = typeof input.usersAffected === 'number' ? input.usersAffected : Number(String(input.usersAffected).normalize('NFKC').replace(/[,\s]/g, ''));
      if (!Number.isSafeInteger(n) || n < 0 || n > 2_000_000_000) throw new KinkyuError('VALIDATION', { field: 'usersAffected', rule: 'count' });
      usersAffected = n;
    }
    const facts: Omit<FactsRow, 'updatedAt'> = {
      incidentId: incident.id,
      awareAt,
      personalData: boolField(input.personalData),
      sensitiveData: boolField(input.sensitiveData),
      financialLossRisk: boolField(input.financialLossRisk),
      wrongfulAct: boolField(input.wrongfulAct),
      customerAssetsLost: boolField(input.customerAssetsLost),
      usersAffected,
      dataItems: cleanText(input.dataItems, 'dataItems', { max: 2000, multiline: true }) ?? '',
    };
    return this.#db.transaction(async (tx) => {
      await writeFacts(tx, facts, actor.type === 'staff' ? actor.id : null, now);
      const count = await this.#attachIn(tx, incident, facts, now);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'regulator.facts', targetType: 'incident', targetId: incident.id,
        data: { ...facts, awareAt: awareAt.toISOString(), obligations: count },
      }, now);
      return { obligations: count };
    });
  }

  /** Attaches what the rules say for an incident as its facts stand (defaults when none were saved). Idempotent. */
  async attach(incidentId: string): Promise<number> {
    const incident = await this.#incident(incidentId);
    const now = this.#clock();
    return this.#db.transaction(async (tx) => {
      const facts = (await readFacts(tx, incident.id)) ?? defaultFacts(incident);
      return this.#attachIn(tx, incident, facts, now);
    });
  }

  async #attachIn(tx: Queryable, incident: Incident, facts: Omit<FactsRow, 'updatedAt'>, now: Date): Promise<number> {
    // The incident's row first: two processes attaching the same incident take turns.
    const [row] = await tx.query<{ commander_id: string | null }>('SELECT commander_id FROM incidents WHERE id = $1 FOR UPDATE', [incident.id]);
    const rf = ruleFacts(incident, facts);
    const applicable = applicableRules(this.#opts.rules, rf);
    let existing = await obligationsOf(tx, incident.id);
    for (const rule of applicable) {
      if (!existing.some((o) => o.ruleId === rule.id)) {
        await insertObligation(tx, { id: newId(), incidentId: incident.id, rule, ownerId: row?.commander_id ?? null, at: now });
      }
    }
    existing = await obligationsOf(tx, incident.id);
    const stages = await stagesOf(tx, existing.map((o) => o.id));
    const applies = new Set(applicable.map((r) => r.id));
    let open = 0;
    for (const o of existing) {
      if (!applies.has(o.ruleId)) {
        // A rule that no longer applies is withdrawn, unless a report was already filed under it.
        const filed = stages.some((s) => s.obligationId === o.id && s.doneAt);
        if (o.status === 'open' && !filed) await setObligationStatus(tx, o.id, 'withdrawn');
        if (filed) open++;
        continue;
      }
      if (o.status === 'withdrawn') await setObligationStatus(tx, o.id, 'open');
      open++;
      // Deadlines follow the rule as it was when it attached (kept with the obligation).
      for (const [position, stage] of o.rule.stages.entries()) {
        const dueAt = deadline(dueFor(stage, rf).due, facts.awareAt, this.calendar);
        const remindAt = reminderTime(dueAt, stage.remindBefore, facts.awareAt);
        const current = stages.find((s) => s.obligationId === o.id && s.stageId === stage.id);
        // Written only when new or moved (the sweep runs every minute in every process).
        if (current && (current.doneAt || (current.dueAt.getTime() === dueAt.getTime() && current.remindAt.getTime() === remindAt.getTime()))) continue;
        await upsertStage(tx, { obligationId: o.id, stageId: stage.id, position, dueAt, remindAt });
      }
    }
    return open;
  }

  /** Attaches rules to recent incidents (every process runs it; attaching is idempotent). */
  async sweep(): Promise<number> {
    const since = new Date(this.#clock().getTime() - SWEEP_DAYS * 86_400_000);
    let attached = 0;
    for (const id of await recentIncidents(this.#db, since)) attached += await this.attach(id);
    return attached;
  }

  async obligationsFor(incidentId: string, opts: { includeWithdrawn?: boolean } = {}): Promise<ObligationView[]> {
    const incident = await this.#incident(incidentId);
    const facts = (await readFacts(this.#db, incident.id)) ?? defaultFacts(incident);
    const rf = ruleFacts(incident, facts);
    const list = (await obligationsOf(this.#db, incident.id)).filter((o) => opts.includeWithdrawn || o.status === 'open');
    const stages = await stagesOf(this.#db, list.map((o) => o.id));
    const now = this.#clock();
    return list.map((o) => this.#view(o, stages.filter((s) => s.obligationId === o.id), rf, now));
  }

  #view(o: ObligationRow, stages: StageRow[], rf: RuleFacts, now: Date): ObligationView {
    return {
      id: o.id, incidentId: o.incidentId, ruleId: o.ruleId, title: o.rule.title, authority: o.rule.authority, source: o.rule.source,
      note: o.rule.note ?? null, status: o.status, ownerId: o.ownerId, ownerName: o.ownerName,
      stages: stages.map((s) => {
        const rule = o.rule.stages.find((x) => x.id === s.stageId);
        const chosen = rule ? dueFor(rule, rf) : null;
        return {
          stageId: s.stageId,
          title: rule?.title ?? { ja: s.stageId, en: s.stageId },
          dueAt: s.dueAt,
          dueShownAt: chosen ? shownDeadline(chosen.due, s.dueAt) : s.dueAt,
          remindAt: s.remindAt,
          doneAt: s.doneAt,
          reference: s.reference,
          reminded: s.reminded,
          state: stageState(s, now),
          variantNote: rule && chosen && chosen.variant !== null ? rule.variants[chosen.variant]?.note ?? null : null,
        };
      }),
    };
  }

  async obligation(id: string): Promise<{ obligation: ObligationView; incident: Incident; facts: Omit<FactsRow, 'updatedAt'>; rule: RegulatoryRule; ownerEmail: string | null }> {
    const o = typeof id === 'string' && id.length <= 64 ? await obligation(this.#db, id) : null;
    if (!o) throw new KinkyuError('NOT_FOUND', { what: 'obligation' });
    const incident = await this.#incident(o.incidentId);
    const facts = (await readFacts(this.#db, incident.id)) ?? defaultFacts(incident);
    const stages = await stagesOf(this.#db, [o.id]);
    return { obligation: this.#view(o, stages, ruleFacts(incident, facts), this.#clock()), incident, facts, rule: o.rule, ownerEmail: o.ownerEmail };
  }

  /** Records a stage as filed (with the regulator's reference, if any), or takes that back. */
  async markStage(actor: Actor, obligationId: string, stageId: string, input: Record<string, unknown>): Promise<Record<string, never>> {
    const { obligation: o } = await this.obligation(obligationId);
    if (!o.stages.some((s) => s.stageId === stageId)) throw new KinkyuError('NOT_FOUND', { what: 'stage' });
    const done = boolField(input.done);
    const reference = cleanText(input.reference, 'reference', { max: 500 });
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      await setStageDone(tx, o.id, stageId, done ? { at: now, by: actor.type === 'staff' ? actor.id : null, reference } : null);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: done ? 'regulator.filed' : 'regulator.unfiled',
        targetType: 'incident', targetId: o.incidentId, data: { obligationId: o.id, rule: o.ruleId, stage: stageId, reference },
      }, now);
    });
    return {};
  }

  async setOwner(actor: Actor, obligationId: string, ownerInput: unknown): Promise<Record<string, never>> {
    const { obligation: o } = await this.obligation(obligationId);
    const ownerId = cleanText(ownerInput, 'ownerId', { max: 64 });
    if (ownerId && !(await staffEmail(this.#db, ownerId))) throw new KinkyuError('VALIDATION', { field: 'ownerId', rule: 'unknown_staff' });
    const now = this.#clock();
    await this.#db.transaction(async (tx) => {
      await setOwner(tx, o.id, ownerId);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'regulator.owner', targetType: 'incident', targetId: o.incidentId,
        data: { obligationId: o.id, rule: o.ruleId, ownerId },
      }, now);
    });
    return {};
  }

  /**
   * Sends the reminders that are due: one mail per obligation and stage, to its owner (or the incident's commander),
   * whatever the number of processes running this at once. Returns how many this process queued.
   */
  async runReminders(): Promise<number> {
    const now = this.#clock();
    let queued = 0;
    for (const due of await remindersDue(this.#db, now, REMINDERS_PER_RUN)) {
      try {
        if (await this.#remind(due.obligationId, due.stageId, now)) queued++;
      } catch (err) {
        this.#opts.log?.(`regulator: reminder for ${due.obligationId}/${due.stageId} failed; will retry`, err);
      }
    }
    return queued;
  }

  async #remind(obligationId: string, stageId: string, now: Date): Promise<boolean> {
    const { obligation: o, incident } = await this.obligation(obligationId);
    const stage = o.stages.find((s) => s.stageId === stageId);
    if (!stage || stage.doneAt || o.status !== 'open') return false;
    const [cmd] = await this.#db.query<{ commander_id: string | null }>('SELECT commander_id FROM incidents WHERE id = $1', [incident.id]);
    const recipientId = o.ownerId ?? cmd?.commander_id ?? null;
    const recipient = recipientId ? await staffEmail(this.#db, recipientId) : null;
    if (!recipient) {
      // Shown on the regulator page ("no owner"); logged once. A drill started from the command line has nobody.
      const key = `${o.id}/${stageId}`;
      if (!incident.drillId && !this.#ownerless.has(key)) this.#opts.log?.(`regulator: ${o.ruleId}/${stageId} of incident ${incident.id} has no owner to remind; assign one`);
      this.#ownerless.add(key);
      return false;
    }
    const messageId = `<regulator-${o.id}-${stageId}@${this.#opts.mailDomain}>`;
    const mail = reminderMail({
      incident, obligation: o, stage, timeZone: this.#opts.timeZone, exchangeName: this.#opts.exchangeName,
      link: `${this.#opts.publicUrl}/staff/incidents/${incident.id}/regulator`, draftLink: `${this.#opts.publicUrl}/staff/regulator/obligations/${o.id}/draft`,
    });
    return this.#db.transaction(async (tx) => {
      if (!(await claimReminder(tx, { obligationId: o.id, stageId, at: now, to: recipient.email, messageId }))) return false;
      await enqueueMail(tx, { to: recipient.email, subject: mail.subject, text: mail.text, lang: 'ja', messageId }, { domain: this.#opts.mailDomain });
      return true;
    });
  }
}

/** A form's wall-clock time ("2026-12-28T14:05", in `timeZone`) or a full ISO time. */
function parseInstant(value: unknown, timeZone: string): Date {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new KinkyuError('VALIDATION', { field: 'awareAt', rule: 'required' });
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
    const asUtc = new Date(`${value}Z`);
    if (Number.isNaN(asUtc.getTime())) throw new KinkyuError('VALIDATION', { field: 'awareAt', rule: 'date' });
    return new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone));
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new KinkyuError('VALIDATION', { field: 'awareAt', rule: 'date' });
  return d;
}

/**
 * For the staff home page's "regulatory deadlines": the report stages still to be filed by `staffId` — owned by
 * them, or, with no owner set, on incidents they command — soonest first, overdue ones flagged. Drills included
 * (flagged `drill`), so a rehearsal shows up where the real thing would.
 */
export async function openRegulatoryObligations(db: Queryable, staffId: string, now: Date = new Date()): Promise<OpenObligation[]> {
  const rows = await openStagesFor(db, staffId);
  return rows.map((r) => {
    const stage = r.rule.stages.find((s) => s.id === r.stageId);
    const dayBased = stage ? stage.due.hours === undefined : true;
    return {
      obligationId: r.obligationId,
      stageId: r.stageId,
      incidentId: r.incidentId,
      incidentName: { ja: r.incidentNameJa, en: r.incidentNameEn ?? r.incidentNameJa },
      drill: r.drillId !== null,
      title: r.rule.title,
      stageTitle: stage?.title ?? { ja: r.stageId, en: r.stageId },
      authority: r.rule.authority,
      dueAt: r.dueAt,
      dueShownAt: dayBased ? new Date(r.dueAt.getTime() - 60_000) : r.dueAt,
      overdue: now.getTime() >= r.dueAt.getTime(),
      href: `/staff/incidents/${r.incidentId}/regulator`,
    };
  });
}
