/** Every SQL statement of the regulator's clock. */
import type { Queryable } from '../store/db.ts';
import type { RegulatoryRule } from './rules.ts';

export interface FactsRow {
  incidentId: string;
  awareAt: Date;
  personalData: boolean;
  sensitiveData: boolean;
  financialLossRisk: boolean;
  wrongfulAct: boolean;
  customerAssetsLost: boolean;
  usersAffected: number | null;
  dataItems: string;
  updatedAt: Date;
}

interface FactsDbRow {
  incident_id: string;
  aware_at: Date;
  personal_data: boolean;
  sensitive_data: boolean;
  financial_loss_risk: boolean;
  wrongful_act: boolean;
  customer_assets_lost: boolean;
  users_affected: number | null;
  data_items: string;
  updated_at: Date;
}

export async function readFacts(q: Queryable, incidentId: string): Promise<FactsRow | null> {
  const [r] = await q.query<FactsDbRow>('SELECT * FROM regulatory_facts WHERE incident_id = $1', [incidentId]);
  if (!r) return null;
  return {
    incidentId: r.incident_id, awareAt: new Date(r.aware_at), personalData: r.personal_data, sensitiveData: r.sensitive_data,
    financialLossRisk: r.financial_loss_risk, wrongfulAct: r.wrongful_act, customerAssetsLost: r.customer_assets_lost,
    usersAffected: r.users_affected === null ? null : Number(r.users_affected), dataItems: r.data_items, updatedAt: new Date(r.updated_at),
  };
}

export async function writeFacts(q: Queryable, f: Omit<FactsRow, 'updatedAt'>, by: string | null, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO regulatory_facts (incident_id, aware_at, personal_data, sensitive_data, financial_loss_risk, wrongful_act,
       customer_assets_lost, users_affected, data_items, updated_at, updated_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     ON CONFLICT (incident_id) DO UPDATE SET aware_at = $2, personal_data = $3, sensitive_data = $4, financial_loss_risk = $5,
       wrongful_act = $6, customer_assets_lost = $7, users_affected = $8, data_items = $9, updated_at = $10, updated_by = $11`,
    [f.incidentId, f.awareAt, f.personalData, f.sensitiveData, f.financialLossRisk, f.wrongfulAct, f.customerAssetsLost, f.usersAffected, f.dataItems, at, by],
  );
}

export interface ObligationRow {
  id: string;
  incidentId: string;
  ruleId: string;
  rule: RegulatoryRule;
  ownerId: string | null;
  ownerName: string | null;
  ownerEmail: string | null;
  status: 'open' | 'withdrawn';
  createdAt: Date;
}

export interface StageRow {
  obligationId: string;
  stageId: string;
  position: number;
  dueAt: Date;
  remindAt: Date;
  doneAt: Date | null;
  doneBy: string | null;
  reference: string | null;
  reminded: boolean;
}

interface ObligationDbRow {
  id: string;
  incident_id: string;
  rule_id: string;
  rule: RegulatoryRule;
  owner_id: string | null;
  owner_name: string | null;
  owner_email: string | null;
  status: 'open' | 'withdrawn';
  created_at: Date;
}

const toObligation = (r: ObligationDbRow): ObligationRow => ({
  id: r.id, incidentId: r.incident_id, ruleId: r.rule_id, rule: r.rule, ownerId: r.owner_id, ownerName: r.owner_name,
  ownerEmail: r.owner_email, status: r.status, createdAt: new Date(r.created_at),
});

const OBLIGATION_SELECT = `SELECT o.*, s.name AS owner_name, s.email AS owner_email FROM regulatory_obligations o LEFT JOIN staff s ON s.id = o.owner_id`;

export async function obligationsOf(q: Queryable, incidentId: string, opts: { forUpdate?: boolean } = {}): Promise<ObligationRow[]> {
  const rows = await q.query<ObligationDbRow>(
    `${OBLIGATION_SELECT} WHERE o.incident_id = $1 ORDER BY o.created_at, o.rule_id ${opts.forUpdate ? 'FOR UPDATE OF o' : ''}`,
    [incidentId],
  );
  return rows.map(toObligation);
}

export async function obligation(q: Queryable, id: string): Promise<ObligationRow | null> {
  const [r] = await q.query<ObligationDbRow>(`${OBLIGATION_SELECT} WHERE o.id = $1`, [id]);
  return r ? toObligation(r) : null;
}

interface StageDbRow {
  obligation_id: string;
  stage_id: string;
  position: number;
  due_at: Date;
  remind_at: Date;
  done_at: Date | null;
  done_by: string | null;
  reference: string | null;
  reminded: boolean;
}

const toStage = (r: StageDbRow): StageRow => ({
  obligationId: r.obligation_id, stageId: r.stage_id, position: Number(r.position), dueAt: new Date(r.due_at), remindAt: new Date(r.remind_at),
  doneAt: r.done_at ? new Date(r.done_at) : null, doneBy: r.done_by, reference: r.reference, reminded: r.reminded,
});

export async function stagesOf(q: Queryable, obligationIds: readonly string[]): Promise<StageRow[]> {
  if (obligationIds.length === 0) return [];
  const rows = await q.query<StageDbRow>(
    `SELECT st.*, EXISTS (SELECT 1 FROM regulatory_reminders r WHERE r.obligation_id = st.obligation_id AND r.stage_id = st.stage_id) AS reminded
       FROM regulatory_stages st WHERE st.obligation_id = ANY($1) ORDER BY st.obligation_id, st.position`,
    [obligationIds],
  );
  return rows.map(toStage);
}

export async function insertObligation(q: Queryable, o: { id: string; incidentId: string; rule: RegulatoryRule; ownerId: string | null; at: Date }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO regulatory_obligations (id, incident_id, rule_id, rule, owner_id, created_at) VALUES ($1,$2,$3,$4::jsonb,$5,$6)
     ON CONFLICT (incident_id, rule_id) DO NOTHING RETURNING 1`,
    [o.id, o.incidentId, o.rule.id, JSON.stringify(o.rule), o.ownerId, o.at],
  );
  return rows.length > 0;
}

export async function setObligationStatus(q: Queryable, id: string, status: 'open' | 'withdrawn'): Promise<void> {
  await q.query('UPDATE regulatory_obligations SET status = $2 WHERE id = $1', [id, status]);
}

/** A stage's deadline; a stage already filed keeps the deadline it was filed against. */
export async function upsertStage(q: Queryable, s: { obligationId: string; stageId: string; position: number; dueAt: Date; remindAt: Date }): Promise<void> {
  await q.query(
    `INSERT INTO regulatory_stages (obligation_id, stage_id, position, due_at, remind_at) VALUES ($1,$2,$3,$4,$5)
     ON CONFLICT (obligation_id, stage_id) DO UPDATE SET position = $3, due_at = $4, remind_at = $5
       WHERE regulatory_stages.done_at IS NULL`,
    [s.obligationId, s.stageId, s.position, s.dueAt, s.remindAt],
  );
}

export async function setOwner(q: Queryable, obligationId: string, ownerId: string | null): Promise<boolean> {
  return (await q.query('UPDATE regulatory_obligations SET owner_id = $2 WHERE id = $1 RETURNING 1', [obligationId, ownerId])).length > 0;
}

export async function setStageDone(q: Queryable, obligationId: string, stageId: string, done: { at: Date; by: string | null; reference: string | null } | null): Promise<boolean> {
  const rows = await q.query(
    `UPDATE regulatory_stages SET done_at = $3, done_by = $4, reference = $5 WHERE obligation_id = $1 AND stage_id = $2 RETURNING 1`,
    [obligationId, stageId, done?.at ?? null, done?.by ?? null, done?.reference ?? null],
  );
  return rows.length > 0;
}

/** Stages whose reminder time has come, not filed, not reminded yet (a hint; the claim below decides). */
export async function remindersDue(q: Queryable, now: Date, limit: number): Promise<{ obligationId: string; stageId: string }[]> {
  const rows = await q.query<{ obligation_id: string; stage_id: string }>(
    `SELECT st.obligation_id, st.stage_id FROM regulatory_stages st
       JOIN regulatory_obligations o ON o.id = st.obligation_id AND o.status = 'open'
      WHERE st.done_at IS NULL AND st.remind_at <= $1
        AND NOT EXISTS (SELECT 1 FROM regulatory_reminders r WHERE r.obligation_id = st.obligation_id AND r.stage_id = st.stage_id)
      ORDER BY st.remind_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => ({ obligationId: r.obligation_id, stageId: r.stage_id }));
}

/**
 * Claims the one reminder of a stage: true for exactly one caller across all processes (the primary key; a second
 * caller waits for the first one's transaction and then finds the row there).
 */
export async function claimReminder(q: Queryable, c: { obligationId: string; stageId: string; at: Date; to: string; messageId: string }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO regulatory_reminders (obligation_id, stage_id, sent_at, to_address, message_id) VALUES ($1,$2,$3,$4,$5)
     ON CONFLICT (obligation_id, stage_id) DO NOTHING RETURNING 1`,
    [c.obligationId, c.stageId, c.at, c.to, c.messageId],
  );
  return rows.length > 0;
}

/** Incidents whose rules may need attaching: declared in the last `days` days (drills included), newest first. */
export async function recentIncidents(q: Queryable, since: Date): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT id FROM incidents WHERE kind = 'incident' AND started_at >= $1 ORDER BY started_at DESC LIMIT 200`,
    [since],
  );
  return rows.map((r) => r.id);
}

export interface OpenStageRow {
  obligationId: string;
  stageId: string;
  incidentId: string;
  incidentNameJa: string;
  incidentNameEn: string | null;
  drillId: string | null;
  rule: RegulatoryRule;
  dueAt: Date;
  ownerId: string | null;
  commanderId: string | null;
}

/** Open stages of open obligations owned by `staffId` (or, with no owner, of incidents they command). */
export async function openStagesFor(q: Queryable, staffId: string): Promise<OpenStageRow[]> {
  const rows = await q.query<{ obligation_id: string; stage_id: string; incident_id: string; name_ja: string; name_en: string | null; drill_id: string | null; rule: RegulatoryRule; due_at: Date; owner_id: string | null; commander_id: string | null }>(
    `SELECT st.obligation_id, st.stage_id, o.incident_id, i.name_ja, i.name_en, i.drill_id, o.rule, st.due_at, o.owner_id, i.commander_id
       FROM regulatory_stages st
       JOIN regulatory_obligations o ON o.id = st.obligation_id AND o.status = 'open'
       JOIN incidents i ON i.id = o.incident_id
      WHERE st.done_at IS NULL AND (o.owner_id = $1 OR (o.owner_id IS NULL AND i.commander_id = $1))
      ORDER BY st.due_at, st.position`,
    [staffId],
  );
  return rows.map((r) => ({
    obligationId: r.obligation_id, stageId: r.stage_id, incidentId: r.incident_id, incidentNameJa: r.name_ja, incidentNameEn: r.name_en,
    drillId: r.drill_id, rule: r.rule, dueAt: new Date(r.due_at), ownerId: r.owner_id, commanderId: r.commander_id,
  }));
}

/** Every open stage (the overview page), soonest first. */
export async function allOpenStages(q: Queryable, limit = 200): Promise<(OpenStageRow & { ownerName: string | null })[]> {
  const rows = await q.query<{ obligation_id: string; stage_id: string; incident_id: string; name_ja: string; name_en: string | null; drill_id: string | null; rule: RegulatoryRule; due_at: Date; owner_id: string | null; commander_id: string | null; owner_name: string | null }>(
    `SELECT st.obligation_id, st.stage_id, o.incident_id, i.name_ja, i.name_en, i.drill_id, o.rule, st.due_at, o.owner_id, i.commander_id, s.name AS owner_name
       FROM regulatory_stages st
       JOIN regulatory_obligations o ON o.id = st.obligation_id AND o.status = 'open'
       JOIN incidents i ON i.id = o.incident_id
       LEFT JOIN staff s ON s.id = o.owner_id
      WHERE st.done_at IS NULL
      ORDER BY st.due_at, st.position LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    obligationId: r.obligation_id, stageId: r.stage_id, incidentId: r.incident_id, incidentNameJa: r.name_ja, incidentNameEn: r.name_en,
    drillId: r.drill_id, rule: r.rule, dueAt: new Date(r.due_at), ownerId: r.owner_id, commanderId: r.commander_id, ownerName: r.owner_name,
  }));
}

export async function staffEmail(q: Queryable, id: string): Promise<{ email: string; name: string } | null> {
  const [r] = await q.query<{ email: string; name: string }>('SELECT email, name FROM staff WHERE id = $1 AND disabled_at IS NULL', [id]);
  return r ?? null;
}
