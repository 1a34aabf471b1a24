/**
 * Monitors wired into the status page. The runner records a damped change in its own transaction (a
 * `monitor_changes` row next to the result and the new state); this service then applies it through
 * StatusCommands — the public page, component history and audit log see what they see for a staff change, with
 * the monitor as a 'system' actor — and opens an incident proposal, and marks the change applied.
 *
 * Why after the runner's transaction and not inside it: StatusCommands runs its own transactions (page lock,
 * history, audit), and on the embedded database there is one connection, so it cannot run nested inside the
 * runner's. The change row is the bridge: it commits with the state, so a process that dies before the statuses
 * are set leaves it unapplied, and the next round of any runner in any process applies it. Applying again is
 * harmless (a status already set is skipped), and the proposal and the "applied" mark share one transaction,
 * so a change opens at most one proposal.
 *
 * Who wins over a component: the most recent decision still in force. A monitor writes a component only if it
 * still shows what this monitor last applied to it (operational when it never applied one): a status someone
 * else (staff, an incident, another monitor) set and that still holds is kept — e.g. staff who put a component
 * under maintenance by hand while the monitor already saw it down keep their status — while a change that was
 * undone since (degraded and back, a resolved incident) does not stand in the way. Never while a scheduled
 * maintenance in progress holds it. Skipped components are recorded on the change and the proposal still
 * opens, so staff see what the monitor saw.
 *
 * Proposals: a sustained problem opens a draft "declare" proposal (policy `draft`) or declares the incident at
 * once (policy `publish`); announced maintenance (bitbank 10007) opens none; recovery proposes resolving the
 * incident the monitor's proposal became — it is never resolved without a staff member accepting. One open
 * proposal per monitor at most.
 */
import type { ComponentStatus } from '../domain/component.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isIncidentOpen, type IncidentStatus } from '../domain/incident.ts';
import { cleanText, requireText } from '../domain/text.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { StatusCommands } from '../status/commands.ts';
import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { composeDeclare, composeResolve, type NamedComponent } from './compose.ts';
import { pruneResults } from './repository.ts';
import { MonitorRunner, type StateChange } from './runner.ts';
import { proposalFromRow, type ChangeRow, type Proposal, type ProposalRow } from './proposal-rows.ts';


export type IncidentPolicy = 'draft' | 'publish';

export interface MonitorServiceOptions {
  db: Db;
  commands: StatusCommands;
  policy: IncidentPolicy;
  clock?: () => Date;
  owner?: string;
  /** Results older than this many days are deleted (checked at most once an hour per process). */
  retentionDays?: number;
  log?: (msg: string, err?: unknown) => void;
}

/** A claimed change or publish that is this old was left by a process that died; another may take it over. */
const LEASE_MS = 60_000;
const HOUR_MS = 3_600_000;
const TITLE_MAX = 200;
const BODY_MAX = 20_000;

/** The actor a monitor's changes are recorded under: a system actor named after the monitor. */
export const monitorActor = (monitorId: string): Actor => ({ type: 'system', id: `monitor:${monitorId}` });

export class MonitorService {
  readonly runner: MonitorRunner;
  private readonly db: Db;
  private readonly commands: StatusCommands;
  private readonly clock: () => Date;
  private readonly opts: MonitorServiceOptions;
  private lastPrune = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(opts: MonitorServiceOptions) {
    this.opts = opts;
    this.db = opts.db;
    this.commands = opts.commands;
    this.clock = opts.clock ?? (() => new Date());
    this.runner = new MonitorRunner({
      db: opts.db,
      clock: this.clock,
      ...(opts.owner ? { owner: opts.owner } : {}),
      onStateChange: (change, tx) => recordChange(tx, change),
      onError: (err, monitorId) => this.log(`monitor ${monitorId} check failed`, err),
    });
  }

  get policy(): IncidentPolicy {
    return this.opts.policy;
  }

  /**
   * One round: what an earlier round (maybe in a process that died) left unapplied, the monitors due now, what
   * they changed, and now and then the retention. Returns the monitors checked.
   */
  async runDue(): Promise<string[]> {
    await this.applyPending();
    const ran = await this.runner.runDue();
    await this.applyPending();
    await this.prune();
    return ran;
  }

  /** Polls every `pollMs` until stop(). */
  start(pollMs = 1000): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.runDue().catch((err) => this.log('monitor round failed', err));
      await this.running;
      if (!this.stopped) {
        this.timer = setTimeout(loop, pollMs);
        this.timer.unref();
      }
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Applies recorded changes, oldest first per monitor; returns how many. */
  async applyPending(): Promise<number> {
    let applied = 0;
    for (let round = 0; round < 20; round++) {
      const now = this.clock();
      const claimed = await this.db.query<ChangeRow>(
        `UPDATE monitor_changes SET lease_until = $2
          WHERE id IN (
            SELECT c.id FROM monitor_changes c
             WHERE c.applied_at IS NULL AND (c.lease_until IS NULL OR c.lease_until <= $1)
               AND NOT EXISTS (SELECT 1 FROM monitor_changes p WHERE p.monitor_id = c.monitor_id AND p.applied_at IS NULL AND p.id < c.id)
             ORDER BY c.id LIMIT 20
             FOR UPDATE SKIP LOCKED)
          RETURNING id::text, monitor_id, at, from_health, to_health, component_statuses, held, detail`,
        [now, new Date(now.getTime() + LEASE_MS)],
      );
      if (!claimed.length) break;
      for (const change of claimed) {
        try {
          await this.applyChange(change);
          applied++;
        } catch (err) {
          // The lease runs out and a later round tries again.
          this.log(`monitor change ${change.id} could not be applied`, err);
        }
      }
    }
    await this.publishLeftovers();
    return applied;
  }

  private async applyChange(change: ChangeRow): Promise<void> {
    const actor = monitorActor(change.monitor_id);
    const skipped: Record<string, string> = {};
    for (const [componentId, status] of Object.entries(change.component_statuses)) {
      const [c] = await this.db.query<{ status: ComponentStatus; is_group: boolean; in_maintenance: boolean }>(
        `SELECT c.status, c.is_group,
           EXISTS (SELECT 1 FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id
                    WHERE ic.component_id = c.id AND i.kind = 'maintenance' AND i.status IN ('in_progress','verifying')) AS in_maintenance
         FROM components c WHERE c.id = $1`,
        [componentId],
      );
      if (!c || c.is_group) {
        skipped[componentId] = 'gone';
        continue;
      }
      if (c.status === status) continue;
      if (c.in_maintenance) {
        skipped[componentId] = 'maintenance';
        continue;
      }
      if (c.status !== (await this.lastApplied(change.monitor_id, componentId))) {
        skipped[componentId] = 'staff';
        continue;
      }
      await this.commands.setComponentStatus(actor, componentId, status);
    }
    const autoPublish = await this.db.transaction(async (tx) => {
      const [still] = await tx.query('SELECT 1 FROM monitor_changes WHERE id = $1 AND applied_at IS NULL FOR UPDATE', [change.id]);
      if (!still) return null;
      const proposalId = await this.propose(tx, change);
      await tx.query('UPDATE monitor_changes SET applied_at = $2, lease_until = NULL, skipped = $3 WHERE id = $1', [
        change.id, this.clock(), Object.keys(skipped).length ? JSON.stringify(skipped) : null,
      ]);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, action: 'monitor.state_change', targetType: 'monitor', targetId: change.monitor_id,
        data: { from: change.from_health, to: change.to_health, components: change.component_statuses, skipped, detail: change.detail.slice(0, 500), proposalId },
      }, this.clock());
      return proposalId && this.opts.policy === 'publish' ? proposalId : null;
    });
    if (autoPublish) await this.publishAsMonitor(autoPublish);
  }

  /**
   * The status this monitor's latest applied change left on a component (set by it, or found already so), or
   * operational when none did. A component showing anything else carries someone else's decision.
   */
  private async lastApplied(monitorId: string, componentId: string): Promise<ComponentStatus> {
    const [row] = await this.db.query<{ status: ComponentStatus }>(
      `SELECT component_statuses ->> $2 AS status FROM monitor_changes
        WHERE monitor_id = $1 AND applied_at IS NOT NULL AND component_statuses ? $2 AND NOT coalesce(skipped ? $2, false)
        ORDER BY id DESC LIMIT 1`,
      [monitorId, componentId],
    );
    return row?.status ?? 'operational';
  }

  /** Opens, or closes, proposals for one change; returns a new declare proposal's id. */
  private async propose(tx: Queryable, change: ChangeRow): Promise<string | null> {
    const [monitor] = await tx.query<{ name: string }>('SELECT name FROM monitors WHERE id = $1', [change.monitor_id]);
    if (!monitor) return null;
    const now = this.clock();
    const heldProblems = Object.entries(change.held).filter(([, s]) => s !== 'under_maintenance' && s !== 'operational');
    const bad = change.to_health === 'down' || change.to_health === 'degraded' || heldProblems.length > 0;
    const clear = change.to_health === 'up' && Object.keys(change.held).length === 0;
    if (!bad && !clear) return null; // maintenance: announced, nothing to propose
    let [open] = await tx.query<ProposalRow>(
      `SELECT * FROM monitor_proposals WHERE monitor_id = $1 AND status = 'open' FOR UPDATE`, [change.monitor_id],
    );
    const [linked] = await tx.query<{ incident_id: string; component_statuses: Record<string, ComponentStatus>; name_ja: string; name_en: string | null }>(
      `SELECT p.incident_id, p.component_statuses, i.name_ja, i.name_en FROM monitor_proposals p JOIN incidents i ON i.id = p.incident_id
        WHERE p.monitor_id = $1 AND p.kind = 'declare' AND p.status = 'accepted' AND i.status IN ('investigating','identified','monitoring')
        ORDER BY p.created_at DESC LIMIT 1`,
      [change.monitor_id],
    );
    const close = async (reason: string) => {
      await tx.query(`UPDATE monitor_proposals SET status = 'dismissed', closed_reason = $2, decided_at = $3 WHERE id = $1`, [open!.id, reason, now]);
      open = undefined;
    };
    if (bad) {
      if (open?.kind === 'resolve') await close('relapsed');
      if (linked || open) return null;
      const components = await namedComponents(tx, Object.keys(change.held));
      const text = composeDeclare(monitor.name, change.to_health, change.held, components);
      const id = newId();
      await tx.query(
        `INSERT INTO monitor_proposals (id, monitor_id, monitor_name, kind, component_statuses, incident_type, severity,
           title_ja, title_en, body_ja, body_en, detail, auto_publish, created_at)
         VALUES ($1,$2,$3,'declare',$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [id, change.monitor_id, monitor.name, JSON.stringify(Object.fromEntries(heldProblems)), text.type, text.severity,
          text.titleJa, text.titleEn, text.bodyJa, text.bodyEn, change.detail.slice(0, 1000), this.opts.policy === 'publish', now],
      );
      return id;
    }
    if (open?.kind === 'declare') await close('recovered');
    if (!linked || open) return null;
    const components = await namedComponents(tx, Object.keys(linked.component_statuses));
    const text = composeResolve(monitor.name, components);
    await tx.query(
      `INSERT INTO monitor_proposals (id, monitor_id, monitor_name, kind, component_statuses, title_ja, title_en, body_ja, body_en,
         detail, incident_id, created_at)
       VALUES ($1,$2,$3,'resolve',$4,$5,$6,$7,$8,$9,$10,$11)`,
      [newId(), change.monitor_id, monitor.name, JSON.stringify(linked.component_statuses), linked.name_ja, linked.name_en ?? linked.name_ja,
        text.bodyJa, text.bodyEn, change.detail.slice(0, 1000), linked.incident_id, now],
    );
    return null;
  }

  /** Policy publish: proposals whose publishing a dead process left unfinished, or never started. */
  private async publishLeftovers(): Promise<void> {
    if (this.opts.policy !== 'publish') return;
    const stale = new Date(this.clock().getTime() - LEASE_MS);
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM monitor_proposals WHERE status = 'open' AND kind = 'declare' AND auto_publish
         AND (publishing_since IS NULL OR publishing_since < $1) ORDER BY created_at LIMIT 20`,
      [stale],
    );
    for (const r of rows) await this.publishAsMonitor(r.id);
  }

  private async publishAsMonitor(id: string): Promise<void> {
    const [p] = await this.db.query<{ monitor_id: string | null }>('SELECT monitor_id FROM monitor_proposals WHERE id = $1', [id]);
    try {
      await this.publish(monitorActor(p?.monitor_id ?? 'deleted'), id);
    } catch (err) {
      this.log(`monitor proposal ${id} could not be published`, err);
    }
  }

  // ------------------------------------------------------------------------------------------ staff actions

  async listProposals(opts: { open?: boolean; monitorId?: string; limit?: number } = {}): Promise<Proposal[]> {
    const rows = await this.db.query<ProposalRow>(
      `SELECT * FROM monitor_proposals WHERE ($1::boolean IS NULL OR (status = 'open') = $1) AND ($2::text IS NULL OR monitor_id = $2)
        ORDER BY created_at DESC, id LIMIT $3`,
      [opts.open ?? null, opts.monitorId ?? null, opts.limit ?? 50],
    );
    return rows.map(proposalFromRow);
  }

  async getProposal(id: string): Promise<Proposal> {
    const [row] = await this.db.query<ProposalRow>('SELECT * FROM monitor_proposals WHERE id = $1', [id]);
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'proposal' });
    return proposalFromRow(row);
  }

  /**
   * Declares the incident a declare proposal describes, with the text as given (staff may edit it). A claim
   * (`publishing_since`) keeps two clicks, or two processes, from declaring it twice; a publish that died
   * after declaring is found again by its title and time instead of being declared a second time.
   */
  async publish(actor: Actor, id: string, edits: { titleJa?: unknown; titleEn?: unknown; bodyJa?: unknown; bodyEn?: unknown } = {}): Promise<{ incidentId: string }> {
    const current = await this.getProposal(id);
    if (current.kind !== 'declare') throw new KinkyuError('VALIDATION', { field: 'proposal', rule: 'monitor_not_declare' });
    const titleJa = edits.titleJa === undefined ? current.titleJa : requireText(edits.titleJa, 'titleJa', TITLE_MAX);
    const titleEn = (edits.titleEn === undefined ? current.titleEn : cleanText(edits.titleEn, 'titleEn', { max: TITLE_MAX })) ?? null;
    const bodyJa = edits.bodyJa === undefined ? current.bodyJa : requireText(edits.bodyJa, 'bodyJa', BODY_MAX, true);
    const bodyEn = (edits.bodyEn === undefined ? current.bodyEn : cleanText(edits.bodyEn, 'bodyEn', { max: BODY_MAX, multiline: true })) ?? null;
    const now = this.clock();
    const [claim] = await this.db.query<ProposalRow & { previous_claim: Date | null }>(
      `WITH prior AS (SELECT id, publishing_since FROM monitor_proposals WHERE id = $1 FOR UPDATE)
       UPDATE monitor_proposals p SET publishing_since = $2, title_ja = $4, title_en = $5, body_ja = $6, body_en = $7
         FROM prior
        WHERE p.id = prior.id AND p.status = 'open' AND (p.publishing_since IS NULL OR p.publishing_since < $3)
       RETURNING p.*, prior.publishing_since AS previous_claim`,
      [id, now, new Date(now.getTime() - LEASE_MS), titleJa, titleEn ?? titleJa, bodyJa, bodyEn ?? bodyJa],
    );
    if (!claim) throw new KinkyuError('CONFLICT', { what: 'proposal', status: current.status });
    let incidentId: string | undefined;
    try {
      if (claim.previous_claim) {
        const [orphan] = await this.db.query<{ id: string }>(
          `SELECT id FROM incidents WHERE kind = 'incident' AND name_ja = $1 AND created_at >= $2
             AND id NOT IN (SELECT incident_id FROM monitor_proposals WHERE incident_id IS NOT NULL) ORDER BY created_at LIMIT 1`,
          [claim.title_ja, claim.previous_claim],
        );
        incidentId = orphan?.id;
      }
      if (!incidentId) {
        const statuses = await this.currentStatusesFor(claim.component_statuses);
        incidentId = (await this.commands.declareIncident(actor, {
          type: claim.incident_type, severity: claim.severity, nameJa: claim.title_ja, nameEn: titleEn ?? undefined,
          bodyJa: claim.body_ja, bodyEn: bodyEn ?? undefined, componentStatuses: statuses,
        })).incidentId;
      }
    } catch (err) {
      await this.db.query('UPDATE monitor_proposals SET publishing_since = NULL WHERE id = $1', [id]);
      throw err;
    }
    const declared = incidentId;
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE monitor_proposals SET status = 'accepted', incident_id = $2, decided_at = $3, decided_by = $4, publishing_since = NULL WHERE id = $1`,
        [id, declared, this.clock(), actor.id],
      );
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.proposal_publish',
        targetType: 'monitor_proposal', targetId: id, data: { incidentId: declared, monitorId: claim.monitor_id },
      }, this.clock());
    });
    return { incidentId: declared };
  }

  /**
   * The statuses to declare with: the proposal's, except where a component now shows another problem (staff
   * changed it): that one is linked to the incident as it is. Groups and deleted components are left out.
   */
  private async currentStatusesFor(proposed: Record<string, ComponentStatus>): Promise<Record<string, ComponentStatus>> {
    const ids = Object.keys(proposed);
    if (!ids.length) return {};
    const rows = await this.db.query<{ id: string; status: ComponentStatus }>(
      'SELECT id, status FROM components WHERE id = ANY($1::text[]) AND NOT is_group', [ids],
    );
    return Object.fromEntries(rows.map((r) => [r.id, r.status !== 'operational' ? r.status : proposed[r.id]!]));
  }

  /** Posts the resolving update a resolve proposal carries (editable); both happen in one transaction. */
  async acceptResolve(actor: Actor, id: string, edits: { bodyJa?: unknown; bodyEn?: unknown } = {}): Promise<{ incidentId: string; alreadyClosed: boolean }> {
    const p = await this.getProposal(id);
    if (p.kind !== 'resolve' || !p.incidentId) throw new KinkyuError('VALIDATION', { field: 'proposal', rule: 'monitor_not_resolve' });
    if (p.status !== 'open') throw new KinkyuError('CONFLICT', { what: 'proposal', status: p.status });
    const incidentId = p.incidentId;
    const [incident] = await this.db.query<{ status: IncidentStatus }>('SELECT status FROM incidents WHERE id = $1', [incidentId]);
    if (!incident || !isIncidentOpen(incident.status)) {
      // Staff resolved it themselves meanwhile: nothing left to post.
      await this.close(actor, id, 'incident_closed');
      return { incidentId, alreadyClosed: true };
    }
    await this.commands.postUpdate(actor, incidentId, {
      status: 'resolved',
      bodyJa: edits.bodyJa === undefined ? p.bodyJa : edits.bodyJa,
      bodyEn: edits.bodyEn === undefined ? p.bodyEn : edits.bodyEn,
    }, async (tx) => {
      const rows = await tx.query(
        `UPDATE monitor_proposals SET status = 'accepted', decided_at = $2, decided_by = $3 WHERE id = $1 AND status = 'open' RETURNING id`,
        [id, this.clock(), actor.id],
      );
      if (!rows.length) throw new KinkyuError('CONFLICT', { what: 'proposal', status: 'accepted' });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.proposal_resolve',
        targetType: 'monitor_proposal', targetId: id, data: { incidentId, monitorId: p.monitorId },
      }, this.clock());
    });
    return { incidentId, alreadyClosed: false };
  }

  async dismiss(actor: Actor, id: string): Promise<void> {
    await this.getProposal(id);
    await this.close(actor, id, null);
  }

  private async close(actor: Actor, id: string, reason: string | null): Promise<void> {
    const now = this.clock();
    await this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE monitor_proposals SET status = 'dismissed', closed_reason = $2, decided_at = $3, decided_by = $4
          WHERE id = $1 AND status = 'open' AND (publishing_since IS NULL OR publishing_since < $5) RETURNING id`,
        [id, reason, now, actor.id, new Date(now.getTime() - LEASE_MS)],
      );
      if (!rows.length) throw new KinkyuError('CONFLICT', { what: 'proposal', status: 'closed' });
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.proposal_dismiss',
        targetType: 'monitor_proposal', targetId: id, data: { reason },
      }, now);
    });
  }

  private async prune(): Promise<void> {
    const now = this.clock().getTime();
    if (now - this.lastPrune < HOUR_MS) return;
    this.lastPrune = now;
    const days = this.opts.retentionDays ?? 100;
    await pruneResults(this.db, new Date(now - days * 86_400_000)).catch((err) => this.log('monitor result pruning failed', err));
  }

  private log(msg: string, err?: unknown): void {
    this.opts.log?.(msg, err);
  }
}

/** Runs inside the runner's transaction: the change commits with the monitor's new state, or not at all. */
async function recordChange(tx: Queryable, change: StateChange): Promise<void> {
  await tx.query(
    `INSERT INTO monitor_changes (monitor_id, at, from_health, to_health, component_statuses, held, detail)
     VALUES ($1,$2,$3,$4,$5,$6,$7)`,
    [change.monitor.id, change.at, change.from.health, change.to.health, JSON.stringify(change.componentStatuses),
      JSON.stringify(change.to.components), change.detail.slice(0, 1000)],
  );
}

async function namedComponents(q: Queryable, ids: string[]): Promise<NamedComponent[]> {
  if (!ids.length) return [];
  const rows = await q.query<{ id: string; name_ja: string; name_en: string; metadata: Record<string, unknown> | null }>(
    'SELECT id, name_ja, name_en, metadata FROM components WHERE id = ANY($1::text[]) ORDER BY position, id', [ids],
  );
  return rows.map((r) => ({
    id: r.id, nameJa: r.name_ja, nameEn: r.name_en,
    trading: Array.isArray(r.metadata?.pairs) && (r.metadata.pairs as unknown[]).length > 0,
  }));
}
