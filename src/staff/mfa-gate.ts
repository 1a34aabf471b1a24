import type { FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { markFactorFresh, type StaffPrincipal } from './accounts.ts';
import type { FactorGate } from './auth-plugin.ts';
import { wantsJson } from '../web/wants-json.ts';
import { isWrongPasskeyAnswer } from './passkey-factor.ts';
import { hasTotp } from './passkey-store.ts';
import { errorMessage } from '../web/errors.ts';
import { sendError } from '../web/error-handler.ts';
import { requestLang } from '../web/request-lang.ts';
import { allowWebAuthnScript } from '../webauthn/page.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { safeStaffNext, type MfaKit } from './mfa-kit.ts';
import * as views from './mfa-views.ts';
import { FRESH_PASSKEY_FIELDS, freshPasskeySection } from './passkey-views.ts';

/**
 * What the auth hook asks of a request (src/staff/auth-plugin.ts): the enrolment for a member without a factor,
 * the factor step for a password-only session, and the re-enter step of a sensitive action — a code, a passkey or
 * a recovery code, sent with the action itself, which then goes on.
 */
export function factorGate(kit: MfaKit): FactorGate {
  const { db, config, clock, freshMinutes } = kit;

  /** A passkey answer sent with a sensitive action (the fresh step's form): the passkey, or why not. */
  async function freshPasskey(request: FastifyRequest, staff: StaffPrincipal, body: Body): Promise<KinkyuError | null> {
    const over = kit.throttle.over(request, staff);
    if (over) return over;
    try {
      await kit.passkeys.authenticate(request, staff, { response: body[FRESH_PASSKEY_FIELDS.response], failure: body[FRESH_PASSKEY_FIELDS.failure] }, 'fresh_factor');
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      if (isWrongPasskeyAnswer(err)) kit.throttle.failed(request, staff, err.params.rule);
      return err;
    }
    kit.throttle.passed(request, staff);
    return null;
  }

  return {
    enrolmentRequired(request, reply) {
      if (wantsJson(request)) return sendError(request, reply, new KinkyuError('FACTOR_ENROLMENT_REQUIRED'));
      const next = request.method === 'GET' ? safeStaffNext(request.url) : '/staff';
      return kit.enrolPage(request, reply, request.staff!, next, undefined, 403);
    },
    factorRequired(request, reply) {
      if (wantsJson(request)) return sendError(request, reply, new KinkyuError('FACTOR_REQUIRED'));
      if (request.method === 'GET') return reply.redirect(`/staff/login/factor?next=${encodeURIComponent(safeStaffNext(request.url))}`, 303);
      return kit.factorPage(request, reply, request.staff!, '/staff', null, 403);
    },
    isFresh(staff) {
      return staff.factorAt !== null && freshMinutes > 0 && clock().getTime() - staff.factorAt.getTime() < freshMinutes * 60_000;
    },
    async freshFactor(request, reply) {
      const staff = request.staff!;
      const body = bodyOf(request);
      const header = (name: string) => {
        const v = request.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const code = header('x-staff-factor-code') ?? body._factor_code;
      const recovery = header('x-staff-factor-recovery') ?? body._factor_recovery;
      const passkeySent = FRESH_PASSKEY_FIELDS.response in body || FRESH_PASSKEY_FIELDS.failure in body;
      const codeSent = (typeof code === 'string' && code.trim() !== '') || (typeof recovery === 'string' && recovery.trim() !== '');
      let refusal = new KinkyuError('FRESH_FACTOR_REQUIRED');
      if (codeSent || passkeySent) {
        const result = codeSent ? await kit.verify(request, staff, { code, recovery }) : await freshPasskey(request, staff, body);
        if (result && isKinkyuError(result)) {
          refusal = result;
        } else {
          await markFactorFresh(db, staff, clock());
          for (const name of ['_factor_code', '_factor_recovery', FRESH_PASSKEY_FIELDS.response, FRESH_PASSKEY_FIELDS.failure]) delete body[name];
          return undefined;
        }
      }
      if (wantsJson(request)) return sendError(request, reply, refusal);
      const lang = requestLang(request, reply);
      const c = consoleContext(request, reply, config.timeZone, {}, { lang, error: codeSent || passkeySent ? errorMessage(lang, refusal) : null });
      const action = request.url.split('?')[0] ?? '/staff';
      const [totp, usable] = await Promise.all([hasTotp(db, staff.id), kit.passkeys.usable(staff.id)]);
      let passkey = null;
      if (usable.length) {
        passkey = freshPasskeySection(lang, { action, carried: views.carriedFields(body), options: await kit.passkeys.authenticationOptions(staff, usable) });
        allowWebAuthnScript(reply);
      }
      const page = views.freshFactorPage(c, { action, fields: body, minutes: freshMinutes, back: kit.refererBack(request), totp, passkey });
      return sendPage(reply, page, refusal.httpStatus);
    },
  };
}
