/**
 * The incident room: who holds which role, the tasks and their owners, the pre-approved update templates, and
 * one timeline of everything that happened to an incident. Every change is one transaction with its timeline
 * event and its audit entry (and, for a role, the mail to the people concerned).
 */
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isIncidentOpen, isIncidentStatus, type IncidentStatus } from '../domain/incident.ts';
import { cleanText, requireText } from '../domain/text.ts';
import { zoneOffsetMs } from '../domain/uptime.ts';
import { t, type Lang } from '../web/i18n.ts';
import { STARTING_CHECKLISTS } from './checklists.ts';
import { queueRoleMail } from './emails.ts';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders.ts';
import type { Assignment, StaffRow } from './role-repository.ts';
import type { IncidentHead } from './room-repository.ts';
import type { Task } from './task-repository.ts';
import type { UpdateTemplate } from './template-repository.ts';
import { isDefaultRoleKey, mayHold, type IncidentRoleDefinition } from './roles.ts';
import { BUILTIN_TEMPLATES } from './templates.ts';
import * as templateRepo from './template-repository.ts';
import * as taskRepo from './task-repository.ts';
import * as roomRepo from './room-repository.ts';
import * as roleRepo from './role-repository.ts';

const TITLE_MAX = 300;
const TEMPLATE_NAME_MAX = 200;
const BODY_MAX = 20_000;
const ID = /^[0-9a-z]{1,40}$/;

export interface IncidentRoomOptions {
  db: Db;
  clock: () => Date;
  roles: readonly IncidentRoleDefinition[];
  publicUrl: string;
  timeZone: string;
  mailDomain: string;
  /** Wakes the mail sender after a commit that queued mail. */
  onMailQueued?: () => void;
}

export interface RoomState {
  incident: IncidentHead;
  assignments: Assignment[];
  tasks: Task[];
  /** Active staff, for the role and owner choices. */
  staff: StaffRow[];
}

export interface TaskInput {
  titleJa?: unknown;
  titleEn?: unknown;
  /** A staff id, `role:<key>` (whoever holds that role), or empty for nobody. */
  owner?: unknown;
  /** ISO 8601, or a `datetime-local` value read in the page's zone; empty for none. */
  dueAt?: unknown;
}

export interface TemplateInput {
  nameJa?: unknown;
  nameEn?: unknown;
  status?: unknown;
  bodyJa?: unknown;
  bodyEn?: unknown;
}

/** The role's name in `lang`: an operator's own name, or the catalogue's for a default role. */
export function roleName(lang: Lang, role: IncidentRoleDefinition | undefined, key: string): string {
  if (role?.nameJa && role.nameEn) return lang === 'en' ? role.nameEn : role.nameJa;
  if (isDefaultRoleKey(key)) return t(lang, `room.role.${key}`);
  return key;
}

/** A `datetime-local` value ("2026-11-28T02:00") is wall-clock time in `timeZone`; a full ISO time passes through. */
export function parseZonedTime(value: unknown, field: string, timeZone: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 40) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
    const asUtc = new Date(`${value}Z`);
    if (Number.isNaN(asUtc.getTime())) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
    return new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone));
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
  return d;
}

const staffActorId = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

export class IncidentRoom {
  readonly #db: Db;
  readonly #o: IncidentRoomOptions;

  constructor(opts: IncidentRoomOptions) {
    this.#db = opts.db;
    this.#o = opts;
  }

  get roles(): readonly IncidentRoleDefinition[] {
    return this.#o.roles;
  }

  now(): Date {
    return this.#o.clock();
  }

  role(key: string): IncidentRoleDefinition | undefined {
    return this.#o.roles.find((r) => r.key === key);
  }

  // -------------------------------------------------------------------------------------------------------
  // Rooms

  /** The incident (never a maintenance), read only: a room's page never writes. */
  async incident(incidentId: string): Promise<IncidentHead> {
    const incident = typeof incidentId === 'string' && ID.test(incidentId) ? await roomRepo.incidentHead(this.#db, incidentId) : null;
    if (!incident || incident.kind !== 'incident') throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return incident;
  }

  /**
   * Opens the room of an incident being declared, in the declaration's transaction (see index.ts). An incident
   * declared before rooms opened with their declaration gets its room the same way with the first change made
   * in it (a role, a task, an update from the composer); reading its room writes nothing.
   */
  async openRoomIn(tx: Queryable, incidentId: string): Promise<void> {
    const incident = await roomRepo.incidentHead(tx, incidentId);
    if (incident?.kind === 'incident') await this.#openRoomIn(tx, incident);
  }

  /** Takes the room's lock; makes the room with its starting checklist when it has none. */
  async #openRoomIn(tx: Queryable, incident: IncidentHead): Promise<void> {
    const now = this.#o.clock();
    const items = STARTING_CHECKLISTS[incident.type];
    await roomRepo.lockRoom(tx, incident.id);
    if (!(await roomRepo.insertRoom(tx, incident.id, now, incident.type))) return;
    let position = 0;
    for (const item of items) {
      // Due from the incident's start: a room opened late shows what is overdue already.
      await taskRepo.insertTask(tx, {
        id: newId(), incidentId: incident.id, position: ++position, checklistKey: item.key,
        titleJa: t('ja', item.title), titleEn: t('en', item.title),
        ownerId: null, ownerRole: this.role(item.role) ? item.role : null,
        dueAt: new Date(incident.startedAt.getTime() + item.dueMinutes * 60_000), createdBy: null, at: now,
      });
    }
    await roomRepo.insertRoomEvent(tx, { incidentId: incident.id, at: now, actorType: 'system', actorId: null, kind: 'room_opened', data: { type: incident.type, tasks: items.length } });
    await appendAudit(tx, {
      actorType: 'system', actorId: null, action: 'incident.room_open', targetType: 'incident', targetId: incident.id,
      data: { checklist: incident.type, tasks: items.map((i) => i.key) },
    }, now);
  }

  /** What the room shows; an incident without a room yet shows an empty one (nothing is written). */
  async state(incidentId: string): Promise<RoomState> {
    const incident = await this.incident(incidentId);
    const [assignments, tasks, staff] = await Promise.all([
      roleRepo.activeAssignments(this.#db, [incident.id]), taskRepo.tasksOf(this.#db, incident.id), roleRepo.activeStaff(this.#db),
    ]);
    return { incident, assignments, tasks, staff };
  }

  // -------------------------------------------------------------------------------------------------------
  // Roles

  /** Refuses, with names the reader understands, a person who cannot act on incidents. */
  #assertMayHold(person: StaffRow | null, role: IncidentRoleDefinition, rule: 'roleNotAllowed' | 'ownerNotAllowed', field: string): asserts person is StaffRow {
    if (!person) throw new KinkyuError('NOT_FOUND', { what: 'staff' });
    if (person.disabledAt) throw new KinkyuError('VALIDATION', { field, rule: 'staffDisabled', staffName: person.name });
    if (!mayHold(person.role, role)) {
      throw new KinkyuError('VALIDATION', { field, rule, staffName: person.name, staffRole: person.role, incidentRole: role.key, permission: role.requires });
    }
  }

  /**
   * Gives `role` to a staff member. A role one person holds at a time moves from its holder to the new one (a
   * hand-over); both are told by mail. Giving someone a role they hold changes nothing.
   */
  async assignRole(actor: Actor, incidentId: string, input: { role?: unknown; staffId?: unknown }): Promise<{ changed: boolean; handover: boolean }> {
    const role = typeof input.role === 'string' ? this.role(input.role) : undefined;
    if (!role) throw new KinkyuError('VALIDATION', { field: 'role', rule: 'enum' });
    if (typeof input.staffId !== 'string' || !ID.test(input.staffId)) throw new KinkyuError('VALIDATION', { field: 'staffId', rule: 'required' });
    const incident = await this.incident(incidentId);
    const person = await roleRepo.staffById(this.#db, input.staffId);
    this.#assertMayHold(person, role, 'roleNotAllowed', 'staffId');
    const now = this.#o.clock();
    const actorId = staffActorId(actor);
    const result = await this.#db.transaction(async (tx) => {
      await this.#openRoomIn(tx, incident);
      const holders = (await roleRepo.activeAssignments(tx, [incident.id])).filter((a) => a.role === role.key);
      if (holders.some((h) => h.staffId === person.id)) return { changed: false, handover: false };
      const previous = role.multiple ? [] : holders;
      for (const h of previous) await roleRepo.releaseAssignment(tx, h.id, now, actorId);
      await roleRepo.insertAssignment(tx, { id: newId(), incidentId: incident.id, role: role.key, staffId: person.id, assignedBy: actorId, at: now });
      const handover = previous.length > 0;
      const from = previous.map((h) => ({ id: h.staffId, name: h.staffName }));
      await roomRepo.insertRoomEvent(tx, {
        incidentId: incident.id, at: now, actorType: actor.type, actorId: actor.id, kind: handover ? 'role_handover' : 'role_assigned',
        data: { role: role.key, to: { id: person.id, name: person.name }, ...(handover ? { from } : {}), mailed: this.#mailed(actorId, person.id, previous) },
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: handover ? 'incident.role_handover' : 'incident.role_assign',
        targetType: 'incident', targetId: incident.id, data: { role: role.key, staffId: person.id, from: from.map((f) => f.id) },
      }, now);
      const actorName = actorId ? (await roleRepo.staffById(tx, actorId))?.name ?? '' : t('ja', 'room.who.system');
      const names = { ja: roleName('ja', role, role.key), en: roleName('en', role, role.key) };
      const settings = { publicUrl: this.#o.publicUrl, timeZone: this.#o.timeZone, mailDomain: this.#o.mailDomain };
      if (person.id !== actorId) {
        await queueRoleMail(tx, { to: person.email, recipientName: person.name, kind: 'assigned', role: names, incident, otherName: actorName, at: now }, settings);
      }
      for (const h of previous) {
        if (h.staffId === actorId) continue;
        await queueRoleMail(tx, { to: h.staffEmail, recipientName: h.staffName, kind: 'handed_over', role: names, incident, otherName: person.name, at: now }, settings);
      }
      return { changed: true, handover };
    });
    if (result.changed) this.#o.onMailQueued?.();
    return result;
  }

  /** Who was told by mail: everyone concerned except the person who made the change. */
  #mailed(actorId: string | null, to: string, previous: readonly Assignment[]): string[] {
    return [to, ...previous.map((p) => p.staffId)].filter((id) => id !== actorId);
  }

  async releaseRole(actor: Actor, incidentId: string, assignmentId: unknown): Promise<void> {
    const incident = await this.incident(incidentId);
    const now = this.#o.clock();
    await this.#db.transaction(async (tx) => {
      await roomRepo.lockRoom(tx, incident.id);
      const held = (await roleRepo.activeAssignments(tx, [incident.id])).find((a) => a.id === assignmentId);
      if (!held) throw new KinkyuError('NOT_FOUND', { what: 'assignment' });
      await roleRepo.releaseAssignment(tx, held.id, now, staffActorId(actor));
      await roomRepo.insertRoomEvent(tx, {
        incidentId: incident.id, at: now, actorType: actor.type, actorId: actor.id, kind: 'role_released',
        data: { role: held.role, from: { id: held.staffId, name: held.staffName } },
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'incident.role_release',
        targetType: 'incident', targetId: incident.id, data: { role: held.role, staffId: held.staffId },
      }, now);
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Tasks

  async #parseTask(input: TaskInput, now: Date, opts: { previousDue: Date | null }): Promise<{
    titleJa: string; titleEn: string | null; ownerId: string | null; ownerRole: string | null; dueAt: Date | null; ownerName: string | null;
  }> {
    const titleJa = requireText(input.titleJa, 'titleJa', TITLE_MAX);
    const titleEn = cleanText(input.titleEn, 'titleEn', { max: TITLE_MAX });
    let ownerId: string | null = null;
    let ownerRole: string | null = null;
    let ownerName: string | null = null;
    if (typeof input.owner === 'string' && input.owner.startsWith('role:')) {
      const role = this.role(input.owner.slice(5));
      if (!role) throw new KinkyuError('VALIDATION', { field: 'owner', rule: 'enum' });
      ownerRole = role.key;
    } else if (input.owner !== undefined && input.owner !== null && input.owner !== '') {
      if (typeof input.owner !== 'string' || !ID.test(input.owner)) throw new KinkyuError('VALIDATION', { field: 'owner', rule: 'enum' });
      const person = await roleRepo.staffById(this.#db, input.owner);
      // A task's owner acts on the incident: the same rule as for the responder role.
      this.#assertMayHold(person, this.role('responder') ?? { key: 'responder', multiple: true, requires: 'incident.write' }, 'ownerNotAllowed', 'owner');
      ownerId = person.id;
      ownerName = person.name;
    }
    const dueAt = parseZonedTime(input.dueAt, 'dueAt', this.#o.timeZone);
    // A new due time must be ahead; one left as it was may have passed (that is what "overdue" means).
    const unchanged = dueAt !== null && opts.previousDue !== null && dueAt.getTime() === opts.previousDue.getTime();
    if (dueAt && !unchanged && dueAt.getTime() <= now.getTime()) {
      throw new KinkyuError('VALIDATION', { field: 'dueAt', rule: 'dueInPast', now: now.toISOString(), due: dueAt.toISOString() });
    }
    return { titleJa, titleEn, ownerId, ownerRole, dueAt, ownerName };
  }

  async addTask(actor: Actor, incidentId: string, input: TaskInput): Promise<{ taskId: string }> {
    const incident = await this.incident(incidentId);
    const now = this.#o.clock();
    const task = await this.#parseTask(input, now, { previousDue: null });
    const id = newId();
    await this.#db.transaction(async (tx) => {
      await this.#openRoomIn(tx, incident);
      await taskRepo.insertTask(tx, {
        id, incidentId: incident.id, position: await taskRepo.nextTaskPosition(tx, incident.id), checklistKey: null, titleJa: task.titleJa,
        titleEn: task.titleEn, ownerId: task.ownerId, ownerRole: task.ownerRole, dueAt: task.dueAt, createdBy: staffActorId(actor), at: now,
      });
      await roomRepo.insertRoomEvent(tx, {
        incidentId: incident.id, at: now, actorType: actor.type, actorId: actor.id, kind: 'task_added',
        data: { taskId: id, titleJa: task.titleJa, titleEn: task.titleEn, owner: task.ownerName, ownerRole: task.ownerRole, dueAt: task.dueAt?.toISOString() ?? null },
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'incident.task_add', targetType: 'incident', targetId: incident.id,
        data: { taskId: id, titleJa: task.titleJa, ownerId: task.ownerId, ownerRole: task.ownerRole, dueAt: task.dueAt?.toISOString() ?? null },
      }, now);
    });
    return { taskId: id };
  }

  async editTask(actor: Actor, incidentId: string, taskId: string, input: TaskInput): Promise<void> {
    const incident = await this.incident(incidentId);
    const before = ID.test(taskId) ? await taskRepo.findTask(this.#db, incident.id, taskId) : null;
    if (!before) throw new KinkyuError('NOT_FOUND', { what: 'task' });
    const now = this.#o.clock();
    const task = await this.#parseTask(input, now, { previousDue: before.dueAt });
    await this.#db.transaction(async (tx) => {
      await roomRepo.lockRoom(tx, incident.id);
      await taskRepo.updateTask(tx, before.id, { ...task, at: now });
      await roomRepo.insertRoomEvent(tx, {
        incidentId: incident.id, at: now, actorType: actor.type, actorId: actor.id, kind: 'task_edited',
        data: { taskId: before.id, titleJa: task.titleJa, titleEn: task.titleEn, owner: task.ownerName, ownerRole: task.ownerRole, dueAt: task.dueAt?.toISOString() ?? null },
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'incident.task_edit', targetType: 'incident', targetId: incident.id,
        data: {
          taskId: before.id,
          before: { titleJa: before.titleJa, titleEn: before.titleEn, ownerId: before.ownerId, ownerRole: before.ownerRole, dueAt: before.dueAt?.toISOString() ?? null },
          after: { titleJa: task.titleJa, titleEn: task.titleEn, ownerId: task.ownerId, ownerRole: task.ownerRole, dueAt: task.dueAt?.toISOString() ?? null },
        },
      }, now);
    });
  }

  /** Ticks (`done` true) or unticks a task. Ticking a done task again changes nothing. */
  async setTaskDone(actor: Actor, incidentId: string, taskId: string, done: unknown): Promise<{ changed: boolean }> {
    const incident = await this.incident(incidentId);
    const want = done === true || done === 'true' || done === 'on' || done === '1';
    if (!(want || done === false || done === 'false' || done === '0')) throw new KinkyuError('VALIDATION', { field: 'done', rule: 'enum' });
    const now = this.#o.clock();
    return this.#db.transaction(async (tx) => {
      await roomRepo.lockRoom(tx, incident.id);
      const task = ID.test(taskId) ? await taskRepo.findTask(tx, incident.id, taskId) : null;
      if (!task) throw new KinkyuError('NOT_FOUND', { what: 'task' });
      if ((task.doneAt !== null) === want) return { changed: false };
      await taskRepo.setTaskDone(tx, task.id, want, now, staffActorId(actor));
      await roomRepo.insertRoomEvent(tx, {
        incidentId: incident.id, at: now, actorType: actor.type, actorId: actor.id, kind: want ? 'task_done' : 'task_reopened',
        data: { taskId: task.id, titleJa: task.titleJa, titleEn: task.titleEn, dueAt: task.dueAt?.toISOString() ?? null, late: want && task.dueAt !== null && task.dueAt.getTime() < now.getTime() },
      });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: want ? 'incident.task_done' : 'incident.task_reopen',
        targetType: 'incident', targetId: incident.id, data: { taskId: task.id, titleJa: task.titleJa },
      }, now);
      return { changed: true };
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Update templates

  /** Adds the built-in templates that were never added (at start; several processes at once add each once). */
  async addBuiltinTemplates(): Promise<number> {
    const now = this.#o.clock();
    let added = 0;
    let position = 0;
    for (const b of BUILTIN_TEMPLATES) {
      position += 1;
      const inserted = await templateRepo.insertBuiltinTemplate(this.#db, {
        id: newId(), key: b.key, position, at: now, status: b.status,
        nameJa: t('ja', b.name), nameEn: t('en', b.name), bodyJa: t('ja', b.body), bodyEn: t('en', b.body),
      });
      if (inserted) added += 1;
    }
    return added;
  }

  listTemplates(opts: { includeArchived: boolean }): Promise<UpdateTemplate[]> {
    return templateRepo.listTemplates(this.#db, opts);
  }

  async template(id: unknown): Promise<UpdateTemplate> {
    const found = typeof id === 'string' && ID.test(id) ? await templateRepo.findTemplate(this.#db, id) : null;
    if (!found) throw new KinkyuError('NOT_FOUND', { what: 'template' });
    return found;
  }

  #parseTemplate(input: TemplateInput): templateRepo.TemplateFields {
    const nameJa = requireText(input.nameJa, 'nameJa', TEMPLATE_NAME_MAX);
    const nameEn = cleanText(input.nameEn, 'nameEn', { max: TEMPLATE_NAME_MAX });
    let status: IncidentStatus | null = null;
    if (input.status !== undefined && input.status !== null && input.status !== '') {
      if (!isIncidentStatus(input.status) || !isIncidentOpen(input.status) && input.status !== 'resolved') {
        throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
      }
      status = input.status;
    }
    const bodyJa = requireText(input.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true });
    for (const [field, text] of [['nameJa', nameJa], ['nameEn', nameEn], ['bodyJa', bodyJa], ['bodyEn', bodyEn]] as const) {
      assertKnownPlaceholders(field, text);
    }
    return { nameJa, nameEn, status, bodyJa, bodyEn };
  }

  async createTemplate(actor: Actor, input: TemplateInput): Promise<{ templateId: string }> {
    const fields = this.#parseTemplate(input);
    const now = this.#o.clock();
    const id = newId();
    await this.#db.transaction(async (tx) => {
      await templateRepo.insertTemplate(tx, { ...fields, id, by: staffActorId(actor), at: now });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'update_template.create', targetType: 'update_template', targetId: id, data: { ...fields },
      }, now);
    });
    return { templateId: id };
  }

  async updateTemplate(actor: Actor, id: string, input: TemplateInput): Promise<void> {
    const before = await this.template(id);
    const fields = this.#parseTemplate(input);
    const now = this.#o.clock();
    await this.#db.transaction(async (tx) => {
      await templateRepo.updateTemplate(tx, before.id, { ...fields, by: staffActorId(actor), at: now });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'update_template.edit', targetType: 'update_template', targetId: before.id,
        data: { before: { nameJa: before.nameJa, nameEn: before.nameEn, status: before.status, bodyJa: before.bodyJa, bodyEn: before.bodyEn }, after: { ...fields } },
      }, now);
    });
  }

  async archiveTemplate(actor: Actor, id: string, archived: boolean): Promise<void> {
    const before = await this.template(id);
    const now = this.#o.clock();
    await this.#db.transaction(async (tx) => {
      await templateRepo.setTemplateArchived(tx, before.id, archived ? now : null, staffActorId(actor));
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: archived ? 'update_template.archive' : 'update_template.restore',
        targetType: 'update_template', targetId: before.id, data: { nameJa: before.nameJa },
      }, now);
    });
  }

  /** Records, beside the update itself, that it was written in the composer (and from which template). */
  async recordComposed(tx: Queryable, actor: Actor, incidentId: string, data: { updateId?: string; templateId: string | null; templateName: string | null }, at: Date): Promise<void> {
    await this.openRoomIn(tx, incidentId);
    await roomRepo.insertRoomEvent(tx, { incidentId, at, actorType: actor.type, actorId: actor.id, kind: 'update_composed', data });
  }
}

/** Refuses text with a {name} that is not a placeholder, naming the unknown ones and the ones there are. */
export function assertKnownPlaceholders(field: string, text: string | null): void {
  if (!text) return;
  const unknown = unknownPlaceholders(text);
  if (unknown.length) {
    throw new KinkyuError('VALIDATION', {
      field, rule: 'unknownPlaceholder', names: unknown.map((n) => `{${n}}`).join(' '), allowed: PLACEHOLDERS.map((p) => `{${p}}`).join(' '),
    });
  }
}
