/**
 * Passkeys in the user's security center (issue 16): several per account, named, with when each was added and
 * last used; sign-in with a passkey alone (a discoverable credential, user verification required); a passkey as
 * the second factor after the password, or for a step-up, instead of the authenticator app; adding and removing
 * one needs a step-up. Recovery codes keep working everywhere a passkey does, and the emergency lock never needs
 * one. The ceremonies and their checks are src/webauthn's; this file is the routes and pages around them, using
 * the security center's own session, throttle, events, audit and notices (`PasskeyKit`, from routes.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import type { AccountEventKind } from '../protection/account-events.ts';
import { KinkyuError } from '../domain/errors.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { requestLang } from '../web/request-lang.ts';
import { WebAuthnChallenges } from '../webauthn/challenges.ts';
import { browserFailure, WebAuthnCeremonies, WebAuthnFailure, type RegisteredCredential, type WebAuthnFailureReason } from '../webauthn/ceremony.ts';
import { relyingPartyOf } from '../webauthn/relying-party.ts';
import { allowWebAuthnScript, ceremonyForm, registerWebAuthnScript } from '../webauthn/page.ts';
import { sameSecret } from '../domain/secrets.ts';
import { deviceOf } from './user-accounts.ts';
import type { SecurityNotice } from './emails.ts';
import type { CodeAttempt, SignInThrottle } from './sign-in-throttle.ts';
import { isStepUpAction, STEP_UP_ACTIONS, type StepUpAction } from './step-up.ts';
import { deletePasskey, disablePasskey, findPasskey, insertPasskey, listPasskeys, recordPasskeyUse, userHandleOf, type UserPasskey } from './passkey-store.ts';

/** The part of the security center's session these routes read (routes.ts's UserSession has all of it). */
export interface PasskeySession {
  tokenHash: string;
  accountId: string;
  csrfToken: string;
  pending2fa: boolean;
  email: string;
  locked: boolean;
  lang: Lang;
}

type Body = Record<string, unknown>;

/** What the security center lends these routes: its own helpers, so a passkey follows the same rules as a code. */
export interface PasskeyKit {
  db: Db;
  config: Config;
  accounts: ExchangeAccounts;
  clock: () => Date;
  holdHours: number;
  send(reply: FastifyReply, lang: Lang, title: string, body: SafeHtml, status?: number): FastifyReply;
  /** The session of this request's cookie, fully signed in or waiting for its second factor; null without one. */
  session(request: FastifyRequest): Promise<PasskeySession | null>;
  requireUser(request: FastifyRequest, reply: FastifyReply): Promise<PasskeySession | null>;
  withUser(request: FastifyRequest, reply: FastifyReply, fn: (s: PasskeySession, body: Body, lang: Lang) => Promise<unknown>): Promise<unknown>;
  withSteppedUpUser(request: FastifyRequest, reply: FastifyReply, action: 'passkey', fn: (s: PasskeySession, body: Body, lang: Lang) => Promise<unknown>): Promise<unknown>;
  csrfField(s: { csrfToken: string }): SafeHtml;
  checkOrigin(request: FastifyRequest): void;
  preToken(request: FastifyRequest, reply: FastifyReply): string;
  checkPre(request: FastifyRequest): void;
  throttle: SignInThrottle;
  knownDeviceOf(request: FastifyRequest, accountId: string): string | null;
  completeSignIn(request: FastifyRequest, reply: FastifyReply, accountId: string, method: string, pendingHash?: string): Promise<void>;
  landing(accountId: string): Promise<string>;
  lockedBody(lang: Lang): SafeHtml;
  record(request: FastifyRequest, accountId: string | null, kind: AccountEventKind, data?: Record<string, unknown>): Promise<number>;
  audit(q: Queryable, request: FastifyRequest, accountId: string, action: string, data?: Record<string, unknown>): Promise<unknown>;
  notify(accountId: string, kind: SecurityNotice, request: FastifyRequest, extra?: Array<[string, string]>, holdUntil?: Date | null): Promise<void>;
  hold(accountId: string): Promise<Date>;
  /** This session passed a second factor now (its step-up window starts). */
  steppedUp(tokenHash: string): Promise<void>;
  /** Detection's pending step-up for the account is satisfied. */
  completeDetectionStepUp(accountId: string): Promise<void>;
}

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

const FAILURE_STATUS: Record<WebAuthnFailureReason, number> = {
  missing: 400, malformed: 400, cancelled: 400, insecure: 400, unsupported: 400,
  challenge: 401, unknown_credential: 401, user_verification: 401, not_verified: 401,
  disabled: 403, counter: 403, already_registered: 409,
};

/** Failures that are a wrong answer (counted by the throttle, recorded as a failed sign-in); the rest are the browser's. */
const isWrongAnswer = (reason: WebAuthnFailureReason) =>
  ['malformed', 'challenge', 'unknown_credential', 'disabled', 'user_verification', 'not_verified', 'counter'].includes(reason);

const DONE: Record<string, MessageKey> = { added: 'passkey.done.added', removed: 'passkey.done.removed', steppedUp: 'passkey.done.steppedUp' };
export const MAX_PASSKEY_NAME = 40;

/** The `failure` a page script reported, as a failure to show; or the ceremony's own (when nothing was reported). */
const reportedFailure = (body: Body): WebAuthnFailure | null => {
  const reason = browserFailure(body.failure);
  return reason ? new WebAuthnFailure(reason) : null;
};

export function registerPasskeyRoutes(app: FastifyInstance, kit: PasskeyKit): void {
  const { db, config, clock } = kit;
  const rp = relyingPartyOf(config.publicUrl, config.exchangeNameEn);
  const ceremonies = new WebAuthnCeremonies(new WebAuthnChallenges(db, clock), rp, 'user');
  registerWebAuthnScript(app);

  const p = (lang: Lang, key: MessageKey, params: Record<string, string | number> = {}) => t(lang, key, params);
  const when = (lang: Lang, d: Date) => formatDateTime(lang, d, config.timeZone);
  const errorBox = (message: string | null) => (message ? html`<p class="error-box" role="alert">${message}</p>` : '');
  /** Where to lock: the security center's button when signed in, else the help center's lock (no sign-in needed). */
  const lockHint = (lang: Lang, signedIn = true) => signedIn
    ? html`<p class="hint">${p(lang, 'passkey.lockHint')} <a href="/account/lock">${p(lang, 'user.lock.button')}</a></p>`
    : html`<p class="hint">${p(lang, 'passkey.lockHint')} <a href="${langHref(lang, '/help/lock')}">${p(lang, 'user.login.lockLink')}</a></p>`;
  const failureMessage = (lang: Lang, f: WebAuthnFailure) => p(lang, FAILURE_MESSAGES[f.reason]);

  /**
   * A refused answer that was genuinely signed but went backwards: the passkey is turned off, the refusal is
   * audited, and the account event goes to detection (alert, notice with a lock link, ticket, by policy).
   */
  async function onFailure(request: FastifyRequest, f: WebAuthnFailure, accountId: string | null, purpose: string): Promise<void> {
    if (f.reason === 'counter' && f.passkey) {
      const passkey = f.passkey as UserPasskey;
      const counters = f.counters ?? { stored: passkey.counter, received: 0 };
      await db.transaction(async (tx) => {
        await disablePasskey(tx, passkey.id, 'counter_went_back', clock());
        await kit.audit(tx, request, passkey.accountId, 'user.passkey_refused', { passkeyId: passkey.id, name: passkey.name, reason: 'counter_went_back', ...counters, purpose });
      });
      request.log.warn({ accountId: passkey.accountId, passkeyId: passkey.id, ...counters }, 'a passkey answered with a signature counter that went backwards (a copied authenticator?): turned off');
      await kit.record(request, passkey.accountId, 'passkey_cloned', { passkeyId: passkey.id, name: passkey.name, storedCounter: counters.stored, receivedCounter: counters.received, purpose });
      return;
    }
    if (isWrongAnswer(f.reason)) {
      const who = accountId ?? (f.passkey as UserPasskey | null)?.accountId ?? null;
      await kit.record(request, who, 'sign_in_failed', { reason: purpose === 'sign_in' ? 'passkey' : purpose, passkey: f.reason });
    }
  }

  /** A verified use: the counter moves forward (compare-and-set) or the answer is refused as a copy after all. */
  async function used(request: FastifyRequest, passkey: UserPasskey, newCounter: number, purpose: string): Promise<void> {
    if (!(await recordPasskeyUse(db, passkey.id, newCounter, clock()))) {
      const [now] = await db.query<{ counter: string }>(`SELECT counter FROM user_passkeys WHERE id = $1`, [passkey.id]);
      throw new WebAuthnFailure('counter', passkey, { stored: Number(now?.counter ?? passkey.counter), received: newCounter });
    }
    await kit.record(request, passkey.accountId, 'passkey_used', { passkeyId: passkey.id, name: passkey.name, purpose });
  }

  const enabled = (list: UserPasskey[]) => list.filter((x) => !x.disabled);

  // ---------------------------------------------------------------- the list, adding, removing

  const listPage = async (lang: Lang, s: PasskeySession, o: { done?: string | null; error?: string | null; name?: string } = {}) => {
    const list = await listPasskeys(db, s.accountId);
    const done = o.done && Object.hasOwn(DONE, o.done) ? DONE[o.done] : undefined;
    return html`<p><a href="${langHref(lang, '/account')}">${p(lang, 'user.back')}</a></p>
<h1>${p(lang, 'passkey.title')}</h1>
${done ? html`<p class="flash" role="status">${p(lang, done)}</p>` : ''}
${errorBox(o.error ?? null)}
<p>${p(lang, 'passkey.lead')}</p>
<h2 id="passkeys-h">${p(lang, 'passkey.listLabel')}</h2>
${list.length
    ? html`<ul class="sessions passkeys" aria-labelledby="passkeys-h">${list.map((k) => html`<li id="passkey-${k.id}"><strong>${k.name}</strong><br>
<span class="meta">${p(lang, 'passkey.created', { time: when(lang, k.createdAt) })} · ${k.lastUsedAt ? p(lang, 'passkey.lastUsed', { time: when(lang, k.lastUsedAt) }) : p(lang, 'passkey.neverUsed')}</span>
${k.disabled ? html`<p class="error-box">${p(lang, 'passkey.disabled')}</p>` : ''}
<form method="post" action="/account/passkeys/remove" class="inline">${kit.csrfField(s)}<input type="hidden" name="id" value="${k.id}"><button type="submit" class="secondary" aria-label="${p(lang, 'passkey.removeLabel', { name: k.name })}">${p(lang, 'passkey.remove')}</button></form></li>`)}</ul>
<p class="hint">${p(lang, 'passkey.removeHint')}</p>`
    : html`<p>${p(lang, 'passkey.none')}</p>`}
<h2 id="passkey-add-h">${p(lang, 'passkey.addHeading')}</h2>
<p class="hint">${p(lang, 'passkey.hold', { hours: kit.holdHours })}</p>
<form method="post" action="/account/passkeys/new" class="stack" aria-labelledby="passkey-add-h">${kit.csrfField(s)}
<div><label for="passkey-name">${p(lang, 'passkey.name')}</label><input id="passkey-name" name="name" type="text" maxlength="${MAX_PASSKEY_NAME}" autocomplete="off" value="${o.name ?? ''}" aria-describedby="passkey-name-hint">
<p class="hint" id="passkey-name-hint">${p(lang, 'passkey.nameHint')}</p></div>
<button type="submit">${p(lang, 'passkey.add')}</button></form>
${lockHint(lang)}`;
  };

  app.get('/account/passkeys', async (request, reply) => {
    const s = await kit.requireUser(request, reply);
    if (!s) return reply;
    const lang = requestLang(request, reply);
    const q = request.query as Record<string, unknown>;
    return kit.send(reply, lang, p(lang, 'passkey.title'), await listPage(lang, s, { done: typeof q.done === 'string' ? q.done : null }));
  });

  const nameOf = (request: FastifyRequest, body: Body): string => {
    const raw = typeof body.name === 'string' ? body.name.replace(/\s+/g, ' ').trim() : '';
    if ([...raw].length > MAX_PASSKEY_NAME) throw new KinkyuError('VALIDATION', { field: 'name', rule: 'passkey_name' });
    return raw || deviceOf(request.headers['user-agent']);
  };

  /** The registration page: a challenge for this session and account, with the passkey's name carried along. */
  const registerPage = async (reply: FastifyReply, lang: Lang, s: PasskeySession, name: string, error: string | null, status = 200) => {
    const existing = await listPasskeys(db, s.accountId);
    const options = await ceremonies.registrationOptions({
      binding: s.tokenHash, subject: s.accountId, userName: s.email, userHandle: await userHandleOf(db, s.accountId), exclude: existing,
    });
    allowWebAuthnScript(reply);
    return kit.send(reply, lang, p(lang, 'passkey.registerTitle'), html`<h1>${p(lang, 'passkey.registerTitle')}</h1>
${errorBox(error)}
<p>${p(lang, 'passkey.registerLead', { name })}</p>
<p class="hint">${p(lang, 'passkey.hold', { hours: kit.holdHours })}</p>
${ceremonyForm({
  mode: 'create', action: '/account/passkeys/register', options, id: 'passkey-register',
  hidden: html`${kit.csrfField(s)}<input type="hidden" name="name" value="${name}">`,
  button: p(lang, 'passkey.register'), waiting: p(lang, 'passkey.waiting'), noScript: p(lang, 'passkey.noScript'),
})}
<p><a href="${langHref(lang, '/account/passkeys')}">${p(lang, 'user.lock.cancel')}</a></p>`, status);
  };

  // Adding a passkey is sensitive (whoever adds one can sign in with it alone): a step-up first. The challenge is
  // issued only here, after it, so the registration answer itself shows that the step-up happened.
  app.post('/account/passkeys/new', (request, reply) =>
    kit.withSteppedUpUser(request, reply, 'passkey', async (s, body, lang) => registerPage(reply, lang, s, nameOf(request, body), null)));

  app.post('/account/passkeys/register', (request, reply) =>
    kit.withUser(request, reply, async (s, body, lang) => {
      const name = nameOf(request, body);
      let credential: RegisteredCredential;
      try {
        const reported = reportedFailure(body);
        if (reported) throw reported;
        credential = await ceremonies.verifyRegistration({ binding: s.tokenHash, subject: s.accountId, response: body.response });
      } catch (err) {
        if (!(err instanceof WebAuthnFailure)) throw err;
        await onFailure(request, err, s.accountId, 'register');
        return kit.send(reply, lang, p(lang, 'passkey.title'), await listPage(lang, s, { error: failureMessage(lang, err), name }), FAILURE_STATUS[err.reason]);
      }
      // The hold first, as for every second-factor change: without it, nothing is added.
      const until = await kit.hold(s.accountId);
      let id: string;
      try {
        id = await db.transaction(async (tx) => {
          const added = await insertPasskey(tx, s.accountId, name, credential, clock());
          await kit.audit(tx, request, s.accountId, 'user.passkey_add', { passkeyId: added, name, deviceType: credential.deviceType, backedUp: credential.backedUp });
          return added;
        });
      } catch (err) {
        // The same authenticator's passkey again (credential ids are unique).
        if ((err as { code?: string })?.code !== '23505') throw err;
        const f = new WebAuthnFailure('already_registered');
        return kit.send(reply, lang, p(lang, 'passkey.title'), await listPage(lang, s, { error: failureMessage(lang, f) }), FAILURE_STATUS[f.reason]);
      }
      await kit.record(request, s.accountId, 'passkey_added', { passkeyId: id, name, holdUntil: until.toISOString() });
      await kit.notify(s.accountId, 'passkey_added', request, [[lang === 'ja' ? 'パスキー' : 'Passkey', name]], until);
      return reply.redirect('/account/passkeys?done=added', 303);
    }));

  app.post('/account/passkeys/remove', (request, reply) =>
    kit.withSteppedUpUser(request, reply, 'passkey', async (s, body, lang) => {
      const id = typeof body.id === 'string' ? body.id.slice(0, 40) : '';
      const name = await db.transaction(async (tx) => {
        const removed = await deletePasskey(tx, s.accountId, id);
        if (removed !== null) await kit.audit(tx, request, s.accountId, 'user.passkey_remove', { passkeyId: id, name: removed });
        return removed;
      });
      if (name === null) return kit.send(reply, lang, p(lang, 'passkey.title'), await listPage(lang, s, { error: p(lang, 'passkey.error.notFound') }), 404);
      await kit.record(request, s.accountId, 'passkey_removed', { passkeyId: id, name });
      await kit.notify(s.accountId, 'passkey_removed', request, [[lang === 'ja' ? 'パスキー' : 'Passkey', name]]);
      return reply.redirect('/account/passkeys?done=removed', 303);
    }));

  // ---------------------------------------------------------------- sign-in with a passkey alone

  const signInPage = async (reply: FastifyReply, lang: Lang, pre: string, error: string | null, status = 200, extra: SafeHtml | '' = '') => {
    const options = await ceremonies.authenticationOptions({ binding: pre, subject: null, allow: [], userVerification: 'required' });
    allowWebAuthnScript(reply);
    return kit.send(reply, lang, p(lang, 'passkey.signInTitle'), html`<h1>${p(lang, 'passkey.signInTitle')}</h1>
${errorBox(error)}${extra}
<p>${p(lang, 'passkey.signInLead')}</p>
${ceremonyForm({
  mode: 'get', action: '/account/login/passkey', options, id: 'passkey-sign-in',
  hidden: html`<input type="hidden" name="_pre" value="${pre}">`,
  button: p(lang, 'passkey.signIn'), waiting: p(lang, 'passkey.waiting'), noScript: p(lang, 'passkey.noScript'),
})}
<p><a href="${langHref(lang, '/account/login')}">${p(lang, 'passkey.passwordInstead')}</a></p>
<p class="hint">${p(lang, 'user.login.lockHint')} <a href="${langHref(lang, '/help/lock')}">${p(lang, 'user.login.lockLink')}</a></p>`, status);
  };

  app.get('/account/login/passkey', async (request, reply) => {
    const lang = requestLang(request, reply);
    const pre = kit.preToken(request, reply);
    // Each page view stores a challenge: a client past its sign-in attempts gets the page without one.
    const wait = kit.throttle.clientWaitMs(request.ip);
    if (wait > 0) return kit.send(reply, lang, p(lang, 'passkey.signInTitle'), html`<h1>${p(lang, 'passkey.signInTitle')}</h1>${errorBox(p(lang, 'user.rateLimited', { minutes: Math.ceil(wait / 60_000) }))}
<p><a href="${langHref(lang, '/account/login')}">${p(lang, 'passkey.passwordInstead')}</a></p>`, 429);
    return signInPage(reply, lang, pre, null);
  });

  app.post('/account/login/passkey', async (request, reply) => {
    const lang = requestLang(request, reply);
    kit.checkPre(request);
    const body = (request.body ?? {}) as Body;
    const pre = kit.preToken(request, reply);
    const wait = kit.throttle.clientWaitMs(request.ip);
    if (wait > 0) return signInPage(reply, lang, pre, p(lang, 'user.rateLimited', { minutes: Math.ceil(wait / 60_000) }), 429);
    let passkey: UserPasskey;
    try {
      const reported = reportedFailure(body);
      if (reported) throw reported;
      const result = await ceremonies.verifyAuthentication({
        binding: pre, subject: null, response: body.response, requireUserVerification: true,
        find: (credentialId, userHandle) => findPasskey(db, credentialId, { accountId: null, userHandle }),
      });
      passkey = result.passkey;
      const state = await accountState(passkey.accountId);
      if (!state) throw new WebAuthnFailure('unknown_credential');
      if (state.locked) {
        await kit.record(request, passkey.accountId, 'sign_in_failed', { reason: 'locked', method: 'passkey' });
        return kit.send(reply, lang, p(lang, 'user.locked.title'), kit.lockedBody(lang), 403);
      }
      // After a staff unlock the owner starts again from the emailed link (the unlock removed every passkey too).
      if (state.mustReset) return signInPage(reply, lang, pre, p(lang, 'passkey.error.afterUnlock'), 403);
      await used(request, passkey, result.newCounter, 'sign_in');
    } catch (err) {
      if (!(err instanceof WebAuthnFailure)) throw err;
      if (isWrongAnswer(err.reason)) kit.throttle.clientFailed(request.ip);
      await onFailure(request, err, null, 'sign_in');
      return signInPage(reply, lang, pre, failureMessage(lang, err), FAILURE_STATUS[err.reason], err.reason === 'counter' ? lockHint(lang, false) : '');
    }
    await db.query(`UPDATE user_credentials SET lang = $2 WHERE account_id = $1`, [passkey.accountId, lang]);
    // A passkey with user verification is two factors in one: it also answers detection's step-up.
    await kit.completeDetectionStepUp(passkey.accountId);
    await kit.completeSignIn(request, reply, passkey.accountId, 'passkey');
    return reply.redirect(await kit.landing(passkey.accountId), 303);
  });

  async function accountState(accountId: string): Promise<{ locked: boolean; mustReset: boolean } | null> {
    const account = await kit.accounts.findAccount({ accountId });
    if (!account) return null;
    const [row] = await db.query<{ must_reset_password: boolean; must_reenrol_2fa: boolean; open_lock: boolean }>(
      `SELECT must_reset_password, must_reenrol_2fa,
              EXISTS (SELECT 1 FROM account_locks l WHERE l.account_id = c.account_id AND l.unlocked_at IS NULL) AS open_lock
         FROM user_credentials c WHERE c.account_id = $1`,
      [accountId],
    );
    if (!row) return null;
    return { locked: account.locked || row.open_lock, mustReset: row.must_reset_password || row.must_reenrol_2fa };
  }

  // ---------------------------------------------------------------- a passkey as the second factor, and for step-up

  const confirmPage = async (reply: FastifyReply, lang: Lang, s: PasskeySession, o: { action: string; back: string; stepUp: StepUpAction | null; error: string | null; status?: number; extra?: SafeHtml | ''; signedIn?: boolean }) => {
    const allow = enabled(await listPasskeys(db, s.accountId));
    const options = await ceremonies.authenticationOptions({ binding: s.tokenHash, subject: s.accountId, allow, userVerification: 'preferred' });
    allowWebAuthnScript(reply);
    return kit.send(reply, lang, p(lang, 'passkey.secondFactorTitle'), html`<h1>${p(lang, 'passkey.secondFactorTitle')}</h1>
${errorBox(o.error)}${o.extra ?? ''}
<p>${p(lang, 'passkey.secondFactorLead')}</p>
${ceremonyForm({
  mode: 'get', action: o.action, options, id: 'passkey-confirm',
  hidden: html`${kit.csrfField(s)}${o.stepUp ? html`<input type="hidden" name="action" value="${o.stepUp}">` : ''}`,
  button: p(lang, 'passkey.verify'), waiting: p(lang, 'passkey.waiting'), noScript: p(lang, 'passkey.noScript'),
})}
<p><a href="${o.back}">${p(lang, 'passkey.otherWays')}</a></p>
${o.extra ? '' : lockHint(lang, o.signedIn !== false)}`, o.status ?? 200);
  };

  /** Verifies a passkey of the session's account; the passkey, or the page that says why not (and counts it). */
  async function confirm(request: FastifyRequest, s: PasskeySession, body: Body, purpose: string): Promise<{ passkey: UserPasskey } | { failure: WebAuthnFailure }> {
    const attempt: CodeAttempt = { ip: request.ip, accountId: s.accountId, device: kit.knownDeviceOf(request, s.accountId) };
    try {
      const reported = reportedFailure(body);
      if (reported) throw reported;
      const result = await ceremonies.verifyAuthentication({
        binding: s.tokenHash, subject: s.accountId, response: body.response, requireUserVerification: false,
        find: (credentialId, userHandle) => findPasskey(db, credentialId, { accountId: s.accountId, userHandle }),
      });
      await used(request, result.passkey, result.newCounter, purpose);
      kit.throttle.codePassed(attempt);
      return { passkey: result.passkey };
    } catch (err) {
      if (!(err instanceof WebAuthnFailure)) throw err;
      if (isWrongAnswer(err.reason)) kit.throttle.codeFailed(attempt);
      await onFailure(request, err, s.accountId, purpose);
      return { failure: err };
    }
  }

  const pendingSession = async (request: FastifyRequest) => {
    const s = await kit.session(request);
    return s && s.pending2fa ? s : null;
  };
  const rateLimited = (lang: Lang, wait: number) => p(lang, 'user.rateLimited', { minutes: Math.max(1, Math.ceil(wait / 60_000)) });

  app.get('/account/login/2fa/passkey', async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = await pendingSession(request);
    if (!s) return reply.redirect('/account/login', 303);
    if (!enabled(await listPasskeys(db, s.accountId)).length) return reply.redirect('/account/login/2fa', 303);
    return confirmPage(reply, lang, s, { action: '/account/login/2fa/passkey', back: '/account/login/2fa', stepUp: null, error: null, signedIn: false });
  });

  app.post('/account/login/2fa/passkey', async (request, reply) => {
    const lang = requestLang(request, reply);
    const s = await pendingSession(request);
    if (!s) return reply.redirect('/account/login', 303);
    kit.checkOrigin(request);
    const body = (request.body ?? {}) as Body;
    if (typeof body._csrf !== 'string' || !sameSecret(body._csrf, s.csrfToken)) throw new KinkyuError('CSRF');
    const page = (status: number, error: string, extra: SafeHtml | '' = '') =>
      confirmPage(reply, lang, s, { action: '/account/login/2fa/passkey', back: '/account/login/2fa', stepUp: null, error, status, extra, signedIn: false });
    const wait = kit.throttle.codeWaitMs({ ip: request.ip, accountId: s.accountId, device: kit.knownDeviceOf(request, s.accountId) });
    if (wait > 0) return page(429, rateLimited(lang, wait));
    if (s.locked) return kit.send(reply, lang, p(lang, 'user.locked.title'), kit.lockedBody(lang), 403);
    const outcome = await confirm(request, s, body, 'second_factor');
    if ('failure' in outcome) return page(FAILURE_STATUS[outcome.failure.reason], failureMessage(lang, outcome.failure), outcome.failure.reason === 'counter' ? lockHint(lang, false) : '');
    await kit.completeDetectionStepUp(s.accountId);
    await kit.completeSignIn(request, reply, s.accountId, 'passkey', s.tokenHash);
    return reply.redirect(await kit.landing(s.accountId), 303);
  });

  const stepUpActionOf = (value: unknown): StepUpAction => {
    if (!isStepUpAction(value)) throw new KinkyuError('VALIDATION', { field: 'action' });
    return value;
  };

  app.get('/account/step-up/passkey', async (request, reply) => {
    const s = await kit.requireUser(request, reply);
    if (!s) return reply;
    const lang = requestLang(request, reply);
    const action = stepUpActionOf((request.query as Record<string, unknown>).action);
    if (!enabled(await listPasskeys(db, s.accountId)).length) return reply.redirect('/account', 303);
    return confirmPage(reply, lang, s, { action: '/account/step-up/passkey', back: '/account', stepUp: action, error: null });
  });

  app.post('/account/step-up/passkey', (request, reply) =>
    kit.withUser(request, reply, async (s, body, lang) => {
      const action = stepUpActionOf(body.action);
      const page = (status: number, error: string, extra: SafeHtml | '' = '') =>
        confirmPage(reply, lang, s, { action: '/account/step-up/passkey', back: '/account', stepUp: action, error, status, extra });
      const wait = kit.throttle.codeWaitMs({ ip: request.ip, accountId: s.accountId, device: kit.knownDeviceOf(request, s.accountId) });
      if (wait > 0) return page(429, rateLimited(lang, wait));
      const outcome = await confirm(request, s, body, 'step_up');
      if ('failure' in outcome) return page(FAILURE_STATUS[outcome.failure.reason], failureMessage(lang, outcome.failure), outcome.failure.reason === 'counter' ? lockHint(lang) : '');
      await kit.steppedUp(s.tokenHash);
      await kit.completeDetectionStepUp(s.accountId);
      await db.transaction((tx) => kit.audit(tx, request, s.accountId, 'user.step_up', { method: 'passkey', action, passkeyId: outcome.passkey.id }));
      return reply.redirect(STEP_UP_ACTIONS[action], 303);
    }));
}

/** For the security center's pages: links to the passkey ways in, where the account has a passkey. */
export const passkeyLinks = {
  signIn: (lang: Lang) => html`<p><a href="${langHref(lang, '/account/login/passkey')}">${t(lang, 'passkey.signInLink')}</a></p>`,
  secondFactor: (lang: Lang) => html`<p><a class="button" href="${langHref(lang, '/account/login/2fa/passkey')}">${t(lang, 'passkey.useLink')}</a></p>`,
  stepUp: (lang: Lang, action: StepUpAction) => html`<p><a class="button" href="${langHref(lang, `/account/step-up/passkey?action=${action}`)}">${t(lang, 'passkey.useLink')}</a></p>`,
  /** The security center's line: how many, and the page to manage them. */
  center: (lang: Lang, n: number) => html`<p>${t(lang, 'passkey.centerCount', { n })}</p><p><a href="${langHref(lang, '/account/passkeys')}">${t(lang, 'passkey.manage')}</a></p>`,
};
