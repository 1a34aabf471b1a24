import { Type } from 'typebox';
import { TICKET_TYPES } from '../domain/ticket.ts';
import { CsrfField, Email, JaText, LangField, Line } from '../web/schema/text.ts';
import { IdParams, NullableString, Ok, Open, OptionalBody, Timestamp } from '../web/schema/common.ts';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { MESSAGE_MAX } from './contact-form.ts';

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

const described = (description: string) => Type.Optional(Type.Unknown({ description }));
/** A ticket action answered `{ok: true}`; its fields are described and checked by the desk, whose refusals name them. */
const ticketAction = (summary: string, fields: Record<string, ReturnType<typeof described>>) => ({
  tags: [STAFF_JSON_TAG], summary, params: ticketParams, body: OptionalBody({ ...fields, _csrf: CsrfField }), 'x-responses': { 200: Ok({}) },
});

/** The rest of the ticket page's forms, by path under /staff/tickets/:id/. */
export const TicketActionSchemas = {
  assign: ticketAction('Assign the ticket (or unassign it)', { assignee: described('a staff id; empty or "none" for nobody') }),
  status: ticketAction('Set the ticket\'s status', { status: described('new, open, pending_user, solved or closed') }),
  triage: ticketAction('Correct the triage: type and priority (the model learns from it)', {
    type: described('the ticket type'), priority: described('the priority'), note: described('why, for the record'),
  }),
  'request-info': ticketAction('Ask the user for information from the checklist (mailed)', {
    items: described('checklist items: one key or a list of keys'), body: described('a message above the list'),
  }),
  checklist: ticketAction('Mark a checklist item received (or not)', { item: described('the checklist item\'s key'), received: described('"false" or false: not received; anything else: received') }),
  link: ticketAction('Link the ticket to an incident', { incident: described('the incident\'s id') }),
  unlink: ticketAction('Unlink the ticket from its incident', {}),
};

export const LinkedTicketSchemas = {
  reply: {
    tags: [STAFF_JSON_TAG],
    summary: 'Answer every open ticket linked to an incident at once (mailed)',
    params: IdParams('id'),
    body: OptionalBody({
      body: described(`the answer in Japanese, required, at most ${MESSAGE_MAX} characters`),
      bodyEn: described('the answer in English (to users who wrote in English)'),
      key: described('a random key: the same form sent twice answers once'),
      solve: described('"true" or true: solve the tickets too'),
      _csrf: CsrfField,
    }),
    'x-responses': { 200: Ok({ count: Type.Integer({ minimum: 0 }) }) },
  },
};

export const BulkSchemas = {
  bulk: {
    tags: [STAFF_JSON_TAG],
    summary: 'One action on many tickets: assign, reply with a canned answer, link, solve',
    body: OptionalBody({
      action: described('assign, reply, link or solve'),
      ids: described('the tickets\' ids: one or a list (at most 100)'),
      assignee: described('assign: a staff id, or "none"'),
      canned: described('reply: the canned answer\'s id'),
      incident: described('link: the incident\'s id'),
      q: described('the queue\'s query to go back to (forms)'),
      _csrf: CsrfField,
    }),
    'x-responses': {
      200: Ok({
        action: Type.String(),
        succeeded: Type.Array(Open({ id: Type.String(), number: Type.Integer() })),
        failed: Type.Array(Open({ id: Type.String(), number: Type.Integer(), code: Type.String(), message: Type.String() })),
        back: Type.String({ description: 'the queue\'s query a form goes back to' }),
      }),
    },
  },
  retrain: {
    tags: [STAFF_JSON_TAG],
    summary: 'Retrain the triage model from the corpus and every correction (kept only if it is not worse)',
    body: OptionalBody({ _csrf: CsrfField }),
    'x-responses': { 200: Ok({ result: Open({ outcome: Type.Unsafe<string>({ type: 'string', enum: ['replaced', 'refused', 'unchanged'] }), version: Type.String(), corrections: Type.Integer({ minimum: 0 }) }) }) },
  },
};
