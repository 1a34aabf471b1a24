import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Ok, Open, OptionalBody } from '../web/schema/common.ts';
import { CsrfField, JaText } from '../web/schema/text.ts';

/** The subscribers console's JSON API (console-routes.ts): counts, and disabling or erasing one subscription. */
const tags = [STAFF_JSON_TAG];

export const SubscriberSchemas = {
  counts: {
    tags,
    summary: 'Subscriptions by channel: active, pending, unsubscribed, disabled (send Accept: application/json only)',
    'x-responses': { 200: Type.Object({ counts: Type.Record(Type.String(), Open({ active: Type.Integer(), pending: Type.Integer(), unsubscribed: Type.Integer(), disabled: Type.Integer() })) }) },
  },
  disable: {
    tags, summary: 'Disable a subscription (no more notifications)', params: IdParams('id'),
    body: OptionalBody({ reason: Type.Optional(JaText({ max: 200 })), _csrf: CsrfField }),
    'x-responses': { 200: Ok({ id: Type.String() }) },
  },
  erase: {
    tags, summary: 'Erase a subscription\'s address (kept: that it existed)', params: IdParams('id'), body: OptionalBody({ _csrf: CsrfField }),
    'x-responses': { 200: Ok({ id: Type.String() }) },
  },
};
