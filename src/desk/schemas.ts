import { Type } from 'typebox';
import { TICKET_TYPES } from '../domain/ticket.ts';
import { CsrfField, Email, JaText, LangField, Line } from '../web/schema/text.ts';
import { IdParams, NullableString, Ok, Open, Timestamp } from '../web/schema/common.ts';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { MESSAGE_MAX } from './desk.ts';

/**
 * The contact form (`POST /contact`) as the browser posts it (urlencoded) or a JSON client sends it. The rules
 * are `parseContact`'s (src/desk/desk.ts), which still cleans the values for the desk. `category` comes first:
 * `parseContact` checks it first, and ajv checks properties in this order.
 */
export const ContactBody = Type.Object({
  category: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], enum: [...TICKET_TYPES, '', null], description: 'the kind of problem, if the user chose one' })),
  body: JaText({ field: 'message', max: MESSAGE_MAX, required: true, multiline: true }),
  email: Email(),
  orderId: Type.Optional(Line(100)),
  transactionId: Type.Optional(Line(200, { pattern: '^[\\w\\-:.]+$' })),
  asset: Type.Optional(Line(20)),
  amount: Type.Optional(Line(40)),
  submission: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], pattern: '^([\\w-]{16,64})?$', description: 'a random key: the same form sent twice files one ticket' })),
  lang: LangField,
});

/** A user's reply on the ticket page behind the secret link. */
export const TicketReplyBody = Type.Object({
  body: JaText({ field: 'message', max: MESSAGE_MAX, required: true, multiline: true }),
  lang: LangField,
});

const ticketFields = {
  id: Type.String(),
  number: Type.Integer(),
  lang: Type.Unsafe<string>({ type: 'string', enum: ['ja', 'en'] }),
  type: Type.Unsafe<string>({ type: 'string', enum: [...TICKET_TYPES] }),
  priority: Type.String(),
  status: Type.String(),
  needsHuman: Type.Boolean(),
  assigneeId: NullableString(),
  incidentId: NullableString(),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
};
const Ticket = Open(ticketFields);
const QueueTicket = Open({ ...ticketFields, sla: Open({}, 'where the ticket stands against its response and resolution targets') });

/** The queue's JSON answer (send Accept: application/json); its filters are the page's query (?status=, ?type=, …). */
export const QueueSchemas = {
  list: {
    tags: [STAFF_JSON_TAG],
    summary: 'The ticket queue, filtered as the page\'s query says',
    'x-responses': { 200: Type.Object({ total: Type.Integer({ minimum: 0 }), tickets: Type.Array(QueueTicket), items: Type.Optional(Type.Array(Open({ kind: Type.String() }))) }) },
  },
};

const staffText = () => JaText({ max: MESSAGE_MAX, required: true, multiline: true });
const ticketParams = IdParams('id');

/** A ticket in the console: its JSON, and the reply and note forms (also JSON: `{ok: true}`). */
export const TicketSchemas = {
  one: {
    tags: [STAFF_JSON_TAG],
    summary: 'A ticket with its whole thread (internal notes included)',
    params: ticketParams,
    'x-responses': { 200: Open({ ticket: Ticket, sla: Open({}), messages: Type.Array(Open({ kind: Type.String(), body: Type.String() })) }) },
  },
  reply: {
    tags: [STAFF_JSON_TAG],
    summary: 'Answer the user (mailed), and set the ticket\'s status',
    params: ticketParams,
    body: Type.Object({
      body: staffText(),
      status: Type.Optional(Type.Unsafe<string>({ description: 'the status after the reply (default pending_user)' })),
      after: Type.Optional(Type.Unsafe<string>({ description: 'the last message the agent saw: a reply crossing a newer one is refused' })),
      _csrf: CsrfField,
    }),
    'x-responses': { 200: Ok({}) },
  },
  note: {
    tags: [STAFF_JSON_TAG],
    summary: 'Add an internal note',
    params: ticketParams,
    body: Type.Object({ body: staffText(), _csrf: CsrfField }),
    'x-responses': { 200: Ok({}) },
  },
};
