/**
 * Support tickets: the vocabulary shared by triage, the desk, SLAs and the user's view.
 * The five types are the seed's emergency types (the same list as incident types).
 */
export const TICKET_TYPES = ['outage', 'security', 'trading', 'regulatory', 'other'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

/** Most urgent first. */
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TICKET_STATUSES = ['new', 'open', 'pending_user', 'solved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export function isTicketType(value: unknown): value is TicketType {
  return typeof value === 'string' && (TICKET_TYPES as readonly string[]).includes(value);
}

export function isPriority(value: unknown): value is Priority {
  return typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value);
}

export function isTicketStatus(value: unknown): value is TicketStatus {
  return typeof value === 'string' && (TICKET_STATUSES as readonly string[]).includes(value);
}

/**
 * What a triage reason did, as a stable key: the console shows it in its own language from `code` and `params`
 * (src/web/messages/triage.*.ts); `effect` keeps the same in plain English in the stored data.
 */
export const REASON_CODES = [
  'incident', 'worry', 'hypothetical', 'score', 'field', 'hint', 'hint_overridden', 'priority', 'default_type', 'truncated',
  'model', 'model_security', 'model_priority', 'safety_high', 'needs_human',
  'link_type', 'link_component', 'link_words', 'link_only_outage', 'lock', 'detection',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (REASON_CODES as readonly string[]).includes(value);
}

/** Why triage chose what it chose, shown to staff and kept for tuning. */
export interface TriageReason {
  /** Stable rule id, e.g. "security.unknown_withdrawal". */
  rule: string;
  /** The words of the ticket that triggered the rule (as written by the user). */
  matched: string;
  /** What the rule did, in plain English, e.g. "type security +5" (readable in the stored data and the JSON API). */
  effect: string;
  /** The same as a stable key and its values (tickets triaged before codes existed have none: see triage-reasons.ts). */
  code?: ReasonCode;
  params?: Record<string, string | number>;
}

export interface TriageResult {
  type: TicketType;
  priority: Priority;
  reasons: TriageReason[];
}

/** What the user typed into the contact form, besides the free text. */
export interface TicketFields {
  orderId?: string | undefined;
  transactionId?: string | undefined;
  asset?: string | undefined;
  amount?: string | undefined;
}

