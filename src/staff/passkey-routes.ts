import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { StaffPrincipal } from './accounts.ts';
import type { FactorGate } from './auth-plugin.ts';
import { wantsJson } from '../web/wants-json.ts';
import { isWrongPasskeyAnswer, type PasskeyAnswer } from './passkey-factor.ts';
import { deleteStaffPasskey } from './passkey-store.ts';
import { sendError } from '../web/error-handler.ts';
import { requestLang } from '../web/request-lang.ts';
import { allowWebAuthnScript } from '../webauthn/page.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { safeStaffNext, type MfaKit } from './mfa-kit.ts';
import * as views from './mfa-views.ts';
import { registerPasskeyPage } from './passkey-views.ts';
import { SignInSchemas } from './sign-in-schemas.ts';

const beforeFactor = { config: { permission: 'console.view' as const, beforeFactor: true } };
const answerOf = (body: Body): PasskeyAnswer => ({ response: body.response, failure: body.failure });

/**
 * A staff member's passkeys: enrolled as the first factor (instead of the authenticator app), used as the second
 * step of the sign-in, and — from the member's own factors page — added (after a fresh factor) and removed (after a
 * fresh factor too). The pages' ceremonies are in src/staff/passkey-views.ts, their checks in passkey-factor.ts.
 */
export function registerPasskeyRoutes(app: FastifyInstance, kit: MfaKit, gate: FactorGate): void {
  const { db, config, clock, passkeys } = kit;

  /** Refused answers that are wrong ones count like wrong codes; the browser's own failures (cancelled…) do not. */
  const counted = (request: FastifyRequest, staff: StaffPrincipal, err: KinkyuError) => {
    if (isWrongPasskeyAnswer(err)) kit.throttle.failed(request, staff, err.params.rule);
  };

  app.post('/staff/mfa/enrol/passkey', { schema: SignInSchemas.enrolPasskey, config: { ...beforeFactor.config, refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    const body = bodyOf(request);
    const next = safeStaffNext(body.next);
    if (staff.hasFactor) throw new KinkyuError('CONFLICT', { rule: 'factor_exists' });
    const refuse = (err: KinkyuError) => (wantsJson(request) ? sendError(request, reply, err) : kit.enrolPage(request, reply, staff, next, err));
    if (kit.throttle.enrolOver(request, staff)) return refuse(new KinkyuError('RATE_LIMITED', { rule: 'code' }));
    let recoveryCodes: string[];
    try {
      const name = passkeys.nameOf(request, body.name);
      recoveryCodes = (await passkeys.register(request, staff, answerOf(body), name, true)).recoveryCodes ?? [];
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      if (isWrongPasskeyAnswer(err)) kit.throttle.enrolFailed(request, staff);
      return refuse(err);
    }
    const csrfToken = staff.factorAt ? staff.csrfToken : await kit.signedIn(request, reply, staff, 'passkey');
    if (wantsJson(request)) return reply.send({ ok: true, csrfToken, recoveryCodes });
    return sendPage(reply, views.recoveryCodesPage(requestLang(request, reply), null, recoveryCodes, next));
  });

  app.post('/staff/login/factor/passkey', { schema: SignInSchemas.passkeyFactor, config: { ...beforeFactor.config, refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    const body = bodyOf(request);
    const next = safeStaffNext(body.next);
    if (!staff.hasFactor) return gate.enrolmentRequired(request, reply);
    if (staff.factorAt) return wantsJson(request) ? reply.send({ ok: true, csrfToken: staff.csrfToken }) : reply.redirect(next, 303);
    const refuse = (err: KinkyuError) => (wantsJson(request) ? sendError(request, reply, err) : kit.factorPage(request, reply, staff, next, err));
    const over = kit.throttle.over(request, staff);
    if (over) return refuse(over);
    try {
      await passkeys.authenticate(request, staff, answerOf(body), 'sign_in');
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      counted(request, staff, err);
      return refuse(err);
    }
    kit.throttle.passed(request, staff);
    const csrfToken = await kit.signedIn(request, reply, staff, 'passkey');
    if (wantsJson(request)) return reply.send({ ok: true, csrfToken, method: 'passkey' });
    return reply.redirect(next, 303);
  });

  /** The member's factors page with an error on it (a refused addition or removal). */
  const factorsPageWith = (request: FastifyRequest, reply: FastifyReply, err: KinkyuError) =>
    wantsJson(request) ? sendError(request, reply, err) : kit.myFactorsPage(request, reply, err);

  // Adding a passkey is sensitive (it is a way in): a fresh factor first, and the challenge is issued only after it.
  app.post('/staff/mfa/passkeys/new', { schema: SignInSchemas.newPasskey, config: { permission: 'console.view', freshFactor: true, refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    let name: string;
    try {
      name = passkeys.nameOf(request, bodyOf(request).name);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return factorsPageWith(request, reply, err);
    }
    const options = await passkeys.registrationOptions(staff);
    if (wantsJson(request)) return reply.send({ name, options });
    allowWebAuthnScript(reply);
    return sendPage(reply, registerPasskeyPage(consoleContext(request, reply, config.timeZone, {}), { name, options }));
  });

  app.post('/staff/mfa/passkeys/register', { schema: SignInSchemas.registerPasskey, config: { permission: 'console.view', refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    const body = bodyOf(request);
    try {
      const name = passkeys.nameOf(request, body.name);
      const { factorId } = await passkeys.register(request, staff, answerOf(body), name, false);
      if (wantsJson(request)) return reply.send({ ok: true, id: factorId });
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      return factorsPageWith(request, reply, err);
    }
    return reply.redirect('/staff/mfa?ok=passkeyAdded', 303);
  });

  app.post('/staff/mfa/passkeys/remove', { schema: SignInSchemas.removePasskey, config: { permission: 'console.view', freshFactor: true, refusesInHandler: true } }, async (request, reply) => {
    const staff = request.staff!;
    const id = bodyOf(request).id;
    const factorId = typeof id === 'string' ? id.slice(0, 64) : '';
    const removed = await db.transaction(async (tx) => {
      const name = await deleteStaffPasskey(tx, staff.id, factorId);
      if (name !== null && name !== 'last') {
        await appendAudit(tx, {
          actorType: 'staff', actorId: staff.id, ip: request.ip, action: 'staff.passkey_remove', targetType: 'staff', targetId: staff.id, data: { factorId, name },
        }, clock());
      }
      return name;
    });
    if (removed === null) return factorsPageWith(request, reply, new KinkyuError('NOT_FOUND', { what: 'passkey', rule: 'passkey' }));
    if (removed === 'last') return factorsPageWith(request, reply, new KinkyuError('CONFLICT', { rule: 'last_factor' }));
    if (wantsJson(request)) return reply.send({ ok: true });
    return reply.redirect('/staff/mfa?ok=passkeyRemoved', 303);
  });
}
