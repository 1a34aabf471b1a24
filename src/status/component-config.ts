import type { Queryable } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { cleanText, requireText } from '../domain/text.ts';
import { lockPage } from './repository.ts';

/**
 * The exchange's components as configuration: a JSON file listing groups and components in display order.
 * Applying it is declarative and idempotent — new ids are added (operational), existing ones take the new
 * names, descriptions, group and order; nothing is deleted, because a component's history is what the
 * uptime bars and past incidents refer to.
 */
export interface ComponentConfigEntry {
  id: string;
  group: boolean;
  groupId: string | null;
  nameJa: string;
  nameEn: string;
  descriptionJa: string | null;
  descriptionEn: string | null;
  onlyShowIfDegraded: boolean;
  showcase: boolean;
  /** Keys a monitor uses to find this component, e.g. {"pairs":["btc_jpy"]} or {"assets":["btc"]}. */
  metadata: Record<string, unknown>;
}

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_COMPONENTS = 500;

export function parseComponentConfig(json: unknown): ComponentConfigEntry[] {
  const list = (json as { components?: unknown } | null)?.components;
  if (!Array.isArray(list) || list.length === 0) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'required' });
  if (list.length > MAX_COMPONENTS) throw new KinkyuError('VALIDATION', { field: 'components', rule: 'max', max: String(MAX_COMPONENTS) });
  const entries: ComponentConfigEntry[] = [];
  const seen = new Map<string, ComponentConfigEntry>();
  for (const [index, raw] of list.entries()) {
    const at = `components[${index}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new KinkyuError('VALIDATION', { field: at, rule: 'object' });
    const r = raw as Record<string, unknown>;
    if (typeof r.id !== 'string' || !ID.test(r.id)) throw new KinkyuError('VALIDATION', { field: `${at}.id`, rule: 'id' });
    if (seen.has(r.id)) throw new KinkyuError('CONFLICT', { field: `${at}.id` }, `duplicate id ${r.id}`);
    const groupId = r.groupId === undefined || r.groupId === null ? null : r.groupId;
    if (groupId !== null) {
      const parent = typeof groupId === 'string' ? seen.get(groupId) : undefined;
      // Groups come before their members, and only one level deep, as on Statuspage.
      if (!parent || !parent.group) throw new KinkyuError('VALIDATION', { field: `${at}.groupId`, rule: 'id' });
    }
    const metadata = r.metadata ?? {};
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new KinkyuError('VALIDATION', { field: `${at}.metadata`, rule: 'object' });
    }
    const entry: ComponentConfigEntry = {
      id: r.id,
      group: r.group === true,
      groupId: groupId as string | null,
      nameJa: requireText(r.nameJa, `${at}.nameJa`, 200),
      nameEn: requireText(r.nameEn, `${at}.nameEn`, 200),
      descriptionJa: cleanText(r.descriptionJa, `${at}.descriptionJa`, { max: 1000 }),
      descriptionEn: cleanText(r.descriptionEn, `${at}.descriptionEn`, { max: 1000 }),
      onlyShowIfDegraded: r.onlyShowIfDegraded === true,
      showcase: r.showcase !== false,
      metadata: metadata as Record<string, unknown>,
    };
    if (entry.group && entry.groupId) throw new KinkyuError('VALIDATION', { field: `${at}.groupId`, rule: 'group' });
    seen.set(entry.id, entry);
    entries.push(entry);
  }
  return entries;
}

export interface ApplyResult {
  added: string[];
  updated: string[];
  /** Components in the database that the file does not mention: kept, and reported. */
  notInFile: string[];
}

/** Applies parsed entries inside the caller's transaction, with one audit entry for the whole change. */
export async function applyComponentConfig(
  tx: Queryable,
  actor: Actor,
  entries: ComponentConfigEntry[],
  now: Date,
): Promise<ApplyResult> {
  await lockPage(tx);
  const existing = new Map(
    (await tx.query<{ id: string; is_group: boolean }>('SELECT id, is_group FROM components FOR UPDATE')).map((r) => [r.id, r.is_group]),
  );
  const result: ApplyResult = { added: [], updated: [], notInFile: [] };
  for (const [position, e] of entries.entries()) {
    const wasGroup = existing.get(e.id);
    if (wasGroup !== undefined && wasGroup !== e.group) {
      // A group has no status of its own and a component has history: turning one into the other loses meaning.
      throw new KinkyuError('VALIDATION', { field: e.id, rule: 'group' });
    }
    const values = [e.id, e.groupId, e.group, e.nameJa, e.nameEn, e.descriptionJa, e.descriptionEn, position + 1,
      e.showcase, e.onlyShowIfDegraded, JSON.stringify(e.metadata), now];
    if (wasGroup === undefined) {
      await tx.query(
        `INSERT INTO components (id, group_id, is_group, name_ja, name_en, description_ja, description_en, position, showcase,
           only_show_if_degraded, metadata, created_at, updated_at, start_date)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$12::timestamptz::date)`,
        values,
      );
      if (!e.group) {
        await tx.query('INSERT INTO component_status_history (component_id, status, at) VALUES ($1, $2, $3)', [e.id, 'operational', now]);
      }
      result.added.push(e.id);
    } else {
      const changed = await tx.query(
        `UPDATE components SET group_id = $2, name_ja = $4, name_en = $5, description_ja = $6, description_en = $7, position = $8,
           showcase = $9, only_show_if_degraded = $10, metadata = $11, updated_at = $12
         WHERE id = $1 AND $3 = is_group AND (group_id IS DISTINCT FROM $2 OR name_ja <> $4 OR name_en <> $5
           OR description_ja IS DISTINCT FROM $6 OR description_en IS DISTINCT FROM $7 OR position <> $8 OR showcase <> $9
           OR only_show_if_degraded <> $10 OR metadata <> $11::jsonb)
         RETURNING id`,
        values,
      );
      if (changed.length) result.updated.push(e.id);
    }
  }
  const inFile = new Set(entries.map((e) => e.id));
  result.notInFile = [...existing.keys()].filter((id) => !inFile.has(id));
  if (result.added.length || result.updated.length) {
    await appendAudit(tx, {
      actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'components.apply',
      data: { added: result.added, updated: result.updated },
    }, now);
  }
  return result;
}

/** The current components in the same format, for editing and applying again. */
export async function exportComponentConfig(q: Queryable): Promise<{ components: Record<string, unknown>[] }> {
  const rows = await q.query<{
    id: string; group_id: string | null; is_group: boolean; name_ja: string; name_en: string; description_ja: string | null;
    description_en: string | null; showcase: boolean; only_show_if_degraded: boolean; metadata: Record<string, unknown>;
  }>('SELECT * FROM components ORDER BY position, id');
  return {
    components: rows.map((r) => ({
      id: r.id,
      ...(r.is_group ? { group: true } : {}),
      ...(r.group_id ? { groupId: r.group_id } : {}),
      nameJa: r.name_ja,
      nameEn: r.name_en,
      ...(r.description_ja ? { descriptionJa: r.description_ja } : {}),
      ...(r.description_en ? { descriptionEn: r.description_en } : {}),
      ...(r.only_show_if_degraded ? { onlyShowIfDegraded: true } : {}),
      ...(r.showcase ? {} : { showcase: false }),
      ...(Object.keys(r.metadata ?? {}).length ? { metadata: r.metadata } : {}),
    })),
  };
}
