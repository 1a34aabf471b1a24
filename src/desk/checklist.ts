import { KinkyuError } from '../domain/errors.ts';
import type { TicketType } from '../domain/ticket.ts';

/**
 * The information support may ask a user for (seed §3.3: "provide the information support asks for").
 * Each item has a label and a hint in both languages (messages `checklist.<item>` / `checklist.<item>.hint`).
 */
export const CHECKLIST_ITEMS = [
  'order_id',
  'transaction_id',
  'asset_amount',
  'occurred_at',
  'destination_address',
  'error_message',
  'device',
  'last_legit_sign_in',
  'police_report',
] as const;
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

export interface ChecklistEntry {
  item: ChecklistItem;
  requestedAt: string;
  receivedAt: string | null;
}

/** What support usually needs for each kind of case: offered first, and shown to the user up front. */
export const SUGGESTED_ITEMS: Record<TicketType, ChecklistItem[]> = {
  trading: ['order_id', 'transaction_id', 'asset_amount', 'occurred_at', 'destination_address'],
  security: ['occurred_at', 'last_legit_sign_in', 'transaction_id', 'destination_address', 'police_report'],
  outage: ['occurred_at', 'error_message', 'device'],
  regulatory: ['occurred_at'],
  other: ['occurred_at', 'device'],
};

export function isChecklistItem(value: unknown): value is ChecklistItem {
  return typeof value === 'string' && (CHECKLIST_ITEMS as readonly string[]).includes(value);
}

/** Form values (one or many `items`) → a de-duplicated list of known items; anything else is refused. */
export function parseChecklistItems(value: unknown): ChecklistItem[] {
  const values = value === undefined || value === null || value === '' ? [] : Array.isArray(value) ? value : [value];
  if (values.length > CHECKLIST_ITEMS.length) throw new KinkyuError('VALIDATION', { field: 'items', rule: 'enum' });
  const items = new Set<ChecklistItem>();
  for (const v of values) {
    if (!isChecklistItem(v)) throw new KinkyuError('VALIDATION', { field: 'items', rule: 'enum' });
    items.add(v);
  }
  if (items.size === 0) throw new KinkyuError('VALIDATION', { field: 'items', rule: 'required' });
  return [...items];
}
