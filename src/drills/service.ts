import type { Db } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { Incident } from '../domain/incident.ts';
import type { StatusCommands } from '../status/commands.ts';
import { getIncident, listComponents, listIncidentsForPage } from '../status/repository.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import { updateNotice } from '../notify/channels/update-notice.ts';
import { composeXThread, xUpdateText } from '../notify/channels/x-compose.ts';
import { slackMessage } from '../notify/channels/slack.ts';
import { matchIncident } from '../desk/incident-match.ts';
import { DEFAULT_SLA_POLICY, initialDueDates } from '../desk/sla.ts';
import { triageCombined } from '../desk/triage/combined.ts';
import type { TriageModel } from '../desk/triage/model.ts';
import { t, type Lang } from '../web/i18n.ts';
import type { IncidentReviews } from '../incident-review/index.ts';
import type { RegulatorClock } from '../regulator/index.ts';
import {
  drillDeliveries, drillRecipients, eventsWithoutStandIns, finishDrill, getDrill, insertDrill, insertMonitorFailures, insertStandInPost,
  insertTickets, isolationFigures, listDrills, queueOrder, setDrillIncident, setRecipient, standInPosts, tableColumns, ticketCounts,
  type DrillOptionsStored, type DrillRow, type DrillTicketInsert, type RecipientRow,
} from './repository.ts';
import { problemsOf, type DrillReport } from './report.ts';
import { parseScenario, PLANS, type DrillStep, type Scenario } from './scenarios.ts';
import { syntheticMessages } from './synthetic.ts';

export interface DrillsOptions {
  commands: StatusCommands;
  regulator: RegulatorClock;
  reviews: IncidentReviews;
  /** The public page as it is (the stand-ins render from it, and the report checks the drill is not on it). */
  snapshot: () => PageSnapshot | null;
  refreshSnapshot: () => Promise<void>;
  /** The triage model the desk uses now. */
  triageModel: () => Promise<TriageModel>;
  /** The desk's calendar (SLA due dates of the synthetic tickets). */
  calendar: BusinessCalendar;
  clock?: () => Date;
  /** The language the exchange's X account posts in (the stand-ins use it). */
  lang: Lang;
  log?: (msg: string, err?: unknown) => void;
}

export interface StartInput {
  scenario: unknown;
  surge?: unknown;
  takeovers?: unknown;
  monitors?: unknown;
  scripted?: unknown;
  via: 'cli' | 'console';
}

export const DEFAULT_SURGE = 300;
export const DEFAULT_TAKEOVERS = 3;
const MAX_SURGE = 5_000;
const MAX_TAKEOVERS = 50;

function count(v: unknown, field: string, fallback: number, max: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new KinkyuError('VALIDATION', { field, rule: 'range', max: String(max) });
  return n;
}

function flag(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true' || v === 'on' || v === '1') return true;
  if (v === false || v === 'false' || v === 'off' || v === '0') return false;
  throw new KinkyuError('VALIDATION', { field: 'flag', rule: 'enum' });
}

/** Parses everything a start asks for, before anything is written: a bad input changes nothing. */
export function parseStart(input: StartInput): { scenario: Scenario; options: DrillOptionsStored } {
  const scenario = parseScenario(input.scenario);
  return {
    scenario,
    options: {
      surge: count(input.surge, 'surge', DEFAULT_SURGE, MAX_SURGE),
      takeovers: count(input.takeovers, 'takeovers', DEFAULT_TAKEOVERS, MAX_TAKEOVERS),
      monitors: flag(input.monitors, true),
      scripted: flag(input.scripted, false),
    },
  };
}

const ROLE_TABLES = ['incident_roles', 'incident_role_assignments', 'incident_room_roles'] as const;
const TASK_TABLES = ['incident_tasks', 'incident_room_tasks'] as const;

/**
 * Drills (issue 13 §9): an incident of a scenario that runs the real flow — StatusCommands, the fan-out, the real
 * triage and incident matching, the regulator's clock, the review — in a sandbox: the incident carries drill_id, so
 * the public page, API, feeds and export never show it and no real component changes; its notifications reach only
 * subscribers marked as drill recipients, and the X and Slack stand-ins (rendered here by the real composers, kept in
 * drill_stand_in_posts). The report is kept as evidence when the drill finishes.
 */
export class Drills {
  readonly #db: Db;
  readonly #opts: DrillsOptions;
  readonly #clock: () => Date;

  constructor(db: Db, opts: DrillsOptions) {
    this.#db = db;
    this.#opts = opts;
    this.#clock = opts.clock ?? (() => new Date());
  }

  async list(): Promise<DrillRow[]> {
    return listDrills(this.#db);
  }

  async get(id: string): Promise<DrillRow> {
    const drill = typeof id === 'string' && id.length <= 64 ? await getDrill(this.#db, id) : null;
    if (!drill) throw new KinkyuError('NOT_FOUND', { what: 'drill' });
    return drill;
  }

  async incidentOf(drill: DrillRow): Promise<Incident> {
    const incident = drill.incidentId ? await getIncident(this.#db, drill.incidentId, { includeInternal: true }) : undefined;
    if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return incident;
  }

  /** Starts a drill: its incident declared, synthetic monitor failures, regulator facts, the ticket surge. */
  async start(actor: Actor, input: StartInput): Promise<{ drillId: string; incidentId: string }> {
    const { scenario, options } = parseStart(input);
    const plan = PLANS[scenario];
    const components = await listComponents(this.#db);
    const statuses = plan.components(components);
    const drillId = newId();
    const startedAt = this.#clock();
    await this.#db.transaction(async (tx) => {
      await insertDrill(tx, { id: drillId, scenario, options, at: startedAt, by: actor.type === 'staff' ? actor.id : null, via: input.via });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'drill.start', targetType: 'drill', targetId: drillId,
        data: { scenario, ...options, via: input.via },
      }, startedAt);
    });
    // The drill begins where a real outage would be proposed: three failed checks in a row, a minute apart.
    if (options.monitors && statuses.size > 0) {
      await insertMonitorFailures(this.#db, drillId, [...statuses.keys()].flatMap((componentId) => [2, 1, 0].map((minutesAgo) => ({
        componentId, at: new Date(startedAt.getTime() - minutesAgo * 60_000), detail: t('ja', 'drill.monitorDetail', { component: componentId }),
      }))));
    }
    const { incidentId } = await this.#opts.commands.declareIncident(actor, {
      type: plan.type,
      severity: plan.severity,
      nameJa: `${t('ja', 'drill.namePrefix')}${t('ja', `drill.scenario.${scenario}.name`)}`,
      nameEn: `${t('en', 'drill.namePrefix')}${t('en', `drill.scenario.${scenario}.name`)}`,
      bodyJa: t('ja', `drill.scenario.${scenario}.investigating`),
      bodyEn: t('en', `drill.scenario.${scenario}.investigating`),
      componentStatuses: Object.fromEntries(statuses),
      drillId,
    });
    await setDrillIncident(this.#db, drillId, incidentId);
    const f = plan.facts;
    if (f.personalData || f.customerAssetsLost || f.usersAffected !== null) {
      await this.#opts.regulator.saveFacts(actor, incidentId, {
        awareAt: startedAt.toISOString(), personalData: f.personalData, sensitiveData: f.sensitiveData, financialLossRisk: f.financialLossRisk,
        wrongfulAct: f.wrongfulAct, customerAssetsLost: f.customerAssetsLost, usersAffected: f.usersAffected ?? '', dataItems: f.dataItems ? t('ja', `drill.dataItems.${f.dataItems}`) : '',
      });
    } else {
      await this.#opts.regulator.attach(incidentId);
    }
    if (options.surge + options.takeovers > 0) await this.#surge(drillId, incidentId, plan.surge, options, components);
    if (options.scripted) await this.runScripted(actor, drillId);
    return { drillId, incidentId };
  }

  /** The synthetic users write in: triaged by the real triage, matched by the real matcher, queued as the desk would. */
  async #surge(drillId: string, incidentId: string, kind: (typeof PLANS)[Scenario]['surge'], options: DrillOptionsStored, components: Awaited<ReturnType<typeof listComponents>>): Promise<void> {
    const incident = await getIncident(this.#db, incidentId, { includeInternal: false });
    const model = await this.#opts.triageModel();
    const at = this.#clock();
    const rows: DrillTicketInsert[] = syntheticMessages(kind, options.surge, options.takeovers).map((m, seq) => {
      const triage = triageCombined({ text: m.body }, model);
      const match = incident ? matchIncident({ type: triage.type, text: m.body }, [incident], components) : null;
      return {
        seq, kind: m.kind, lang: m.lang, body: m.body, type: triage.type, priority: triage.priority, needsHuman: triage.needsHuman,
        linked: match !== null, dueAt: initialDueDates(DEFAULT_SLA_POLICY, this.#opts.calendar, triage.priority, at).firstResponseDueAt, at,
      };
    });
    await insertTickets(this.#db, drillId, rows);
  }

  /**
   * Plays the responders' part: posts the scenario's updates through to resolution and files the reports that are
   * due within hours (the FSA's first report) as soon as the cause is identified. `pause` runs before each step
   * (tests advance their clock there).
   */
  async runScripted(actor: Actor, drillId: string, pause: (step: DrillStep) => Promise<void> = async () => undefined): Promise<void> {
    const drill = await this.get(drillId);
    if (drill.status !== 'running') throw new KinkyuError('CONFLICT', { rule: 'drill_finished' });
    const incident = await this.incidentOf(drill);
    for (const step of PLANS[drill.scenario].steps) {
      await pause(step);
      const current = await this.incidentOf(drill);
      if (current.status === 'resolved' || current.status === 'postmortem') break;
      await this.#opts.commands.postUpdate(actor, incident.id, {
        status: step,
        bodyJa: t('ja', `drill.scenario.${drill.scenario}.${step}`),
        bodyEn: t('en', `drill.scenario.${drill.scenario}.${step}`),
      });
        if (step === 'identified') {
        for (const o of await this.#opts.regulator.obligationsFor(incident.id)) {
          const { rule } = await this.#opts.regulator.obligation(o.id);
          for (const s of o.stages) {
            if (!s.doneAt && rule.stages.find((x) => x.id === s.stageId)?.due.hours !== undefined) {
              await this.#opts.regulator.markStage(actor, o.id, s.stageId, { done: true, reference: t('ja', 'drill.reference') });
            }
          }
        }
      }
    }
    await this.flushStandIns();
  }

  /** Finishes a running drill: the report is computed and kept; an incident still open is closed quietly. */
  async finish(actor: Actor, drillId: string): Promise<DrillReport> {
    const drill = await this.get(drillId);
    if (drill.status !== 'running') throw new KinkyuError('CONFLICT', { rule: 'drill_finished' });
    await this.flushStandIns();
    const report = await this.#compute(drill, this.#clock());
    const now = this.#clock();
    const done = await this.#db.transaction(async (tx) => {
      if (!(await finishDrill(tx, drill.id, now, report))) return false;
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'drill.finish', targetType: 'drill', targetId: drill.id,
        data: { scenario: drill.scenario, problems: report.problems, buriedSecurity: report.tickets.buriedSecurity },
      }, now);
      return true;
    });
    if (!done) throw new KinkyuError('CONFLICT', { rule: 'drill_finished' });
    const incident = await this.incidentOf(drill);
    if (incident.status !== 'resolved' && incident.status !== 'postmortem') {
      await this.#opts.commands.postUpdate(actor, incident.id, {
        status: 'resolved', bodyJa: t('ja', 'drill.closedByFinish'), bodyEn: t('en', 'drill.closedByFinish'), deliverNotifications: false,
      });
    }
    return report;
  }

  /** The stored report of a finished drill, or the report so far of a running one. */
  async report(drillId: string): Promise<DrillReport> {
    const drill = await this.get(drillId);
    return drill.report ?? this.#compute(drill, this.#clock());
  }

  async #compute(drill: DrillRow, now: Date): Promise<DrillReport> {
    const incident = await this.incidentOf(drill);
    const { figures } = await this.#opts.reviews.figures(incident.id);
    const publicUpdates = incident.updates.filter((u) => u.visibility === 'public').map((u) => u.createdAt.getTime());
    const firstUpdate = publicUpdates.length ? Math.min(...publicUpdates) : null;
    const start = figures.times.failureToDeclaration !== null ? incident.startedAt.getTime() - figures.times.failureToDeclaration : drill.startedAt.getTime();
    const queue = await queueOrder(this.#db, drill.id);
    // Buried: a takeover report with any ticket above it that is not itself an urgent security report (other
    // people's security reports may come first; an "is it down?" never may).
    const firstOther = queue.find((q) => !(q.type === 'security' && q.priority === 'urgent'))?.rank ?? Infinity;
    const buried = queue.filter((q) => q.kind === 'takeover' && q.rank > firstOther).length;
    const deliveries = await drillDeliveries(this.#db, drill.id);
    const posts = await standInPosts(this.#db, drill.id);
    const obligations = await this.#opts.regulator.obligationsFor(incident.id);
    const base: Omit<DrillReport, 'problems'> = {
      version: 1,
      drillId: drill.id,
      scenario: drill.scenario,
      incidentId: incident.id,
      incidentName: { ja: incident.nameJa, en: incident.nameEn ?? incident.nameJa },
      startedAt: drill.startedAt.toISOString(),
      finishedAt: now.toISOString(),
      startedVia: drill.startedVia,
      startedBy: drill.startedByName,
      times: {
        toFirstPublicUpdateMs: firstUpdate === null ? null : Math.max(0, firstUpdate - start),
        failureToDeclarationMs: figures.times.failureToDeclaration,
        declarationToResolutionMs: figures.times.declarationToResolution,
        resolved: incident.resolvedAt !== null,
      },
      roles: await this.#roles(incident.id),
      tasks: await this.#tasks(incident.id),
      tickets: { ...(await ticketCounts(this.#db, drill.id)), buriedSecurity: buried },
      notifications: deliveries.byChannel,
      standIns: { x: posts.filter((p) => p.channel === 'x').length, slack: posts.filter((p) => p.channel === 'slack').length },
      recipients: (await drillRecipients(this.#db)).length,
      isolation: {
        publicPageClean: await this.#notPublic(incident.id),
        deliveriesOutsideRecipients: deliveries.outsideRecipients,
        realComponentChanges: (await isolationFigures(this.#db, incident.id)).realComponentChanges,
      },
      regulator: obligations.flatMap((o) => o.stages.map((s) => ({
        rule: o.title, stage: s.title, dueAt: s.dueShownAt.toISOString(), doneAt: s.doneAt?.toISOString() ?? null, state: s.state,
      }))),
    };
    return { ...base, problems: problemsOf(base) };
  }

  /** The drill's incident is on no public surface: not in the page's snapshot, nor in what the page reads. */
  async #notPublic(incidentId: string): Promise<boolean> {
    await this.#opts.refreshSnapshot().catch(() => undefined);
    const s = this.#opts.snapshot();
    if (s && (s.knownIds.has(incidentId) || [...s.incidents, ...s.maintenances].some((i) => i.id === incidentId))) return false;
    const listed = await listIncidentsForPage(this.#db, { recentLimit: 1_000 });
    return !listed.some((i) => i.id === incidentId);
  }

  async #roles(incidentId: string): Promise<DrillReport['roles']> {
    const tables = await tableColumns(this.#db, ROLE_TABLES);
    for (const name of ROLE_TABLES) {
      const cols = tables.get(name);
      if (!cols?.has('incident_id')) continue;
      const roleCol = ['role', 'role_name', 'name'].find((c) => cols.has(c));
      const rows = await this.#db.query<{ role: string | null }>(
        `SELECT ${roleCol ? `"${roleCol}"::text` : 'NULL::text'} AS role FROM "${name}" WHERE incident_id = $1`,
        [incidentId],
      );
      return { available: true, assigned: rows.length, roles: [...new Set(rows.map((r) => r.role).filter((r): r is string => Boolean(r)))].sort() };
    }
    return { available: false };
  }

  async #tasks(incidentId: string): Promise<DrillReport['tasks']> {
    const tables = await tableColumns(this.#db, TASK_TABLES);
    for (const name of TASK_TABLES) {
      const cols = tables.get(name);
      if (!cols?.has('incident_id')) continue;
      const due = ['due_at', 'deadline_at', 'due'].find((c) => cols.has(c));
      const done = ['done_at', 'completed_at'].find((c) => cols.has(c));
      if (!done) continue;
      const [r] = await this.#db.query<{ total: number; on_time: number; late: number; open: number }>(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE "${done}" IS NOT NULL AND ${due ? `("${due}" IS NULL OR "${done}" <= "${due}")` : 'true'})::int AS on_time,
                count(*) FILTER (WHERE "${done}" IS NOT NULL AND ${due ? `"${due}" IS NOT NULL AND "${done}" > "${due}"` : 'false'})::int AS late,
                count(*) FILTER (WHERE "${done}" IS NULL)::int AS open
           FROM "${name}" WHERE incident_id = $1`,
        [incidentId],
      );
      return { available: true, total: Number(r?.total ?? 0), onTime: Number(r?.on_time ?? 0), late: Number(r?.late ?? 0), open: Number(r?.open ?? 0) };
    }
    return { available: false };
  }

  /**
   * What the exchange's X account and Slack would have posted for each drill update, rendered by the real composers
   * and kept in drill_stand_in_posts (the local stand-ins). Safe in every process at once. Returns rows written.
   */
  async flushStandIns(): Promise<number> {
    const events = await eventsWithoutStandIns(this.#db);
    if (events.length === 0) return 0;
    let base = this.#opts.snapshot();
    if (!base) {
      await this.#opts.refreshSnapshot().catch(() => undefined);
      base = this.#opts.snapshot();
    }
    if (!base) return 0;
    let written = 0;
    for (const e of events) {
      const incident = await getIncident(this.#db, e.incidentId, { includeInternal: false });
      if (!incident) continue;
      const view: PageSnapshot = { ...base, incidents: [...base.incidents.filter((i) => i.id !== incident.id), incident] };
      const notice = updateNotice(view, e.incidentId, e.updateId, this.#opts.lang);
      const at = this.#clock();
      if (!notice) {
        // The update is gone or internal: record that nothing was posted, so it is not looked at again.
        for (const channel of ['x', 'slack'] as const) await insertStandInPost(this.#db, { eventId: e.eventId, channel, drillId: e.drillId, updateId: e.updateId, body: { lang: this.#opts.lang, skipped: true }, at });
        continue;
      }
      await insertStandInPost(this.#db, { eventId: e.eventId, channel: 'x', drillId: e.drillId, updateId: e.updateId, body: { lang: notice.lang, parts: composeXThread(xUpdateText(notice), notice.url) }, at });
      const slack = slackMessage(notice);
      await insertStandInPost(this.#db, { eventId: e.eventId, channel: 'slack', drillId: e.drillId, updateId: e.updateId, body: { lang: notice.lang, text: slack.text, blocks: slack.blocks }, at });
      written += 2;
    }
    return written;
  }

  async recipients(): Promise<RecipientRow[]> {
    return drillRecipients(this.#db);
  }

  /** Marks a subscriber (by id, or its exact address or URL) as a drill recipient, or takes the mark away. */
  async setRecipient(actor: Actor, target: unknown, on: boolean): Promise<{ subscriberId: string }> {
    if (typeof target !== 'string' || target.trim() === '' || target.length > 2048) throw new KinkyuError('VALIDATION', { field: 'recipient', rule: 'required' });
    const now = this.#clock();
    return this.#db.transaction(async (tx) => {
      const row = await setRecipient(tx, target.trim(), on);
      if (!row) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: on ? 'drill.recipient_add' : 'drill.recipient_remove',
        targetType: 'subscriber', targetId: row.id, data: { channel: row.channel },
      }, now);
      return { subscriberId: row.id };
    });
  }

  /** The drill's tickets in queue order (the preview shows the top of it). */
  async queue(drillId: string, limit = 30): Promise<Awaited<ReturnType<typeof queueOrder>>> {
    return queueOrder(this.#db, drillId, limit);
  }

  async standIns(drillId: string): Promise<Awaited<ReturnType<typeof standInPosts>>> {
    return standInPosts(this.#db, drillId);
  }
}
