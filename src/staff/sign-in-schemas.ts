import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { Ok, Open, OptionalBody } from '../web/schema/common.ts';
import { CsrfField } from '../web/schema/text.ts';

/**
 * The staff sign-in and second factor as a JSON client sees them (sign-in-routes.ts, mfa-routes.ts,
 * passkey-routes.ts). The handlers check the fields themselves and answer every refusal as before (a wrong
 * password and a malformed body alike are BAD_CREDENTIALS; a wrong code re-shows the factor step), so the
 * bodies are described, not refused by the schema: `refusesInHandler` on each route.
 */
const tags = [STAFF_JSON_TAG];
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const form = (fields: Record<string, TSchema> = {}) => OptionalBody({ ...fields, _csrf: CsrfField }, { additionalProperties: true });
const next = described('where a form goes afterwards (a /staff path)');
const csrfToken = Type.String({ description: 'the session\'s CSRF token, for the x-csrf-token header' });
const recoveryCodes = Type.Array(Type.String(), { description: 'one-time recovery codes, shown only in this answer' });

export const SignInSchemas = {
  login: {
    tags,
    summary: 'Sign in with e-mail and password: a session that opens only the second step (the code, or enrolling a first factor)',
    body: form({ email: described('the member\'s e-mail address'), password: described('the password'), next }),
    'x-responses': { 200: Ok({ csrfToken, stage: Type.Union([Type.Literal('factor'), Type.Literal('enrol')], { description: 'what comes next' }) }) },
  },
  factor: {
    tags,
    summary: 'The second step: an authenticator code or a recovery code (already passed: the same session)',
    body: form({ code: described('a 6-digit authenticator code'), recovery: described('a recovery code instead'), next }),
    'x-responses': { 200: Ok({ csrfToken, method: Type.Optional(Type.String({ description: 'the factor used: totp or recovery' })) }) },
  },
  enrolment: {
    tags,
    summary: 'A new authenticator secret for the first factor (before any factor)',
    'x-responses': { 200: Type.Object({ secret: Type.String(), uri: Type.String({ description: 'otpauth:// URI for a QR code' }) }) },
  },
  enrol: {
    tags,
    summary: 'Confirm the authenticator with a code: signed in, with recovery codes',
    body: form({ code: described('a 6-digit code from the new authenticator'), next }),
    'x-responses': { 200: Ok({ csrfToken, recoveryCodes }) },
  },
  factors: {
    tags,
    summary: 'The member\'s own second factors, recovery codes left, and whether a company sign-in is linked',
    'x-responses': { 200: Open({ factors: Type.Array(Open({})), recoveryCodesLeft: Type.Integer({ minimum: 0 }), oidcLinked: Type.Boolean() }) },
  },
  recoveryCodes: {
    tags, summary: 'New recovery codes (the old ones stop working; a fresh second factor)', body: form(), 'x-responses': { 200: Ok({ recoveryCodes }) },
  },
  newPasskey: {
    tags,
    summary: 'Start adding a passkey: WebAuthn registration options for the browser (a fresh second factor)',
    body: form({ name: described('the passkey\'s name, e.g. the device') }),
    'x-responses': { 200: Type.Object({ name: Type.String(), options: Open({ challenge: Type.String() }, 'PublicKeyCredentialCreationOptionsJSON') }) },
  },
  registerPasskey: {
    tags,
    summary: 'Add the passkey: the browser\'s answer to the registration options',
    body: form({ name: described('the passkey\'s name'), response: described('the WebAuthn registration response (JSON text)') }),
    'x-responses': { 200: Ok({ id: Type.String({ description: 'the new factor' }) }) },
  },
  removePasskey: {
    tags, summary: 'Remove one of the member\'s passkeys (never the last factor; a fresh second factor)', body: form({ id: described('the passkey\'s factor id') }), 'x-responses': { 200: Ok({}) },
  },
  enrolPasskey: {
    tags,
    summary: 'A passkey as the first factor: the browser\'s answer to the enrolment page\'s options; signed in, with recovery codes',
    body: form({ name: described('the passkey\'s name'), response: described('the WebAuthn registration response (JSON text)'), next }),
    'x-responses': { 200: Ok({ csrfToken, recoveryCodes }) },
  },
  passkeyFactor: {
    tags,
    summary: 'The second step with a passkey: the browser\'s answer to the factor page\'s options',
    body: form({ response: described('the WebAuthn authentication response (JSON text)'), next }),
    'x-responses': { 200: Ok({ csrfToken, method: Type.Optional(Type.Literal('passkey')) }) },
  },
};
