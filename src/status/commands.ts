import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { SYSTEM_ACTOR, type Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isComponentStatus, type Component, type ComponentStatus } from '../domain/component.ts';
import {
  assertIncidentTransition,
  assertMaintenanceTransition,
  impactOfSeverity,
  isIncidentOpen,
  isIncidentStatus,
  isIncidentType,
  isMaintenanceStatus,
  isSeverity,
  type AffectedComponent,
  type Incident,
  type IncidentStatus,
  type IncidentType,
  type MaintenanceStatus,
  type Severity,
  type Visibility,
} from '../domain/incident.ts';
import { cleanText, parseDate, requireText } from '../domain/text.ts';
import { componentHolders, getIncident, lockComponents, lockPage } from './repository.ts';

export const NAME_MAX = 200;
export const BODY_MAX = 20_000;
const MAX_COMPONENTS_PER_CHANGE = 500;

/** Component id → new status, as sent by a form or the API. Unknown statuses are refused here. */
export type ComponentStatusInput = Record<string, unknown>;

export interface DeclareIncidentInput {
  type: unknown;
  severity: unknown;
  nameJa: unknown;
  nameEn?: unknown;
  status?: unknown;
  bodyJa: unknown;
  bodyEn?: unknown;
  componentStatuses?: ComponentStatusInput;
  /** Set only by src/drills: the incident is that drill's, kept off every public surface and every real component. */
  drillId?: string;
}

export interface PostUpdateInput {
  status?: unknown;
  /** Compare-and-set: refuse with CONFLICT unless the incident is still in this status (for automation). */
  expectedStatus?: string;
  visibility?: unknown;
  bodyJa: unknown;
  bodyEn?: unknown;
  componentStatuses?: ComponentStatusInput;
  /** A public update normally notifies subscribers; false publishes it quietly (e.g. a postmortem nobody is told about). */
  deliverNotifications?: boolean;
}

export interface ScheduleMaintenanceInput {
  nameJa: unknown;
  nameEn?: unknown;
  bodyJa: unknown;
  bodyEn?: unknown;
  scheduledFor: unknown;
  scheduledUntil: unknown;
  componentIds?: unknown;
  autoTransition?: unknown;
}

function parseComponentStatuses(input: ComponentStatusInput | undefined): Map<string, ComponentStatus> {
  const result = new Map<string, ComponentStatus>();
  if (input === undefined || input === null) return result;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new KinkyuError('VALIDATION', { field: 'componentStatuses', rule: 'object' });
  }
  const entries = Object.entries(input);
  if (entries.length > MAX_COMPONENTS_PER_CHANGE) {
    throw new KinkyuError('VALIDATION', { field: 'componentStatuses', rule: 'max', max: String(MAX_COMPONENTS_PER_CHANGE) });
  }
  for (const [id, status] of entries) {
    if (status === '' || status === undefined || status === null) continue; // "leave unchanged"
    if (!isComponentStatus(status)) throw new KinkyuError('UNKNOWN_COMPONENT_STATUS', { status: String(status).slice(0, 40) });
    result.set(id, status);
  }
  return result;
}

function parseVisibility(value: unknown): Visibility {
  if (value === undefined || value === null || value === '' || value === 'public') return 'public';
  if (value === 'internal') return 'internal';
  throw new KinkyuError('VALIDATION', { field: 'visibility', rule: 'enum' });
}

/**
 * Applies new statuses to locked components, records their history, and returns what changed. A drill's incident
 * (`drill`) changes no real component: its statuses go to drill_component_history, read back as its "current" ones.
 */
async function applyComponentStatuses(
  tx: Queryable,
  statuses: Map<string, ComponentStatus>,
  incidentId: string | null,
  now: Date,
  drill = false,
): Promise<AffectedComponent[]> {
  const components = await lockComponents(tx, [...statuses.keys()]);
  for (const id of statuses.keys()) {
    const c = components.get(id);
    if (!c) throw new KinkyuError('NOT_FOUND', { what: 'component', id: id.slice(0, 40) });
    if (c.isGroup) throw new KinkyuError('VALIDATION', { field: 'componentStatuses', rule: 'group' });
  }
  if (drill && incidentId) return applyDrillStatuses(tx, statuses, components, incidentId, now);
  const affected: AffectedComponent[] = [];
  const changedIds: string[] = [];
  const changedStatuses: ComponentStatus[] = [];
  for (const [id, status] of statuses) {
    const c = components.get(id) as Component;
    affected.push({ code: id, name: c.nameJa, old_status: c.status, new_status: status });
    if (c.status === status) continue;
    changedIds.push(id);
    changedStatuses.push(status);
  }
  // One statement for every component changed, their history rows in the order given (each row's trigger
  // compares it with that component's previous row).
  if (changedIds.length > 0) {
    await tx.query(
      `WITH v AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(id, status, n)),
       changed AS (UPDATE components c SET status = v.status, updated_at = $3 FROM v WHERE c.id = v.id)
       INSERT INTO component_status_history (component_id, status, at, incident_id)
       SELECT id, status, $3, $4 FROM v ORDER BY n`,
      [changedIds, changedStatuses, now, incidentId],
    );
  }
  return affected;
}

async function applyDrillStatuses(
  tx: Queryable,
  statuses: Map<string, ComponentStatus>,
  components: Map<string, Component>,
  incidentId: string,
  now: Date,
): Promise<AffectedComponent[]> {
  const rows = await tx.query<{ component_id: string; status: ComponentStatus }>(
    `SELECT DISTINCT ON (component_id) component_id, status FROM drill_component_history
      WHERE incident_id = $1 ORDER BY component_id, at DESC, id DESC`,
    [incidentId],
  );
  const sandbox = new Map(rows.map((r) => [r.component_id, r.status]));
  const affected: AffectedComponent[] = [];
  for (const [id, status] of statuses) {
    const c = components.get(id) as Component;
    const old = sandbox.get(id) ?? c.status;
    affected.push({ code: id, name: c.nameJa, old_status: old, new_status: status });
    if (old === status) continue;
    await tx.query('INSERT INTO drill_component_history (incident_id, component_id, status, at) VALUES ($1,$2,$3,$4)', [incidentId, id, status, now]);
  }
  return affected;
}

async function linkComponents(tx: Queryable, incidentId: string, componentIds: Iterable<string>): Promise<void> {
  const ids = [...componentIds];
  if (ids.length === 0) return;
  await tx.query(
    'INSERT INTO incident_components (incident_id, component_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING',
    [incidentId, ids],
  );
}

async function insertUpdate(
  tx: Queryable,
  u: {
    incidentId: string;
    status: IncidentStatus | MaintenanceStatus;
    visibility: Visibility;
    bodyJa: string;
    bodyEn: string | null;
    affected: AffectedComponent[];
    authorId: string | null;
    at: Date;
    notify?: boolean;
  },
): Promise<string> {
  const id = newId();
  await tx.query(
    `INSERT INTO incident_updates (id, incident_id, status, visibility, body_ja, body_en, affected_components,
       deliver_notifications, author_id, created_at, display_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10)`,
    [id, u.incidentId, u.status, u.visibility, u.bodyJa, u.bodyEn, JSON.stringify(u.affected), u.visibility === 'public' && u.notify !== false,
      u.authorId, u.at],
  );
  return id;
}

const staffId = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

/** Work another capability does as part of a declaration, in its transaction (the incident room opens its room). */
export type DeclarationHook = (tx: Queryable, incidentId: string) => Promise<void>;

export class StatusCommands {
  private readonly declarationHooks: DeclarationHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Runs `hook` in every declaration's transaction once the incident is written: both happen, or neither. */
  onDeclare(hook: DeclarationHook): void {
    this.declarationHooks.push(hook);
  }

  async declareIncident(actor: Actor, input: DeclareIncidentInput): Promise<{ incidentId: string; updateId: string }> {
    requirePresent(input.type, 'type');
    requirePresent(input.severity, 'severity');
    if (!isIncidentType(input.type)) throw new KinkyuError('UNKNOWN_INCIDENT_TYPE', { type: String(input.type).slice(0, 40) });
    if (!isSeverity(input.severity)) throw new KinkyuError('UNKNOWN_SEVERITY', { severity: String(input.severity).slice(0, 40) });
    const type: IncidentType = input.type;
    const severity: Severity = input.severity;
    const status = input.status === undefined || input.status === '' ? 'investigating' : input.status;
    if (!isIncidentStatus(status)) throw new KinkyuError('UNKNOWN_INCIDENT_STATUS', { status: String(status).slice(0, 40) });
    if (!isIncidentOpen(status)) throw new KinkyuError('ILLEGAL_INCIDENT_TRANSITION', { from: 'new', to: status });
    const nameJa = requireText(input.nameJa, 'nameJa', NAME_MAX);
    const nameEn = cleanText(input.nameEn, 'nameEn', { max: NAME_MAX });
    const bodyJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
    const statuses = parseComponentStatuses(input.componentStatuses);
    const now = this.clock();
    const incidentId = newId();
    const drillId = input.drillId ?? null;
    return this.db.transaction(async (tx) => {
      await lockPage(tx);
      await tx.query(
        `INSERT INTO incidents (id, kind, type, severity, name_ja, name_en, status, impact, commander_id,
           created_at, updated_at, started_at, monitoring_at, drill_id)
         VALUES ($1,'incident',$2,$3,$4,$5,$6,$7,$8,$9,$9,$9,$10,$11)`,
        [incidentId, type, severity, nameJa, nameEn, status, impactOfSeverity(severity), staffId(actor), now,
          status === 'monitoring' ? now : null, drillId],
      );
      const affected = await applyComponentStatuses(tx, statuses, incidentId, now, drillId !== null);
      await linkComponents(tx, incidentId, statuses.keys());
      const updateId = await insertUpdate(tx, {
        incidentId, status, visibility: 'public', bodyJa, bodyEn, affected, authorId: staffId(actor), at: now,
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'incident.declare',
        targetType: 'incident', targetId: incidentId,
        data: { type, severity, status, nameJa, nameEn, components: Object.fromEntries(statuses), ...(drillId ? { drillId } : {}) },
      }, now);
      for (const hook of this.declarationHooks) await hook(tx, incidentId);
      return { incidentId, updateId };
    });
  }

  /**
   * `alsoInTransaction` runs in the same transaction once the update is written, e.g. solving the tickets
   * linked to an incident that this update resolves: both happen, or neither.
   */
  async postUpdate(
    actor: Actor,
    incidentId: string,
    input: PostUpdateInput,
    alsoInTransaction?: (tx: Queryable, update: { incidentId: string; updateId: string; status: string; visibility: Visibility; bodyJa: string; bodyEn: string | null }) => Promise<void>,
  ): Promise<{ updateId: string }> {
    const visibility = parseVisibility(input.visibility);
    const bodyJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
    const requested = parseComponentStatuses(input.componentStatuses);
    const now = this.clock();
    return this.db.transaction(async (tx) => {
      await lockPage(tx);
      const incident = await getIncident(tx, incidentId, { includeInternal: false, forUpdate: true, withUpdates: false });
      if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident', id: incidentId.slice(0, 40) });
      if (input.expectedStatus !== undefined && input.expectedStatus !== incident.status) {
        throw new KinkyuError('CONFLICT', { status: incident.status });
      }
      const status = input.status === undefined || input.status === '' ? incident.status : input.status;
      if (incident.kind === 'incident') {
        if (!isIncidentStatus(status)) throw new KinkyuError('UNKNOWN_INCIDENT_STATUS', { status: String(status).slice(0, 40) });
        if (status !== incident.status) assertIncidentTransition(incident.status as IncidentStatus, status);
      } else {
        if (!isMaintenanceStatus(status)) throw new KinkyuError('UNKNOWN_INCIDENT_STATUS', { status: String(status).slice(0, 40) });
        if (status !== incident.status) assertMaintenanceTransition(incident.status as MaintenanceStatus, status);
      }
      if (status === incident.status && !isIncidentOpen(status) && visibility === 'public') {
        // What users were told at closing stands; staff can still add internal notes for the review.
        throw new KinkyuError('INCIDENT_CLOSED', { status });
      }
      if (visibility === 'internal' && (status !== incident.status || requested.size > 0)) {
        // Internal notes must not change what users see; a status change is always announced.
        throw new KinkyuError('VALIDATION', { field: 'visibility', rule: 'internal_no_change' });
      }
      const statuses = await this.defaultStatusesForTransition(tx, incident, status, requested);
      const affected = await applyComponentStatuses(tx, statuses, incident.id, now, Boolean(incident.drillId));
      await linkComponents(tx, incident.id, statuses.keys());
      const updateId = await insertUpdate(tx, {
        incidentId: incident.id, status, visibility, bodyJa, bodyEn, affected, authorId: staffId(actor), at: now,
        notify: input.deliverNotifications !== false,
      });
      if (visibility === 'public') {
        await tx.query(
          `UPDATE incidents SET status = $2, updated_at = $3,
             monitoring_at = CASE WHEN $2 = 'monitoring' AND monitoring_at IS NULL THEN $3 ELSE monitoring_at END,
             resolved_at = CASE WHEN $2 IN ('resolved','completed') AND resolved_at IS NULL THEN $3 ELSE resolved_at END,
             started_at = CASE WHEN kind = 'maintenance' AND $2 = 'in_progress' AND status = 'scheduled' THEN $3 ELSE started_at END
           WHERE id = $1`,
          [incident.id, status, now],
        );
      }
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null,
        action: visibility === 'internal' ? 'incident.note' : 'incident.update',
        targetType: incident.kind, targetId: incident.id,
        data: { from: incident.status, to: status, visibility, updateId, components: Object.fromEntries(statuses) },
      }, now);
      await alsoInTransaction?.(tx, { incidentId: incident.id, updateId, status, visibility, bodyJa, bodyEn });
      return { updateId };
    });
  }

  /**
   * What a transition does to components when staff do not say otherwise: a maintenance that starts puts
   * its components under maintenance, and resolving or completing returns them to operational — except
   * those another open incident still holds, so closing one incident never hides another.
   */
  private async defaultStatusesForTransition(
    tx: Queryable,
    incident: Incident,
    to: IncidentStatus | MaintenanceStatus,
    requested: Map<string, ComponentStatus>,
  ): Promise<Map<string, ComponentStatus>> {
    const result = new Map(requested);
    if (to === incident.status) return result;
    let fill: ComponentStatus | null = null;
    if (to === 'in_progress') fill = 'under_maintenance';
    if (to === 'resolved' || to === 'completed') fill = 'operational';
    if (!fill) return result;
    // A drill's components are its own sandbox: no other incident holds them there.
    const holders = incident.drillId ? new Map<string, 'incident' | 'maintenance'>() : await componentHolders(tx, incident.id);
    for (const id of incident.componentIds) {
      if (result.has(id)) continue;
      const holder = holders.get(id);
      // An open incident's status is never covered up by a maintenance starting or something else closing.
      if (holder === 'incident') continue;
      // Closing while a maintenance still runs on the component leaves it under maintenance.
      result.set(id, fill === 'operational' && holder === 'maintenance' ? 'under_maintenance' : fill);
    }
    return result;
  }

  /**
   * Corrects the text of a posted update (a wrong time, a typo in a figure). Status and components stay as
   * they were; the previous text goes to the audit log, and the update is marked as edited.
   */
  async editUpdate(actor: Actor, incidentId: string, updateId: string, input: { bodyJa: unknown; bodyEn?: unknown }): Promise<void> {
    const bodyJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await lockPage(tx);
      const [before] = await tx.query<{ body_ja: string; body_en: string | null }>(
        'SELECT body_ja, body_en FROM incident_updates WHERE id = $1 AND incident_id = $2 FOR UPDATE',
        [updateId, incidentId],
      );
      if (!before) throw new KinkyuError('NOT_FOUND', { what: 'update' });
      await tx.query('UPDATE incident_updates SET body_ja = $2, body_en = $3, edited_at = $4 WHERE id = $1', [updateId, bodyJa, bodyEn, now]);
      await tx.query('UPDATE incidents SET updated_at = $2 WHERE id = $1', [incidentId, now]);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'incident.update_edit',
        targetType: 'incident_update', targetId: updateId,
        data: { incidentId, before: { bodyJa: before.body_ja, bodyEn: before.body_en }, after: { bodyJa, bodyEn } },
      }, now);
    });
  }

  async setComponentStatus(actor: Actor, componentId: string, status: unknown): Promise<void> {
    requirePresent(status, 'status');
    if (!isComponentStatus(status)) throw new KinkyuError('UNKNOWN_COMPONENT_STATUS', { status: String(status).slice(0, 40) });
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      await lockPage(tx);
      const [change] = await applyComponentStatuses(tx, new Map([[componentId, status]]), null, now);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'component.status',
        targetType: 'component', targetId: componentId, data: { from: change?.old_status, to: status },
      }, now);
    });
  }

  async scheduleMaintenance(actor: Actor, input: ScheduleMaintenanceInput): Promise<{ incidentId: string }> {
    const nameJa = requireText(input.nameJa, 'nameJa', NAME_MAX);
    const nameEn = cleanText(input.nameEn, 'nameEn', { max: NAME_MAX });
    const bodyJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
    const scheduledFor = parseDate(input.scheduledFor, 'scheduledFor') as Date;
    const scheduledUntil = parseDate(input.scheduledUntil, 'scheduledUntil') as Date;
    if (scheduledUntil.getTime() <= scheduledFor.getTime()) {
      throw new KinkyuError('VALIDATION', { field: 'scheduledUntil', rule: 'after_start' });
    }
    const componentIds = parseIdList(input.componentIds, 'componentIds');
    const autoTransition = input.autoTransition === undefined || input.autoTransition === true || input.autoTransition === 'on' || input.autoTransition === 'true';
    const now = this.clock();
    const incidentId = newId();
    await this.db.transaction(async (tx) => {
      await lockPage(tx);
      const found = await lockComponents(tx, componentIds);
      for (const id of componentIds) {
        if (!found.has(id)) throw new KinkyuError('NOT_FOUND', { what: 'component', id: id.slice(0, 40) });
      }
      await tx.query(
        `INSERT INTO incidents (id, kind, type, severity, name_ja, name_en, status, impact, commander_id, created_at,
           updated_at, started_at, scheduled_for, scheduled_until, auto_transition)
         VALUES ($1,'maintenance','outage','SEV4',$2,$3,'scheduled','maintenance',$4,$5,$5,$6,$6,$7,$8)`,
        [incidentId, nameJa, nameEn, staffId(actor), now, scheduledFor, scheduledUntil, autoTransition],
      );
      await linkComponents(tx, incidentId, componentIds);
      await insertUpdate(tx, {
        incidentId, status: 'scheduled', visibility: 'public', bodyJa, bodyEn, affected: [], authorId: staffId(actor), at: now,
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'maintenance.schedule',
        targetType: 'maintenance', targetId: incidentId,
        data: { nameJa, nameEn, scheduledFor: scheduledFor.toISOString(), scheduledUntil: scheduledUntil.toISOString(), componentIds },
      }, now);
    });
    return { incidentId };
  }

  /**
   * Starts and completes maintenances whose window has come, for those that asked for it. Safe to run in
   * every process at once: each transition re-checks the status under a row lock.
   */
  async runMaintenanceSchedule(messages: { startedJa: string; startedEn: string; completedJa: string; completedEn: string }): Promise<number> {
    const now = this.clock();
    const due = await this.db.query<{ id: string; status: MaintenanceStatus; scheduled_for: Date; scheduled_until: Date }>(
      `SELECT id, status, scheduled_for, scheduled_until FROM incidents
       WHERE kind = 'maintenance' AND auto_transition
         AND ((status = 'scheduled' AND scheduled_for <= $1) OR (status IN ('in_progress','verifying') AND scheduled_until <= $1))`,
      [now],
    );
    let changed = 0;
    const failures: unknown[] = [];
    for (const m of due) {
      const to: MaintenanceStatus = m.status === 'scheduled' ? 'in_progress' : 'completed';
      try {
        await this.postUpdate(SYSTEM_ACTOR, m.id, {
          status: to,
          expectedStatus: m.status,
          bodyJa: to === 'in_progress' ? messages.startedJa : messages.completedJa,
          bodyEn: to === 'in_progress' ? messages.startedEn : messages.completedEn,
        });
        changed++;
      } catch (err) {
        // CONFLICT: another process or a staff member moved it first; that is the expected race, not a failure.
        if (!(err instanceof KinkyuError && err.code === 'CONFLICT')) failures.push(err);
      }
    }
    if (failures.length) throw new AggregateError(failures, `${failures.length} maintenance transitions failed`);
    return changed;
  }
}

/** A missing choice is "please choose", not "there is no such value". */
function requirePresent(value: unknown, field: string): void {
  if (value === undefined || value === null || value === '') throw new KinkyuError('VALIDATION', { field, rule: 'required' });
}

function parseIdList(value: unknown, field: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length > MAX_COMPONENTS_PER_CHANGE) throw new KinkyuError('VALIDATION', { field, rule: 'max', max: String(MAX_COMPONENTS_PER_CHANGE) });
  return [...new Set(list.map((v) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new KinkyuError('VALIDATION', { field, rule: 'id' });
    return v;
  }))];
}
