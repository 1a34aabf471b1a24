import { Type } from 'typebox';
import { TICKET_TYPES } from '../domain/ticket.ts';
import { Email, JaText, LangField, Line } from '../web/schema/text.ts';
import { NullableString, Open, Timestamp } from '../web/schema/common.ts';
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

const QueueTicket = Open({
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
  sla: Open({}, 'where the ticket stands against its response and resolution targets'),
});

/** The queue's JSON answer (send Accept: application/json); its filters are the page's query (?status=, ?type=, …). */
export const QueueSchemas = {
  list: {
    tags: [STAFF_JSON_TAG],
    summary: 'The ticket queue, filtered as the page\'s query says',
    'x-responses': { 200: Type.Object({ total: Type.Integer({ minimum: 0 }), tickets: Type.Array(QueueTicket), items: Type.Optional(Type.Array(Open({ kind: Type.String() }))) }) },
  },
};
