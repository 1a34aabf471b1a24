/**
 * What the passkey flows share (issue 16): the ceremonies, the answers to a failed one, and a verified use.
 * The ceremonies and their checks are src/webauthn's; these use the security center's own session, throttle,
 * events, audit and notices (`CenterContext`), so a passkey follows the same rules as a code.
 */
import type { FastifyRequest } from 'fastify';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { WebAuthnChallenges } from '../webauthn/challenges.ts';
import { browserFailure, WebAuthnCeremonies, WebAuthnFailure, type WebAuthnFailureReason } from '../webauthn/ceremony.ts';
import { relyingPartyOf } from '../webauthn/relying-party.ts';
import type { CenterContext } from './center-context.ts';
import { disablePasskey, listPasskeys, passkeyCounter, recordPasskeyUse, type UserPasskey } from './passkey-store.ts';

export type Body = Record<string, unknown>;
export const MAX_PASSKEY_NAME = 40;

const FAILURE_MESSAGES: Record<WebAuthnFailureReason, MessageKey> = {
  missing: 'passkey.error.missing',
  malformed: 'passkey.error.malformed',
  challenge: 'passkey.error.challenge',
  unknown_credential: 'passkey.error.unknown_credential',
  disabled: 'passkey.error.disabled',
  user_verification: 'passkey.error.user_verification',
  not_verified: 'passkey.error.not_verified',
  counter: 'passkey.error.counter',
  cancelled: 'passkey.error.cancelled',
  already_registered: 'passkey.error.already_registered',
  insecure: 'passkey.error.insecure',
  unsupported: 'passkey.error.unsupported',
};

export const FAILURE_STATUS: Record<WebAuthnFailureReason, number> = {
  missing: 400, malformed: 400, cancelled: 400, insecure: 400, unsupported: 400,
  challenge: 401, unknown_credential: 401, user_verification: 401, not_verified: 401,
  disabled: 403, counter: 403, already_registered: 409,
};

/** Failures that are a wrong answer (counted by the throttle, recorded as a failed sign-in); the rest are the browser's. */
export const isWrongAnswer = (reason: WebAuthnFailureReason) =>
  ['malformed', 'challenge', 'unknown_credential', 'disabled', 'user_verification', 'not_verified', 'counter'].includes(reason);

/** The `failure` a page script reported, as a failure to show; or the ceremony's own (when nothing was reported). */
export const reportedFailure = (body: Body): WebAuthnFailure | null => {
  const reason = browserFailure(body.failure);
  return reason ? new WebAuthnFailure(reason) : null;
};

export const failureMessage = (lang: Lang, f: WebAuthnFailure) => t(lang, FAILURE_MESSAGES[f.reason]);

/** Where to lock: the security center's button when signed in, else the help center's lock (no sign-in needed). */
export const lockHint = (lang: Lang, signedIn = true) => signedIn
  ? html`<p class="hint">${t(lang, 'passkey.lockHint')} <a href="/account/lock">${t(lang, 'user.lock.button')}</a></p>`
  : html`<p class="hint">${t(lang, 'passkey.lockHint')} <a href="${langHref(lang, '/help/lock')}">${t(lang, 'user.login.lockLink')}</a></p>`;

export const enabledPasskeys = (list: UserPasskey[]) => list.filter((x) => !x.disabled);

export type PasskeyKit = ReturnType<typeof createPasskeyKit>;

export function createPasskeyKit(ctx: CenterContext) {
  const { db, config, clock } = ctx;
  const rp = relyingPartyOf(config.publicUrl, config.exchangeNameEn);
  const ceremonies = new WebAuthnCeremonies(new WebAuthnChallenges(db, clock), rp, 'user');
  return {
    ceremonies,
    enabledOf: async (accountId: string) => enabledPasskeys(await listPasskeys(db, accountId)),

    /**
     * A refused answer that was genuinely signed but went backwards: the passkey is turned off, the refusal is
     * audited, and the account event goes to detection (alert, notice with a lock link, ticket, by policy).
     */
    async onFailure(request: FastifyRequest, f: WebAuthnFailure, accountId: string | null, purpose: string): Promise<void> {
      if (f.reason === 'counter' && f.passkey) {
        const passkey = f.passkey as UserPasskey;
        const counters = f.counters ?? { stored: passkey.counter, received: 0 };
        await db.transaction(async (tx) => {
          await disablePasskey(tx, passkey.id, 'counter_went_back', clock());
          await ctx.audit(tx, request, passkey.accountId, 'user.passkey_refused', { passkeyId: passkey.id, name: passkey.name, reason: 'counter_went_back', ...counters, purpose });
        });
        request.log.warn({ accountId: passkey.accountId, passkeyId: passkey.id, ...counters }, 'a passkey answered with a signature counter that went backwards (a copied authenticator?): turned off');
        await ctx.record(request, passkey.accountId, 'passkey_cloned', { passkeyId: passkey.id, name: passkey.name, storedCounter: counters.stored, receivedCounter: counters.received, purpose });
        return;
      }
      if (isWrongAnswer(f.reason)) {
        const who = accountId ?? (f.passkey as UserPasskey | null)?.accountId ?? null;
        await ctx.record(request, who, 'sign_in_failed', { reason: purpose === 'sign_in' ? 'passkey' : purpose, passkey: f.reason });
      }
    },

    /** A verified use: the counter moves forward (compare-and-set) or the answer is refused as a copy after all. */
    async used(request: FastifyRequest, passkey: UserPasskey, newCounter: number, purpose: string): Promise<void> {
      if (!(await recordPasskeyUse(db, passkey.id, newCounter, clock()))) {
        const stored = await passkeyCounter(db, passkey.id);
        throw new WebAuthnFailure('counter', passkey, { stored: stored ?? passkey.counter, received: newCounter });
      }
      await ctx.record(request, passkey.accountId, 'passkey_used', { passkeyId: passkey.id, name: passkey.name, purpose });
    },
  };
}
