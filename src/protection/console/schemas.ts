import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../../ops/openapi.ts';
import { IdParams, NullableString, NullableTimestamp, Ok, Open, OptionalBody, Timestamp } from '../../web/schema/common.ts';
import { CsrfField } from '../../web/schema/text.ts';

/**
 * The account-protection console's JSON API (account-routes.ts, alerts-routes.ts). The fields are described
 * and checked by the lock and recovery services, whose refusals name them (an unfinished identity checklist, a
 * window that does not parse); a refusal shows the account page again (`formAction`).
 */
const tags = [STAFF_JSON_TAG];
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const form = (fields: Record<string, TSchema>) => OptionalBody({ ...fields, _csrf: CsrfField }, { additionalProperties: true });

export const AccountSchemas = {
  search: {
    tags,
    summary: 'Find an exchange account by e-mail address or account id (404 when none)',
    querystring: Type.Object({ q: described('an e-mail address or an account id') }),
    'x-responses': { 200: Type.Object({ account: Open({ id: Type.String() }) }) },
  },
  one: {
    tags,
    summary: 'An account: the exchange\'s view, its locks, unlock requests, sign-ins, withdrawals, audit and recovery',
    params: IdParams('id'),
    'x-responses': {
      200: Open({
        accountId: Type.String(), account: Type.Unsafe<object | null>({ type: ['object', 'null'] }), exchangeUnavailable: Type.Boolean(),
        locksInProgress: Type.Array(Open({})), locks: Type.Array(Open({})), requests: Type.Array(Open({ id: Type.String() })), audit: Type.Array(Open({})),
      }),
    },
  },
  lock: {
    tags,
    summary: 'Lock the account now (sessions and API keys revoked, trading and withdrawals stopped; a security ticket filed)',
    params: IdParams('id'),
    body: form({ reason: described('why, for the record (at most 500 characters)') }),
    'x-responses': { 200: Ok({ lockId: Type.String(), effects: Open({}), ticketNumber: Type.Unsafe<number | null>({ type: ['integer', 'null'] }) }) },
  },
  requestUnlock: {
    tags,
    summary: 'Ask to unlock the account, every identity check done (another member approves)',
    params: IdParams('id'),
    body: form({
      checklist: described('the identity checks done: every one of them, one value or a list'),
      note: described('what was checked, for the approver'),
    }),
    'x-responses': { 200: Ok({ requestId: Type.String() }) },
  },
  approveUnlock: {
    tags,
    summary: 'Approve an unlock request (not the requester; a fresh second factor): what the compromise window added is removed',
    params: IdParams('id', 'requestId'),
    body: form({ plan: described('the unlock plan\'s fingerprint the approver saw; a different plan is refused') }),
    'x-responses': { 200: Ok({ removed: Type.Array(Open({ kind: Type.String(), id: Type.String() })), kept: Type.Array(Open({ kind: Type.String(), id: Type.String() })) }) },
  },
  window: {
    tags,
    summary: 'Set when the compromise began (the locked account\'s window: what the unlock removes)',
    params: IdParams('id'),
    body: form({ windowStart: described('when the compromise began (datetime-local in the console\'s zone, or ISO 8601)'), windowReason: described('why') }),
    'x-responses': { 200: Ok({ startsAt: Timestamp() }) },
  },
  remove: {
    tags,
    summary: 'Remove a withdrawal address or revoke an API key the compromise window added (now, before the unlock)',
    params: IdParams('id'),
    body: form({ kind: described('what to remove: withdrawal_address or api_key'), id: described('its id') }),
    'x-responses': { 200: Ok({}) },
  },
  restoreEmail: {
    tags,
    summary: 'Set the account\'s e-mail address back to the one before the compromise window',
    params: IdParams('id'),
    body: form({ id: described('the e-mail change to undo') }),
    'x-responses': { 200: Ok({ restored: Type.String({ description: 'the address now' }), replaced: Type.String({ description: 'the window\'s address' }) }) },
  },
};

export const AlertSchemas = {
  list: {
    tags,
    summary: 'Detection\'s alerts, newest first (unacknowledged ones unless ?status=all)',
    querystring: Type.Object({ status: described('"all" for acknowledged ones too'), offset: described('how many to skip') }),
    'x-responses': { 200: Type.Object({ total: Type.Integer({ minimum: 0 }), alerts: Type.Array(Open({ id: Type.String(), accountId: NullableString() })) }) },
  },
  one: {
    tags,
    summary: 'One alert: its rules, score, evidence and actions, and the account\'s open lock',
    params: IdParams('id'),
    'x-responses': {
      200: Open({
        id: Type.String(), accountId: NullableString(), score: Type.Number(), createdAt: Timestamp(), acknowledgedAt: NullableTimestamp(),
        lock: Type.Unsafe<object | null>({ type: ['object', 'null'], description: 'the account\'s open lock, if any' }),
      }),
    },
  },
  acknowledge: { tags, summary: 'Acknowledge an alert (also clears a pending step-up); twice is refused', params: IdParams('id'), body: form({}), 'x-responses': { 200: Ok({}) } },
};
