import type { IncidentStatus } from '../domain/incident.ts';
import type { MessageKey } from '../web/i18n.ts';

/**
 * The pre-approved texts every exchange starts with (issue 13 §4), written once in both languages through the
 * message catalogue and copied into `update_templates` at the first start; staff edit, add and archive them in
 * the console (`/staff/update-templates`). `status`: the incident status the update moves to (null: as it is).
 */
export interface BuiltinTemplate {
  key: string;
  name: MessageKey;
  body: MessageKey;
  status: IncidentStatus | null;
}

export const BUILTIN_TEMPLATES: readonly BuiltinTemplate[] = [
  { key: 'trading_halted', status: 'identified', name: 'room.tpl.trading_halted.name', body: 'room.tpl.trading_halted.body' },
  { key: 'deposits_delayed', status: null, name: 'room.tpl.deposits_delayed.name', body: 'room.tpl.deposits_delayed.body' },
  { key: 'withdrawals_paused', status: null, name: 'room.tpl.withdrawals_paused.name', body: 'room.tpl.withdrawals_paused.body' },
  { key: 'api_degraded', status: null, name: 'room.tpl.api_degraded.name', body: 'room.tpl.api_degraded.body' },
  { key: 'maintenance_extended', status: null, name: 'room.tpl.maintenance_extended.name', body: 'room.tpl.maintenance_extended.body' },
  { key: 'phishing_warning', status: null, name: 'room.tpl.phishing_warning.name', body: 'room.tpl.phishing_warning.body' },
  { key: 'resolved', status: 'resolved', name: 'room.tpl.resolved.name', body: 'room.tpl.resolved.body' },
];
