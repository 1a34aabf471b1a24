import type { Db } from '../../store/db.ts';
import type { Channel } from './types.ts';

/** The NOTIFY channel the event triggers use; an expansion sends it too, so every process's workers wake up. */
export const FANOUT_CHANNEL = 'kinkyu_fanout';
/** The sweeper's queue name for wakes (src/jobs/wake.ts). */
export const FANOUT_QUEUE = 'fanout';

/** Who hears about what: incident and maintenance updates go everywhere, component changes to webhooks only. */
export const CHANNELS_FOR: Record<'incident_update' | 'component_update', readonly Channel[]> = {
  incident_update: ['email', 'webhook', 'slack', 'x'],
  component_update: ['webhook'],
};

/** Subscribers expanded per transaction: short transactions, and the first sends start before the last rows exist. */
export const EXPAND_CHUNK = 5_000;

const UPDATE_COMPONENTS = `
  SELECT c.id, c.group_id FROM components c
   WHERE c.id IN (SELECT component_id FROM incident_components WHERE incident_id = $6
                  UNION
                  SELECT a->>'code' FROM incident_updates u, jsonb_array_elements(u.affected_components) a WHERE u.id = $7)`;
const ONE_COMPONENT = `SELECT c.id, c.group_id FROM components c WHERE c.id = $6`;

/**
 * One chunk of an event's matching active subscribers, after `$3` by id, inserted as deliveries. A subscriber
 * with a component list hears about an event when one of the event's components (or its group) is in the list;
 * news that concerns no component at all reaches everyone. A drill's event (`$5`) reaches drill recipients only
 * (src/drills). Returns how many subscribers the chunk held and the last id.
 */
const expandChunkSql = (components: string) => `
  WITH comps AS (${components}),
  chunk AS (
    SELECT s.id, s.channel FROM subscribers s
     WHERE s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL
       AND s.channel = ANY($2::text[]) AND s.id > $3
       AND (NOT $5::boolean OR s.drill_recipient)
       AND (s.components IS NULL OR NOT EXISTS (SELECT 1 FROM comps)
            OR EXISTS (SELECT 1 FROM comps WHERE s.components ? comps.id OR (comps.group_id IS NOT NULL AND s.components ? comps.group_id)))
     ORDER BY s.id
     LIMIT $4
  ),
  inserted AS (
    INSERT INTO deliveries (event_id, subscriber_id, channel)
    SELECT $1, id, channel FROM chunk
    ON CONFLICT DO NOTHING
  )
  SELECT count(*)::int AS n, max(id) AS last FROM chunk`;

const EXPAND_UPDATE = expandChunkSql(UPDATE_COMPONENTS);
const EXPAND_COMPONENT = expandChunkSql(ONE_COMPONENT);

interface EventRow {
  id: string;
  kind: 'incident_update' | 'component_update';
  incident_id: string | null;
  update_id: string | null;
  component_id: string | null;
  expanded_through: string | null;
  drill_id: string | null;
}

/** Events taken into one expansion transaction at most (an update is one event plus one per component changed). */
export const EVENTS_PER_EXPANSION = 20;

/** The NOTIFY payload of a new event (the triggers send it): it wakes the sweepers, not the channel workers. */
export const NEW_EVENT_PAYLOAD = 'event';
/** The NOTIFY payload of an expansion that made deliveries: it wakes every process's channel workers. */
export const DELIVERIES_PAYLOAD = 'deliveries';

export interface Expansion {
  /** Events expanded, wholly or by a chunk, in this transaction (0: none was waiting). */
  events: number;
  /** Subscribers matched, so deliveries made (fewer when some existed already). */
  deliveries: number;
  /** Events may be left: the round took as many as it may, or filled its chunk. */
  more: boolean;
}

/**
 * Expands the oldest unexpanded events into deliveries, at most `chunk` subscribers in all, in one transaction
 * with the events' cursors: an event expanded whole is marked expanded, the one that filled the chunk keeps its
 * cursor and the events after it wait for the next round. A crash rolls back the chunk with its cursor; running it
 * again (here or in another process, which skips events being expanded) inserts nothing twice (ON CONFLICT on the
 * primary key). The events of an update usually match nobody (component changes reach webhooks only), so taking
 * them together saves a transaction per event.
 */
export async function expandEvents(db: Db, chunk = EXPAND_CHUNK): Promise<Expansion> {
  return db.transaction(async (tx) => {
    const events = await tx.query<EventRow>(
      `SELECT id, kind, incident_id, update_id, component_id, expanded_through, drill_id FROM notification_events
        WHERE expanded_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [EVENTS_PER_EXPANSION],
    );
    const finished: string[] = [];
    let room = chunk;
    let deliveries = 0;
    let expanded = 0;
    for (const e of events) {
      if (room <= 0) break;
      expanded++;
      const common = [e.id, CHANNELS_FOR[e.kind], e.expanded_through ?? '', room, e.drill_id !== null];
      const [done] = e.kind === 'incident_update'
        ? await tx.query<{ n: number; last: string | null }>(EXPAND_UPDATE, [...common, e.incident_id, e.update_id])
        : await tx.query<{ n: number; last: string | null }>(EXPAND_COMPONENT, [...common, e.component_id]);
      const n = done?.n ?? 0;
      deliveries += n;
      if (n < room) {
        finished.push(e.id);
      } else {
        await tx.query('UPDATE notification_events SET expanded_through = $2 WHERE id = $1', [e.id, done?.last]);
      }
      room -= n;
    }
    if (finished.length > 0) {
      await tx.query('UPDATE notification_events SET expanded_at = now(), expanded_through = NULL WHERE id = ANY($1)', [finished]);
    }
    // Wakes every process's channel workers for the deliveries just made. Events that matched nobody (the usual
    // case for component events, or an exchange without subscribers) wake nobody.
    if (deliveries > 0) await tx.query(`SELECT pg_notify('${FANOUT_CHANNEL}', '${DELIVERIES_PAYLOAD}')`);
    return { events: expanded, deliveries, more: events.length >= EVENTS_PER_EXPANSION || room <= 0 };
  });
}
