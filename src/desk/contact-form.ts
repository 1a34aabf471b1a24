/** The contact form's fields: what a user may send, cleaned and checked before triage or storage. */
import { KinkyuError } from '../domain/errors.ts';
import { cleanText, requireText, USER_EMAIL } from '../domain/text.ts';
import type { Queryable } from '../store/db.ts';
import { isTicketType, type Priority, type TicketType, type TriageResult } from '../domain/ticket.ts';

export const MESSAGE_MAX = 20_000;

// Compatible with what the outbox accepts, and with a dot in the domain: a typo here means no answer ever arrives.

export interface ContactInput {
  body: unknown;
  email: unknown;
  orderId?: unknown;
  transactionId?: unknown;
  asset?: unknown;
  amount?: unknown;
  category?: unknown;
  /** Idempotency: the same key twice returns the first ticket. */
  submission?: unknown;
}

export function parseUserEmail(value: unknown): string {
  const email = requireText(value, 'email', 254);
  if (!USER_EMAIL.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
  return email;
}

/** An optional one-line field, width-normalised (「１０」→「10」). Only ids have a format: they are pasted, not typed. */
function optionalLine(value: unknown, field: string, max: number, pattern?: RegExp): string | null {
  const text = cleanText(typeof value === 'string' ? value.normalize('NFKC') : value, field, { max });
  if (text !== null && pattern && !pattern.test(text)) throw new KinkyuError('VALIDATION', { field, rule: 'format' });
  return text;
}

/** The random key a form carries so that sending it twice files one ticket. */
export function submissionKey(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || !/^[\w-]{16,64}$/.test(value)) throw new KinkyuError('VALIDATION', { field: 'submission', rule: 'format' });
  return value;
}

export type ContactForm = ReturnType<typeof parseContact>;

/** The contact form's fields, cleaned; anything malformed is refused before triage or storage. */
export function parseContact(input: ContactInput) {
  const category = input.category === undefined || input.category === null || input.category === '' ? null : input.category;
  if (category !== null && !isTicketType(category)) throw new KinkyuError('VALIDATION', { field: 'category', rule: 'enum' });
  return {
    body: requireText(input.body, 'message', MESSAGE_MAX, true),
    email: parseUserEmail(input.email),
    orderId: optionalLine(input.orderId, 'orderId', 100),
    transactionId: optionalLine(input.transactionId, 'transactionId', 200, /^[\w\-:.]+$/),
    asset: optionalLine(input.asset, 'asset', 20)?.toUpperCase() ?? null,
    amount: optionalLine(input.amount, 'amount', 40),
    category: category as TicketType | null,
    submissionKey: submissionKey(input.submission),
  };
}

export interface SubmitResult {
  ticketId: string;
  number: number;
  link: string;
  type: TicketType;
  priority: Priority;
  incidentId: string | null;
}

export interface SubmitMeta {
  lang: 'ja' | 'en';
  ip: string | null;
  /** False past the per-recipient limit: the ticket is filed without a confirmation mail. */
  sendConfirmation?: boolean;
  /** kinkyu itself files the ticket (an emergency lock): its type and priority are known, not guessed. */
  triage?: TriageResult;
  /** Files the ticket inside the caller's transaction (the lock journal records a lock and its ticket at once). */
  within?: Queryable;
  /** The ticket's number, when the caller took it from the sequence beforehand (and has already shown it). */
  number?: number;
}
