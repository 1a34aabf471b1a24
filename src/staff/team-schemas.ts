import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Ok, OptionalBody } from '../web/schema/common.ts';
import { CsrfField } from '../web/schema/text.ts';
import { ROLES } from './permissions.ts';

/**
 * Staff management's JSON API (team-routes.ts): admins only, each change with a fresh second factor. The
 * fields are described and checked by src/staff/accounts.ts and factors.ts, whose refusals name them; a refusal
 * shows the team page again (`formAction`). Linking an OIDC subject exists only when OIDC is configured, so it
 * validates but stays out of the document.
 */
const tags = [STAFF_JSON_TAG];
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const form = (fields: Record<string, TSchema> = {}) => OptionalBody({ ...fields, _csrf: CsrfField });
const roleField = described(`one of ${ROLES.join(', ')}`);
const memberParams = IdParams('id');
const resetParams = IdParams('requestId');

export const TeamSchemas = {
  create: {
    tags,
    summary: 'Add a staff member; the generated password is in this answer only',
    body: form({ email: described('the member\'s e-mail address'), name: described('the member\'s name'), role: roleField }),
    'x-responses': { 200: Ok({ id: Type.String(), name: Type.String(), email: Type.String(), role: Type.String(), password: Type.String() }) },
  },
  role: { tags, summary: 'Change a member\'s role', params: memberParams, body: form({ role: roleField }), 'x-responses': { 200: Ok({ id: Type.String(), changed: Type.Boolean() }) } },
  disable: {
    tags, summary: 'Disable a member (their sessions end)', params: memberParams, body: form(),
    'x-responses': { 200: Ok({ id: Type.String(), changed: Type.Boolean(), sessionsRevoked: Type.Integer({ minimum: 0 }) }) },
  },
  enable: { tags, summary: 'Enable a disabled member again', params: memberParams, body: form(), 'x-responses': { 200: Ok({ id: Type.String(), changed: Type.Boolean() }) } },
  password: {
    tags, summary: 'Reset a member\'s password (their sessions end); the new password is in this answer only', params: memberParams, body: form(),
    'x-responses': { 200: Ok({ id: Type.String(), password: Type.String(), sessionsRevoked: Type.Integer({ minimum: 0 }) }) },
  },
  factorReset: {
    tags, summary: 'Ask to reset a member\'s second factors (another admin approves)', params: memberParams, body: form({ reason: described('why, for the approver and the record') }),
    'x-responses': { 200: Ok({ id: Type.String(), requestId: Type.String() }) },
  },
  approveReset: {
    tags, summary: 'Approve a factor reset (not its requester): the member\'s factors are removed and their sessions end', params: resetParams, body: form(),
    'x-responses': { 200: Ok({ staffId: Type.String(), factorsRemoved: Type.Integer({ minimum: 0 }), sessionsRevoked: Type.Integer({ minimum: 0 }) }) },
  },
  cancelReset: { tags, summary: 'Cancel a factor reset request', params: resetParams, body: form(), 'x-responses': { 200: Ok({ staffId: Type.String() }) } },
  oidc: { params: memberParams, body: form({ subject: described('the member\'s subject at the OIDC issuer (empty: unlink)') }) },
};
