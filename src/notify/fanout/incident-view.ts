import type { Db } from '../../store/db.ts';
import type { Incident } from '../../domain/incident.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { getIncident } from '../../status/repository.ts';
import { updateDeliverable } from './store.ts';
import type { NotificationEvent } from './types.ts';

/** A read incident is reused this long for the event's other deliveries (edits made later show up after it). */
const VIEW_TTL_MS = 30_000;
const MAX_EVENTS = 64;

interface Entry {
  at: number;
  incident: Promise<Incident | 'gone' | null>;
  /** The last view built, for the base snapshot it was built on. */
  view?: { base: PageSnapshot; page: PageSnapshot };
}

/**
 * The page as a delivery renders it. Usually the snapshot itself; an update on an incident the snapshot does not
 * hold (closed and older than the newest RECENT_LIMIT, or published after the last reload) gets the snapshot
 * with that one incident read from the database — the same public read as /incidents/:id for an old incident —
 * once per event, not once per delivery.
 */
export class DeliveryViews {
  readonly #db: Db;
  readonly #entries = new Map<string, Entry>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** 'gone': the update is no longer public or no longer asks for notifications. null: not renderable now. */
  async viewFor(base: PageSnapshot, event: NotificationEvent): Promise<PageSnapshot | 'gone' | null> {
    if (event.kind !== 'incident_update' || holds(base, event)) return base;
    const entry = this.#entry(event);
    const incident = await entry.incident;
    if (incident === 'gone' || incident === null) return incident;
    if (entry.view?.base !== base) entry.view = { base, page: withIncident(base, incident) };
    return entry.view.page;
  }

  #entry(event: Extract<NotificationEvent, { kind: 'incident_update' }>): Entry {
    const now = performance.now();
    const cached = this.#entries.get(event.id);
    if (cached && now - cached.at < VIEW_TTL_MS) return cached;
    const entry: Entry = { at: now, incident: this.#load(event) };
    entry.incident.catch(() => {
      if (this.#entries.get(event.id) === entry) this.#entries.delete(event.id);
    });
    this.#entries.delete(event.id);
    this.#entries.set(event.id, entry);
    if (this.#entries.size > MAX_EVENTS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return entry;
  }

  async #load(event: Extract<NotificationEvent, { kind: 'incident_update' }>): Promise<Incident | 'gone' | null> {
    if (!(await updateDeliverable(this.#db, event.updateId))) return 'gone';
    const incident = await getIncident(this.#db, event.incidentId, { includeInternal: false });
    return incident?.updates.some((u) => u.id === event.updateId) ? incident : null;
  }
}

function holds(s: PageSnapshot, event: Extract<NotificationEvent, { kind: 'incident_update' }>): boolean {
  const incident = s.incidents.find((i) => i.id === event.incidentId) ?? s.maintenances.find((i) => i.id === event.incidentId);
  return incident?.updates.some((u) => u.id === event.updateId) ?? false;
}

function withIncident(s: PageSnapshot, incident: Incident): PageSnapshot {
  const others = (list: Incident[]) => list.filter((i) => i.id !== incident.id);
  return incident.kind === 'maintenance'
    ? { ...s, maintenances: [...others(s.maintenances), incident] }
    : { ...s, incidents: [...others(s.incidents), incident] };
}
