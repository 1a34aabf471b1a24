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

/** Why triage chose what it chose, shown to staff and kept for tuning. */
export interface TriageReason {
  /** Stable rule id, e.g. "security.unknown_withdrawal". */
  rule: string;
  /** The words of the ticket that triggered the rule (as written by the user). */
  matched: string;
  /** What the rule did, in plain English for staff, e.g. "type security +5". */
  effect: string;
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

