import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { KinkyuError, type ErrorCode } from '../domain/errors.ts';
import { WebAuthnChallenges } from '../webauthn/challenges.ts';
import { browserFailure, WebAuthnCeremonies, WebAuthnFailure, type WebAuthnFailureReason } from '../webauthn/ceremony.ts';
import { relyingPartyOf } from '../webauthn/relying-party.ts';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { deviceOf } from '../security-center/user-accounts.ts';
import type { StaffPrincipal } from './accounts.ts';
import { newRecoveryCodes } from './factors.ts';
import {
  disableStaffPasskey, findStaffPasskey, insertStaffPasskey, listStaffPasskeys, recordStaffPasskeyUse, staffUserHandle, storedCounter, type StaffPasskey,
} from './passkey-store.ts';

/**
 * A passkey as a staff member's second factor (issue 16), on src/webauthn's ceremonies in the 'staff' realm: its
 * challenges are issued to the member's session for the member only, and the credentials are looked up among the
 * member's own staff passkeys, so a user's passkey — same relying party, same host — never signs a member in.
 * Refusals come out as KinkyuErrors (`passkey_<reason>` rules, messages in src/staff/messages.*).
 */
export const MAX_PASSKEY_NAME = 40;

const REFUSAL_CODE: Record<WebAuthnFailureReason, ErrorCode> = {
  missing: 'VALIDATION', malformed: 'VALIDATION', cancelled: 'VALIDATION', insecure: 'VALIDATION', unsupported: 'VALIDATION',
  challenge: 'BAD_CREDENTIALS', unknown_credential: 'BAD_CREDENTIALS', user_verification: 'BAD_CREDENTIALS', not_verified: 'BAD_CREDENTIALS',
  disabled: 'FORBIDDEN', counter: 'FORBIDDEN', already_registered: 'CONFLICT',
};

/** A failure as the error the routes answer with. */
export const passkeyRefusal = (reason: WebAuthnFailureReason) => new KinkyuError(REFUSAL_CODE[reason], { rule: `passkey_${reason}` });

/** Whether a refusal is a wrong answer (throttled like a wrong code), rather than the browser's own failure. */
export const isWrongPasskeyAnswer = (err: KinkyuError) =>
  /^passkey_(malformed|challenge|unknown_credential|disabled|user_verification|not_verified|counter)$/.test(err.params.rule ?? '');

/** What a ceremony form posted: the response, or the failure the page script reported. */
export interface PasskeyAnswer {
  response: unknown;
  failure: unknown;
}

export type PasskeyPurpose = 'sign_in' | 'fresh_factor';

export class StaffPasskeys {
  private readonly ceremonies: WebAuthnCeremonies;

  constructor(
    private readonly db: Db,
    config: Config,
    private readonly clock: () => Date,
  ) {
    this.ceremonies = new WebAuthnCeremonies(new WebAuthnChallenges(db, clock), relyingPartyOf(config.publicUrl, config.exchangeNameEn), 'staff');
  }

  usable(staffId: string): Promise<StaffPasskey[]> {
    return listStaffPasskeys(this.db, staffId, { usable: true });
  }

  /** Options to make a new passkey, with a challenge for this session; the member's passkeys are excluded. */
  async registrationOptions(staff: StaffPrincipal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const exclude = await listStaffPasskeys(this.db, staff.id);
    const userHandle = await staffUserHandle(this.db, staff.id);
    return this.ceremonies.registrationOptions({ binding: staff.sessionHash, subject: staff.id, userName: staff.email, userHandle, exclude });
  }

  /** Options to answer with one of the member's usable passkeys, with a challenge for this session. */
  async authenticationOptions(staff: StaffPrincipal, allow?: StaffPasskey[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.ceremonies.authenticationOptions({ binding: staff.sessionHash, subject: staff.id, allow: allow ?? (await this.usable(staff.id)), userVerification: 'preferred' });
  }

  /** The passkey's name from the form, or the device the browser says it is. */
  nameOf(request: FastifyRequest, value: unknown): string {
    const raw = typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
    if ([...raw].length > MAX_PASSKEY_NAME) throw new KinkyuError('VALIDATION', { field: 'passkeyName', rule: 'max', max: String(MAX_PASSKEY_NAME) });
    return raw || deviceOf(request.headers['user-agent']);
  }

  /**
   * Verifies a registration answer and adds the passkey, audited, in one transaction. `firstFactor`: the
   * enrolment at first sign-in, which also makes the recovery codes (returned once).
   */
  async register(request: FastifyRequest, staff: StaffPrincipal, answer: PasskeyAnswer, name: string, firstFactor: boolean): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    const now = this.clock();
    try {
      const reported = browserFailure(answer.failure);
      if (reported) throw new WebAuthnFailure(reported);
      const credential = await this.ceremonies.verifyRegistration({ binding: staff.sessionHash, subject: staff.id, response: answer.response });
      return await this.db.transaction(async (tx) => {
        await tx.query('SELECT id FROM staff WHERE id = $1 FOR UPDATE', [staff.id]);
        if (firstFactor && (await tx.query('SELECT 1 FROM staff_factors WHERE staff_id = $1', [staff.id])).length) {
          throw new KinkyuError('CONFLICT', { rule: 'factor_exists' });
        }
        const factorId = await insertStaffPasskey(tx, staff.id, name, credential, now);
        const recoveryCodes = firstFactor ? await newRecoveryCodes(tx, staff.id, now) : null;
        if (firstFactor) await tx.query('UPDATE staff_sessions SET pending_totp_secret = NULL WHERE staff_id = $1', [staff.id]);
        await appendAudit(tx, {
          actorType: 'staff', actorId: staff.id, ip: request.ip, action: firstFactor ? 'staff.factor_enrol' : 'staff.passkey_add', targetType: 'staff', targetId: staff.id,
          data: { kind: 'passkey', factorId, name, deviceType: credential.deviceType, backedUp: credential.backedUp },
        }, now);
        return { factorId, recoveryCodes };
      });
    } catch (err) {
      // The same authenticator's passkey again (credential ids are unique across members).
      if ((err as { code?: string })?.code === '23505') throw passkeyRefusal('already_registered');
      throw this.refusal(request, staff, err, 'register');
    }
  }

  /**
   * Verifies an authentication answer by one of the member's passkeys and records its use (the counter moves
   * forward, compare-and-set). A genuine signature whose counter did not go up is a copied authenticator: the
   * passkey is turned off and the refusal audited.
   */
  async authenticate(request: FastifyRequest, staff: StaffPrincipal, answer: PasskeyAnswer, purpose: PasskeyPurpose): Promise<StaffPasskey> {
    try {
      const reported = browserFailure(answer.failure);
      if (reported) throw new WebAuthnFailure(reported);
      const { passkey, newCounter } = await this.ceremonies.verifyAuthentication({
        binding: staff.sessionHash, subject: staff.id, response: answer.response, requireUserVerification: false,
        find: (credentialId, userHandle) => findStaffPasskey(this.db, staff.id, credentialId, userHandle),
      });
      if (!(await recordStaffPasskeyUse(this.db, passkey.id, newCounter, this.clock()))) {
        const stored = (await storedCounter(this.db, passkey.id)) ?? passkey.counter;
        throw new WebAuthnFailure('counter', passkey, { stored, received: newCounter });
      }
      return passkey;
    } catch (err) {
      throw await this.refused(request, staff, err, purpose);
    }
  }

  private refusal(request: FastifyRequest, staff: StaffPrincipal, err: unknown, purpose: string): unknown {
    if (!(err instanceof WebAuthnFailure)) return err;
    request.log.warn({ ip: request.ip, staffId: staff.id, reason: err.reason, purpose, err: err.message }, 'staff passkey refused');
    return passkeyRefusal(err.reason);
  }

  private async refused(request: FastifyRequest, staff: StaffPrincipal, err: unknown, purpose: PasskeyPurpose): Promise<unknown> {
    if (err instanceof WebAuthnFailure && err.reason === 'counter' && err.passkey) {
      const passkey = err.passkey as StaffPasskey;
      const counters = err.counters ?? { stored: passkey.counter, received: 0 };
      const now = this.clock();
      await this.db.transaction(async (tx) => {
        await disableStaffPasskey(tx, passkey.id, 'counter_went_back', now);
        await appendAudit(tx, {
          actorType: 'staff', actorId: staff.id, ip: request.ip, action: 'staff.passkey_refused', targetType: 'staff', targetId: staff.id,
          data: { factorId: passkey.id, name: passkey.name, reason: 'counter_went_back', ...counters, purpose },
        }, now);
      });
      request.log.warn({ staffId: staff.id, factorId: passkey.id, ...counters }, 'a staff passkey answered with a signature counter that went backwards (a copied authenticator?): turned off');
    }
    return this.refusal(request, staff, err, purpose);
  }
}
