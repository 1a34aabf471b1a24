import type { IncidentType } from '../domain/incident.ts';
import type { MessageKey } from '../web/i18n.ts';
import type { DefaultRoleKey } from './roles.ts';

/**
 * The starting checklist each incident type brings, drawn from the seed's duties (assess quickly and find the
 * cause, restore, contain and protect accounts, disclose to users, answer users) and the user steps the
 * exchange must make possible (stop trading, check the official status and X, police report, trade history).
 * Each task is owned by whoever holds `role` until staff name a person, and is due `dueMinutes` after the
 * incident started. Staff edit, add and tick them in the room.
 */
export interface ChecklistItem {
  /** Stable key, `<type>.<item>`; also the message key's tail. */
  key: string;
  title: MessageKey;
  role: DefaultRoleKey;
  dueMinutes: number;
}

const item = <K extends string>(type: IncidentType, name: K, role: DefaultRoleKey, dueMinutes: number, title: MessageKey): ChecklistItem => ({
  key: `${type}.${name}`, title, role, dueMinutes,
});

const HOUR = 60;
const DAY = 24 * HOUR;

export const STARTING_CHECKLISTS: Readonly<Record<IncidentType, readonly ChecklistItem[]>> = Object.freeze({
  outage: [
    item('outage', 'first_update', 'communications', 15, 'room.task.outage.first_update'),
    item('outage', 'trading_halt', 'commander', 20, 'room.task.outage.trading_halt'),
    item('outage', 'transfers', 'responder', 30, 'room.task.outage.transfers'),
    item('outage', 'x_post', 'communications', 20, 'room.task.outage.x_post'),
    item('outage', 'linked_tickets', 'communications', HOUR, 'room.task.outage.linked_tickets'),
  ],
  security: [
    item('security', 'lock_accounts', 'responder', 30, 'room.task.security.lock_accounts'),
    item('security', 'revoke_keys', 'responder', 30, 'room.task.security.revoke_keys'),
    item('security', 'preserve_evidence', 'scribe', HOUR, 'room.task.security.preserve_evidence'),
    item('security', 'police_report', 'commander', DAY, 'room.task.security.police_report'),
    item('security', 'personal_data', 'commander', DAY, 'room.task.security.personal_data'),
    item('security', 'notify_users', 'communications', 2 * HOUR, 'room.task.security.notify_users'),
  ],
  trading: [
    item('trading', 'identify', 'responder', 30, 'room.task.trading.identify'),
    item('trading', 'first_update', 'communications', 30, 'room.task.trading.first_update'),
    item('trading', 'reconcile', 'responder', 2 * HOUR, 'room.task.trading.reconcile'),
    item('trading', 'linked_tickets', 'communications', 2 * HOUR, 'room.task.trading.linked_tickets'),
  ],
  regulatory: [
    item('regulatory', 'assess', 'commander', DAY, 'room.task.regulatory.assess'),
    item('regulatory', 'notice', 'communications', 3 * DAY, 'room.task.regulatory.notice'),
    item('regulatory', 'procedures', 'responder', 3 * DAY, 'room.task.regulatory.procedures'),
  ],
  other: [
    item('other', 'assess', 'commander', 30, 'room.task.other.assess'),
    item('other', 'first_update', 'communications', 30, 'room.task.other.first_update'),
  ],
});
