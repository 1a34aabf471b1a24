import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../../ops/openapi.ts';
import { IdParams, NullableString, Ok, Open, OptionalBody } from '../../web/schema/common.ts';
import { CsrfField } from '../../web/schema/text.ts';

/**
 * The account-protection console's JSON API (account-routes.ts, alerts-routes.ts). The fields are described
 * and checked by the lock and recovery services, whose refusals name them (an unfinished identity checklist, a
 * window that does not parse); a refusal shows the account page again (`formAction`). Routes not yet exercised
 * by test/openapi.test.ts (they need a compromise window's changes, or a detection alert) validate the same
 * way but are left out of the document: no `tags`.
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
    params: IdParams('id'),
    body: form({ windowStart: described('when the compromise began (datetime-local in the console\'s zone, or ISO 8601)'), windowReason: described('why') }),
  },
  remove: { params: IdParams('id'), body: form({ kind: described('what to remove: a withdrawal address, an API key, …'), id: described('its id') }) },
  restoreEmail: { params: IdParams('id'), body: form({ id: described('the e-mail change to undo') }) },
};

export const AlertSchemas = {
  list: {
    tags,
    summary: 'Detection\'s alerts, newest first (unacknowledged ones unless ?status=all)',
    querystring: Type.Object({ status: described('"all" for acknowledged ones too'), offset: described('how many to skip') }),
    'x-responses': { 200: Type.Object({ total: Type.Integer({ minimum: 0 }), alerts: Type.Array(Open({ id: Type.String(), accountId: NullableString() })) }) },
  },
  one: { params: IdParams('id') },
  acknowledge: { params: IdParams('id'), body: form({}) },
};
