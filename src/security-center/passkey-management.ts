/** The passkeys page: the list, adding one (after a step-up), removing one (after a step-up). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { html } from '../web/html.ts';
import { langHref } from '../web/links.ts';
import { requestLang } from '../web/request-lang.ts';
import { WebAuthnFailure, type RegisteredCredential } from '../webauthn/ceremony.ts';
import { allowWebAuthnScript, ceremonyForm } from '../webauthn/page.ts';
import type { CenterContext } from './center-context.ts';
import { errorBox } from './center-views.ts';
import { FAILURE_STATUS, failureMessage, lockHint, MAX_PASSKEY_NAME, reportedFailure, type Body, type PasskeyKit } from './passkey-common.ts';
import { deletePasskey, insertPasskey, listPasskeys, userHandleOf } from './passkey-store.ts';
import { deviceOf } from './user-accounts.ts';
import { sessionOf, userAction } from './user-auth.ts';
import type { UserSession } from './user-session.ts';

const DONE: Record<string, MessageKey> = { added: 'passkey.done.added', removed: 'passkey.done.removed', steppedUp: 'passkey.done.steppedUp' };

export function registerPasskeyManagement(scope: FastifyInstance, ctx: CenterContext, kit: PasskeyKit): void {
  const { db, config, clock } = ctx;
  const holdHours = ctx.holdMs / 3_600_000;
  const when = (lang: Lang, d: Date) => formatDateTime(lang, d, config.timeZone);

  const listPage = async (lang: Lang, s: UserSession, o: { done?: string | null; error?: string | null; name?: string } = {}) => {
    const list = await listPasskeys(db, s.accountId);
    const done = o.done && Object.hasOwn(DONE, o.done) ? DONE[o.done] : undefined;
    return html`<p><a href="${langHref(lang, '/account')}">${t(lang, 'user.back')}</a></p>
<h1>${t(lang, 'passkey.title')}</h1>
${done ? html`<p class="flash" role="status">${t(lang, done)}</p>` : ''}
${errorBox(o.error ?? null)}
<p>${t(lang, 'passkey.lead')}</p>
<h2 id="passkeys-h">${t(lang, 'passkey.listLabel')}</h2>
${list.length
    ? html`<ul class="sessions passkeys" aria-labelledby="passkeys-h">${list.map((k) => html`<li id="passkey-${k.id}"><strong>${k.name}</strong><br>
<span class="meta">${t(lang, 'passkey.created', { time: when(lang, k.createdAt) })} · ${k.lastUsedAt ? t(lang, 'passkey.lastUsed', { time: when(lang, k.lastUsedAt) }) : t(lang, 'passkey.neverUsed')}</span>
${k.disabled ? html`<p class="error-box">${t(lang, 'passkey.disabled')}</p>` : ''}
<form method="post" action="/account/passkeys/remove" class="inline">${ctx.csrfField(s)}<input type="hidden" name="id" value="${k.id}"><button type="submit" class="secondary" aria-label="${t(lang, 'passkey.removeLabel', { name: k.name })}">${t(lang, 'passkey.remove')}</button></form></li>`)}</ul>
<p class="hint">${t(lang, 'passkey.removeHint')}</p>`
    : html`<p>${t(lang, 'passkey.none')}</p>`}
<h2 id="passkey-add-h">${t(lang, 'passkey.addHeading')}</h2>
<p class="hint">${t(lang, 'passkey.hold', { hours: holdHours })}</p>
<form method="post" action="/account/passkeys/new" class="stack" aria-labelledby="passkey-add-h">${ctx.csrfField(s)}
<div><label for="passkey-name">${t(lang, 'passkey.name')}</label><input id="passkey-name" name="name" type="text" maxlength="${MAX_PASSKEY_NAME}" autocomplete="off" value="${o.name ?? ''}" aria-describedby="passkey-name-hint">
<p class="hint" id="passkey-name-hint">${t(lang, 'passkey.nameHint')}</p></div>
<button type="submit">${t(lang, 'passkey.add')}</button></form>
${lockHint(lang)}`;
  };

  scope.get('/account/passkeys', { config: { user: 'required' } }, async (request, reply) => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    const q = request.query as Record<string, unknown>;
    return ctx.send(reply, lang, t(lang, 'passkey.title'), await listPage(lang, s, { done: typeof q.done === 'string' ? q.done : null }));
  });

  const nameOf = (request: FastifyRequest, body: Body): string => {
    const raw = typeof body.name === 'string' ? body.name.replace(/\s+/g, ' ').trim() : '';
    if ([...raw].length > MAX_PASSKEY_NAME) throw new KinkyuError('VALIDATION', { field: 'name', rule: 'passkey_name' });
    return raw || deviceOf(request.headers['user-agent']);
  };

  /** The registration page: a challenge for this session and account, with the passkey's name carried along. */
  const registerPage = async (reply: FastifyReply, lang: Lang, s: UserSession, name: string) => {
    const existing = await listPasskeys(db, s.accountId);
    const options = await kit.ceremonies.registrationOptions({
      binding: s.tokenHash, subject: s.accountId, userName: s.email, userHandle: await userHandleOf(db, s.accountId), exclude: existing,
    });
    allowWebAuthnScript(reply);
    return ctx.send(reply, lang, t(lang, 'passkey.registerTitle'), html`<h1>${t(lang, 'passkey.registerTitle')}</h1>
<p>${t(lang, 'passkey.registerLead', { name })}</p>
<p class="hint">${t(lang, 'passkey.hold', { hours: holdHours })}</p>
${ceremonyForm({
  mode: 'create', action: '/account/passkeys/register', options, id: 'passkey-register',
  hidden: html`${ctx.csrfField(s)}<input type="hidden" name="name" value="${name}">`,
  button: t(lang, 'passkey.register'), waiting: t(lang, 'passkey.waiting'), noScript: t(lang, 'passkey.noScript'),
})}
<p><a href="${langHref(lang, '/account/passkeys')}">${t(lang, 'user.lock.cancel')}</a></p>`);
  };

  // Adding a passkey is sensitive (whoever adds one can sign in with it alone): a step-up first. The challenge is
  // issued only here, after it, so the registration answer itself shows that the step-up happened.
  scope.post('/account/passkeys/new', { config: { user: 'stepped-up', stepUp: 'passkey' } }, userAction(ctx, async (request, reply, s, body, lang) =>
    registerPage(reply, lang, s, nameOf(request, body))));

  scope.post('/account/passkeys/register', { config: { user: 'required' } }, userAction(ctx, async (request, reply, s, body, lang) => {
    const name = nameOf(request, body);
    let credential: RegisteredCredential;
    try {
      const reported = reportedFailure(body);
      if (reported) throw reported;
      credential = await kit.ceremonies.verifyRegistration({ binding: s.tokenHash, subject: s.accountId, response: body.response });
    } catch (err) {
      if (!(err instanceof WebAuthnFailure)) throw err;
      await kit.onFailure(request, err, s.accountId, 'register');
      return ctx.send(reply, lang, t(lang, 'passkey.title'), await listPage(lang, s, { error: failureMessage(lang, err), name }), FAILURE_STATUS[err.reason]);
    }
    // The hold first, as for every second-factor change: without it, nothing is added.
    const until = await ctx.hold(s.accountId);
    let id: string;
    try {
      id = await db.transaction(async (tx) => {
        const added = await insertPasskey(tx, s.accountId, name, credential, clock());
        await ctx.audit(tx, request, s.accountId, 'user.passkey_add', { passkeyId: added, name, deviceType: credential.deviceType, backedUp: credential.backedUp });
        return added;
      });
    } catch (err) {
      // The same authenticator's passkey again (credential ids are unique).
      if ((err as { code?: string })?.code !== '23505') throw err;
      const f = new WebAuthnFailure('already_registered');
      return ctx.send(reply, lang, t(lang, 'passkey.title'), await listPage(lang, s, { error: failureMessage(lang, f) }), FAILURE_STATUS[f.reason]);
    }
    await ctx.record(request, s.accountId, 'passkey_added', { passkeyId: id, name, holdUntil: until.toISOString() });
    await ctx.notify(s.accountId, 'passkey_added', request, [[t(lang, 'passkey.noticeLabel'), name]], until);
    return reply.redirect('/account/passkeys?done=added', 303);
  }));

  scope.post('/account/passkeys/remove', { config: { user: 'stepped-up', stepUp: 'passkey' } }, userAction(ctx, async (request, reply, s, body, lang) => {
    const id = typeof body.id === 'string' ? body.id.slice(0, 40) : '';
    const name = await db.transaction(async (tx) => {
      const removed = await deletePasskey(tx, s.accountId, id);
      if (removed !== null) await ctx.audit(tx, request, s.accountId, 'user.passkey_remove', { passkeyId: id, name: removed });
      return removed;
    });
    if (name === null) return ctx.send(reply, lang, t(lang, 'passkey.title'), await listPage(lang, s, { error: t(lang, 'passkey.error.notFound') }), 404);
    await ctx.record(request, s.accountId, 'passkey_removed', { passkeyId: id, name });
    await ctx.notify(s.accountId, 'passkey_removed', request, [[t(lang, 'passkey.noticeLabel'), name]]);
    return reply.redirect('/account/passkeys?done=removed', 303);
  }));
}
