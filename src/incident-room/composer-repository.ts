/** The composer's reads: component metadata for placeholders, and who each channel would reach. */
import type { Queryable } from '../store/db.ts';
import { json } from './repository-rows.ts';

export async function componentMetadata(q: Queryable, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  if (ids.length === 0) return new Map();
  const rows = await q.query<{ id: string; metadata: Record<string, unknown> | string | null }>(
    'SELECT id, metadata FROM components WHERE id = ANY($1::text[])', [ids],
  );
  return new Map(rows.map((r) => [r.id, json<Record<string, unknown> | null>(r.metadata) ?? {}]));
}

/**
 * Active subscribers per channel and language who would hear about an update touching `componentIds`, by the
 * fan-out's own rule (src/notify/fanout/expand.ts): a subscriber with a component list hears when one of the
 * components or its group is in it; news about no component reaches everyone. A drill's news reaches only the
 * subscribers marked as drill recipients.
 */
export async function audienceCounts(q: Queryable, componentIds: readonly string[], opts: { drill: boolean }): Promise<{ channel: string; lang: string; count: number }[]> {
  const rows = await q.query<{ channel: string; lang: string; n: number }>(
    `WITH comps AS (SELECT c.id, c.group_id FROM components c WHERE c.id = ANY($1::text[]))
     SELECT s.channel, s.lang, count(*)::int AS n FROM subscribers s
      WHERE s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL AND (NOT $2::boolean OR s.drill_recipient)
        AND (s.components IS NULL OR NOT EXISTS (SELECT 1 FROM comps)
             OR EXISTS (SELECT 1 FROM comps WHERE s.components ? comps.id OR (comps.group_id IS NOT NULL AND s.components ? comps.group_id)))
      GROUP BY s.channel, s.lang`,
    [componentIds, opts.drill],
  );
  return rows.map((r) => ({ channel: r.channel, lang: r.lang, count: r.n }));
}
