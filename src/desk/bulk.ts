/**
 * Acting on several tickets at once from the queue: assign, reply with a canned reply, link to an incident,
 * solve. Everything the input says is checked first (the action, every ticket, the assignee, the canned reply,
 * the incident): a refusal changes nothing. Then each ticket goes through the desk's own command, one at a
 * time, so its audit entry, email and SLA clock are exactly those of the same action on the ticket's page; a
 * ticket whose command is refused (it changed meanwhile) is reported, and the others still happen.
 */
import type { Queryable } from '../store/db.ts';
import type { Actor } from '../domain/actor.ts';
import { isKinkyuError, KinkyuError } from '../domain/errors.ts';
import { findCannedReply, type CannedReply } from './canned-replies.ts';
import type { SupportDesk } from './desk.ts';
import { localized } from '../web/i18n.ts';

export const BULK_ACTIONS = ['assign', 'reply', 'link', 'solve'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
/** At most one page of the queue. */
export const BULK_MAX = 100;

export interface BulkInput {
  action: unknown;
  ids: unknown;
  /** A staff id, or 'none' to unassign. */
  assignee?: unknown;
  canned?: unknown;
  incident?: unknown;
}

export interface BulkTicket {
  id: string;
  number: number;
}

export interface BulkOutcome {
  action: BulkAction;
  succeeded: BulkTicket[];
  failed: (BulkTicket & { error: KinkyuError })[];
}

const ID = /^[0-9a-z]{1,40}$/;
const choose = (field: string) => new KinkyuError('VALIDATION', { field, rule: 'bulk_choose' });

/** The selected ticket ids: one or many form values, each an id, at least one, at most BULK_MAX. */
export function parseBulkIds(value: unknown): string[] {
  const list: unknown[] = value === undefined || value === null || value === '' ? [] : Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new KinkyuError('VALIDATION', { field: 'ids', rule: 'bulk_none' });
  if (list.length > BULK_MAX) throw new KinkyuError('VALIDATION', { field: 'ids', rule: 'bulk_too_many', max: String(BULK_MAX) });
  const ids: string[] = [];
  for (const id of list) {
    if (typeof id !== 'string' || !ID.test(id)) throw new KinkyuError('VALIDATION', { field: 'ids', rule: 'id' });
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

type Plan =
  | { action: 'assign'; assignee: string | null }
  | { action: 'reply'; canned: CannedReply }
  | { action: 'link'; incident: string }
  | { action: 'solve' };

/** Checks everything but the tickets themselves; throws the refusal. */
async function planOf(q: Queryable, input: BulkInput): Promise<Plan> {
  const action = BULK_ACTIONS.find((a) => a === input.action);
  if (action === undefined) throw new KinkyuError('VALIDATION', { field: 'action', rule: 'enum' });
  switch (action) {
    case 'assign': {
      const v = input.assignee;
      if (v === undefined || v === '') throw choose('assignee');
      if (v === 'none') return { action: 'assign', assignee: null };
      if (typeof v !== 'string' || !ID.test(v)) throw new KinkyuError('VALIDATION', { field: 'assignee', rule: 'id' });
      const [staff] = await q.query(`SELECT 1 FROM staff WHERE id = $1 AND disabled_at IS NULL`, [v]);
      if (!staff) throw new KinkyuError('NOT_FOUND', { what: 'staff' });
      return { action: 'assign', assignee: v };
    }
    case 'reply': {
      if (input.canned === undefined || input.canned === '') throw choose('canned');
      const canned = findCannedReply(input.canned);
      if (!canned) throw new KinkyuError('VALIDATION', { field: 'canned', rule: 'enum' });
      return { action: 'reply', canned };
    }
    case 'link': {
      const v = input.incident;
      if (v === undefined || v === '') throw choose('incident');
      if (typeof v !== 'string' || !ID.test(v)) throw new KinkyuError('VALIDATION', { field: 'incident', rule: 'id' });
      const [incident] = await q.query(`SELECT 1 FROM incidents WHERE id = $1 AND kind = 'incident'`, [v]);
      if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
      return { action: 'link', incident: v };
    }
    case 'solve':
      return { action: 'solve' };
  }
}

/** The desk commands a bulk action uses (the SupportDesk itself in the app). */
export type BulkDesk = Pick<SupportDesk, 'assign' | 'reply' | 'linkIncident' | 'setStatus'>;

export async function runBulk(
  q: Queryable,
  desk: BulkDesk,
  actor: Actor,
  input: BulkInput,
  exchangeName: { ja: string; en: string },
): Promise<BulkOutcome> {
  const plan = await planOf(q, input);
  const ids = parseBulkIds(input.ids);
  const rows = await q.query<{ id: string; number: string; lang: 'ja' | 'en' }>(`SELECT id, number, lang FROM tickets WHERE id = ANY($1::text[])`, [ids]);
  if (rows.length !== ids.length) throw new KinkyuError('NOT_FOUND', { what: 'ticket' });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const outcome: BulkOutcome = { action: plan.action, succeeded: [], failed: [] };
  for (const id of ids) {
    const row = byId.get(id)!;
    const ticket = { id, number: Number(row.number) };
    try {
      if (plan.action === 'assign') await desk.assign(actor, id, plan.assignee ?? '');
      else if (plan.action === 'link') await desk.linkIncident(actor, id, plan.incident);
      else if (plan.action === 'solve') await desk.setStatus(actor, id, 'solved');
      else {
        const lang = row.lang === 'en' ? 'en' : 'ja';
        const body = (localized(lang, plan.canned.bodyJa, plan.canned.bodyEn)).replaceAll('{exchange}', exchangeName[lang]);
        await desk.reply(actor, id, { body, status: 'pending_user' });
      }
      outcome.succeeded.push(ticket);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      outcome.failed.push({ ...ticket, error: err });
    }
  }
  return outcome;
}
