/** The pre-approved update templates. */
import type { Queryable } from '../store/db.ts';
import type { IncidentStatus } from '../domain/incident.ts';
import { date } from './repository-rows.ts';

// ---------------------------------------------------------------------------------------------------------
// Update templates

export interface UpdateTemplate {
  id: string;
  builtinKey: string | null;
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | null;
  bodyJa: string;
  bodyEn: string | null;
  position: number;
  updatedAt: Date;
  updatedByName: string | null;
  archivedAt: Date | null;
}

interface TemplateRow {
  id: string; builtin_key: string | null; name_ja: string; name_en: string | null; status: IncidentStatus | null; body_ja: string;
  body_en: string | null; position: number; updated_at: Date; updated_by_name: string | null; archived_at: Date | null;
}

const toTemplate = (r: TemplateRow): UpdateTemplate => ({
  id: r.id, builtinKey: r.builtin_key, nameJa: r.name_ja, nameEn: r.name_en, status: r.status, bodyJa: r.body_ja, bodyEn: r.body_en,
  position: r.position, updatedAt: new Date(r.updated_at), updatedByName: r.updated_by_name, archivedAt: date(r.archived_at),
});

const TEMPLATE_SELECT = 'SELECT t.*, s.name AS updated_by_name FROM update_templates t LEFT JOIN staff s ON s.id = t.updated_by';

export async function listTemplates(q: Queryable, opts: { includeArchived: boolean }): Promise<UpdateTemplate[]> {
  const rows = await q.query<TemplateRow>(
    `${TEMPLATE_SELECT} ${opts.includeArchived ? '' : 'WHERE t.archived_at IS NULL'} ORDER BY t.archived_at IS NOT NULL, t.position, t.created_at, t.id`,
  );
  return rows.map(toTemplate);
}

export async function findTemplate(q: Queryable, id: string): Promise<UpdateTemplate | null> {
  const [row] = await q.query<TemplateRow>(`${TEMPLATE_SELECT} WHERE t.id = $1`, [id]);
  return row ? toTemplate(row) : null;
}

export interface TemplateFields {
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | null;
  bodyJa: string;
  bodyEn: string | null;
}

/** A built-in template, added once: never again after staff archived or changed it. */
export async function insertBuiltinTemplate(q: Queryable, t: TemplateFields & { id: string; key: string; position: number; at: Date }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO update_templates (id, builtin_key, name_ja, name_en, status, body_ja, body_en, position, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) ON CONFLICT (builtin_key) DO NOTHING RETURNING id`,
    [t.id, t.key, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.position, t.at],
  );
  return rows.length === 1;
}

export async function insertTemplate(tx: Queryable, t: TemplateFields & { id: string; by: string | null; at: Date }): Promise<void> {
  await tx.query(
    `INSERT INTO update_templates (id, name_ja, name_en, status, body_ja, body_en, position, created_at, updated_at, updated_by)
     VALUES ($1,$2,$3,$4,$5,$6,(SELECT COALESCE(max(position), 0) + 1 FROM update_templates),$7,$7,$8)`,
    [t.id, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.at, t.by],
  );
}

export async function updateTemplate(tx: Queryable, id: string, t: TemplateFields & { by: string | null; at: Date }): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE update_templates SET name_ja = $2, name_en = $3, status = $4, body_ja = $5, body_en = $6, updated_at = $7, updated_by = $8
      WHERE id = $1 RETURNING id`,
    [id, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.at, t.by],
  );
  return rows.length === 1;
}

export async function setTemplateArchived(tx: Queryable, id: string, archivedAt: Date | null, by: string | null): Promise<boolean> {
  const rows = await tx.query(
    'UPDATE update_templates SET archived_at = $2, updated_at = COALESCE($2, updated_at), updated_by = $3 WHERE id = $1 RETURNING id',
    [id, archivedAt, by],
  );
  return rows.length === 1;
}
