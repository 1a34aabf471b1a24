import type { FastifyInstance, FastifySchema } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import type { FactorGate } from './auth-plugin.ts';
import { wantsJson } from '../web/wants-json.ts';
import { confirmTotpEnrolment, pendingTotpSecret, regenerateRecoveryCodes } from './factors.ts';
import { totpUri } from '../security-center/totp.ts';
import { sendError } from '../web/error-handler.ts';
import { requestLang } from '../web/request-lang.ts';
import { registerWebAuthnScript } from '../webauthn/page.ts';
import { sendPage } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { mfaKit, safeStaffNext, type MfaKit, type StaffMfaOptions } from './mfa-kit.ts';
import { factorGate } from './mfa-gate.ts';
import { registerOidcRoutes } from './mfa-oidc-routes.ts';
import { registerPasskeyRoutes } from './passkey-routes.ts';
import * as views from './mfa-views.ts';
import { SignInSchemas } from './sign-in-schemas.ts';

export { safeStaffNext, type StaffMfaOptions };

/**
 * Staff multi-factor sign-in: the second step of the sign-in, the enrolment every member passes first (an
 * authenticator app or a passkey), the re-enter step of sensitive actions (src/staff/mfa-gate.ts), recovery codes,
 * the member's passkeys (src/staff/passkey-routes.ts) and sign-in through the company's OpenID Connect provider
 * (src/staff/mfa-oidc-routes.ts). `gate` is what the auth hook asks of a request; `register` adds the routes.
 */
export function staffMfa(opts: StaffMfaOptions): { gate: FactorGate; register(app: FastifyInstance): void } {
  const kit = mfaKit(opts);
  const gate = factorGate(kit);
  return {
    gate,
    register(app) {
      registerWebAuthnScript(app);
      registerFactorRoutes(app, kit, gate);
      registerPasskeyRoutes(app, kit, gate);
      registerOidcRoutes(app, kit);
    },
  };
}

const beforeFactor = { config: { permission: 'console.view' as const, beforeFactor: true } };
/** A documented step before the factor (sign-in-schemas.ts): the handler answers a malformed body itself. */
const beforeFactorWith = (schema: FastifySchema) => ({ schema, config: { ...beforeFactor.config, refusesInHandler: true } });

/** The factor step after the password, the authenticator-app enrolment, the member's factors and recovery codes. */
function registerFactorRoutes(app: FastifyInstance, kit: MfaKit, gate: FactorGate): void {
  const { db, config, clock } = kit;

  app.get('/staff/login/factor', beforeFactor, async (request, reply) => {
    const staff = request.staff!;
    const next = safeStaffNext((request.query as Body).next);
    if (!staff.hasFactor) return reply.redirect(`/staff/mfa/enrol?next=${encodeURIComponent(next)}`, 303);
    if (staff.factorAt) return reply.redirect(next, 303);
    return kit.factorPage(request, reply, staff, next);
  });

  app.post('/staff/login/factor', beforeFactorWith(SignInSchemas.factor), async (request, reply) => {
    const staff = request.staff!;
    const body = bodyOf(request);
    const next = safeStaffNext(body.next);
    if (!staff.hasFactor) return gate.enrolmentRequired(request, reply);
    if (staff.factorAt) {
      if (wantsJson(request)) return reply.send({ ok: true, csrfToken: staff.csrfToken });
      return reply.redirect(next, 303);
    }
    const result = await kit.verify(request, staff, { code: body.code, recovery: body.recovery });
    if (isKinkyuError(result)) {
      if (wantsJson(request)) return sendError(request, reply, result);
      return kit.factorPage(request, reply, staff, next, result);
    }
    const csrfToken = await kit.signedIn(request, reply, staff, result.method);
    if (wantsJson(request)) return reply.send({ ok: true, csrfToken, method: result.method });
    return reply.redirect(next, 303);
  });

  app.get('/staff/mfa/enrol', beforeFactorWith(SignInSchemas.enrolment), async (request, reply) => {
    const staff = request.staff!;
    const next = safeStaffNext((request.query as Body).next);
    if (staff.hasFactor) return reply.redirect(staff.factorAt ? next : `/staff/login/factor?next=${encodeURIComponent(next)}`, 303);
    if (wantsJson(request)) {
      const secret = await pendingTotpSecret(db, staff.sessionHash);
      return reply.send({ secret, uri: totpUri(secret, `kinkyu ${config.exchangeNameEn}`, staff.email) });
    }
    return kit.enrolPage(request, reply, staff, next);
  });

  app.post('/staff/mfa/enrol', beforeFactorWith(SignInSchemas.enrol), async (request, reply) => {
    const staff = request.staff!;
    const body = bodyOf(request);
    const next = safeStaffNext(body.next);
    const lang = requestLang(request, reply);
    if (staff.hasFactor) throw new KinkyuError('CONFLICT', { rule: 'factor_exists' });
    const refuse = (err: KinkyuError) => (wantsJson(request) ? sendError(request, reply, err) : kit.enrolPage(request, reply, staff, next, err));
    if (kit.throttle.enrolOver(request, staff)) return refuse(new KinkyuError('RATE_LIMITED', { rule: 'code' }));
    const enrolled = await confirmTotpEnrolment(db, { type: 'staff', id: staff.id, ip: request.ip }, staff.sessionHash, body.code, clock());
    if (!enrolled) {
      kit.throttle.enrolFailed(request, staff);
      return refuse(new KinkyuError('BAD_CREDENTIALS', { rule: 'code' }));
    }
    // A password-only session becomes a signed-in one (a new token); a session from the company's provider
    // already passed its factor and stays.
    const csrfToken = staff.factorAt ? staff.csrfToken : await kit.signedIn(request, reply, staff, 'totp');
    if (wantsJson(request)) return reply.send({ ok: true, csrfToken, recoveryCodes: enrolled.recoveryCodes });
    return sendPage(reply, views.recoveryCodesPage(lang, null, enrolled.recoveryCodes, next));
  });

  app.get('/staff/mfa', { schema: SignInSchemas.factors, config: { permission: 'console.view' } }, async (request, reply) => {
    if (!wantsJson(request)) return kit.myFactorsPage(request, reply);
    const { factors, codesLeft, oidcLinked } = await kit.myFactors(request.staff!.id);
    return reply.send({ factors, recoveryCodesLeft: codesLeft, oidcLinked });
  });

  app.post('/staff/mfa/recovery-codes', { schema: SignInSchemas.recoveryCodes, config: { permission: 'console.view', freshFactor: true, refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    const codes = await regenerateRecoveryCodes(db, { type: 'staff', id: staff.id, ip: request.ip }, clock());
    if (wantsJson(request)) return reply.send({ ok: true, recoveryCodes: codes });
    return sendPage(reply, views.recoveryCodesPage(requestLang(request, reply), staff, codes, '/staff/mfa'));
  });
}
