/**
 * The anti-phishing code (issue 16, point 3): a short phrase the user sets in the security center, shown at the top
 * of every mail kinkyu sends to the account's address.
 *
 * One place puts it there: the outbox's sender asks `mailPrefix` for every mail it sends (src/mail/outbox.ts), by
 * recipient address — so every composer (security mail, lock links, tickets, notices and terms reminders, recovery,
 * detection alerts, step-up codes) carries it without knowing of it, and the outbox keeps the text without it.
 * Status mail (the fan-out) reads the same codes in its claim query (src/notify/fanout/store.ts).
 *
 * An address gets the code of the account it belongs to, or belonged to until less than 30 days ago (where lock links
 * go too: "your email was changed — this wasn't me" must be recognisably genuine), unless a restore after a takeover
 * disowned it or another account has it now; otherwise the code a status-mail subscriber at that address set
 * (src/notify/subscriptions). Mail to any other address (a new address being confirmed, an emergency contact, the
 * intruder's address replaced by a restore) carries no code: the code is the account's, and goes only to its mailbox.
 * With an exchange core, kinkyu knows the account's addresses as of the last sign-in or change made here.
 *
 * The code is shown only on the signed-in security center (never on a page reachable by a link or token alone).
 */
import type { FastifyInstance } from 'fastify';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { emailKeyOf } from '../exchange/reference-store.ts';
import { ANTI_PHISHING_MAX, ANTI_PHISHING_MIN, parseAntiPhishingCode } from '../domain/anti-phishing.ts';
import { isKinkyuError } from '../domain/errors.ts';
import type { AccountEvents } from '../protection/account-events.ts';
import type { Db, Queryable } from '../store/db.ts';
import { antiPhishingText, guardText, type GuardMessage } from '../web/anti-phishing.ts';
import { errorMessage } from '../web/errors.ts';
import { html, type SafeHtml } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import type { CenterContext } from './center-context.ts';
import { sessionOf, userAction } from './user-auth.ts';
import type { UserSession } from './user-session.ts';

export class AntiPhishingCodes {
  constructor(
    private readonly db: Db,
    private readonly accounts: Pick<ExchangeAccounts, 'findAccount'>,
    private readonly clock: () => Date,
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
  ) {}

  async forAccount(accountId: string, q: Queryable = this.db): Promise<string | null> {
    const [row] = await q.query<{ code: string }>(`SELECT code FROM anti_phishing_codes WHERE account_id = $1`, [accountId]);
    return row?.code ?? null;
  }

  /** Stores the code (already checked by parseAntiPhishingCode) with the account's current address. */
  async set(q: Queryable, accountId: string, code: string, email: string, now: Date): Promise<void> {
    await q.query(
      `INSERT INTO anti_phishing_codes (account_id, code, email_key, set_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id) DO UPDATE SET code = EXCLUDED.code, email_key = EXCLUDED.email_key, set_at = EXCLUDED.set_at`,
      [accountId, code, emailKeyOf(email), now],
    );
  }

  async remove(q: Queryable, accountId: string): Promise<boolean> {
    await q.query(`DELETE FROM anti_phishing_previous WHERE account_id = $1`, [accountId]);
    return (await q.query(`DELETE FROM anti_phishing_codes WHERE account_id = $1 RETURNING 1`, [accountId])).length > 0;
  }

  /**
   * The code for mail to `address`: the account's whose address it is — or was, until less than 30 days ago (lock
   * links go there too: a hijacker changes the email first) — else a status-mail subscriber's at that address.
   */
  async forAddress(address: string): Promise<string | null> {
    const [row] = await this.db.query<{ code: string | null }>(
      `SELECT COALESCE(kinkyu_account_anti_phishing_code($1, $2),
                       (SELECT anti_phishing_code FROM subscribers
                         WHERE channel = 'email' AND target_key = $1 AND anti_phishing_code IS NOT NULL
                           AND unsubscribed_at IS NULL AND disabled_at IS NULL LIMIT 1)) AS code`,
      [emailKeyOf(address), this.clock()],
    );
    return row?.code ?? null;
  }

  private async rememberPrevious(q: Queryable, accountId: string, keys: string[], at: Date): Promise<void> {
    for (const key of keys) {
      await q.query(
        `INSERT INTO anti_phishing_previous (account_id, email_key, replaced_at) VALUES ($1, $2, $3)
         ON CONFLICT (account_id, email_key) DO UPDATE SET replaced_at = GREATEST(anti_phishing_previous.replaced_at, EXCLUDED.replaced_at)`,
        [accountId, key, at],
      );
    }
  }

  /** What the outbox's sender puts at the top of a mail to `to` (MailSenderOptions.prefix). */
  readonly mailPrefix = async (mail: { to: string; lang: Lang | null }): Promise<string | null> => {
    const code = await this.forAddress(mail.to);
    return code ? antiPhishingText(mail.lang ?? 'ja', code) : null;
  };

  /**
   * Keeps the address stored with a code current where the exchange core holds the accounts (the reference store's
   * are read directly): an email change made here, and every sign-in (the core's answer is the truth).
   */
  attach(events: AccountEvents): this {
    events.subscribe(async (event) => {
      const accountId = event.accountId;
      if (!accountId) return;
      const to = event.data?.to;
      const from = event.data?.from;
      if (event.kind === 'email_changed' && typeof to === 'string') {
        await this.db.transaction(async (tx) => {
          const rows = await tx.query(`UPDATE anti_phishing_codes SET email_key = $2 WHERE account_id = $1 RETURNING 1`, [accountId, emailKeyOf(to)]);
          if (rows.length && typeof from === 'string') await this.rememberPrevious(tx, accountId, [emailKeyOf(from)], event.at);
        });
      } else if (event.kind === 'sign_in') {
        const [row] = await this.db.query<{ email_key: string }>(`SELECT email_key FROM anti_phishing_codes WHERE account_id = $1`, [accountId]);
        if (!row) return;
        const account = await this.accounts.findAccount({ accountId }).catch((err: unknown) => {
          this.log('anti-phishing code: the account could not be read to refresh its address', err);
          return null;
        });
        if (!account) return;
        await this.db.transaction(async (tx) => {
          await tx.query(`UPDATE anti_phishing_codes SET email_key = $2 WHERE account_id = $1`, [accountId, emailKeyOf(account.email)]);
          // The core's list is the truth: addresses it no longer counts (disowned after a takeover) are forgotten.
          await tx.query(`DELETE FROM anti_phishing_previous WHERE account_id = $1`, [accountId]);
          await this.rememberPrevious(tx, accountId, account.previousEmails.map(emailKeyOf), event.at);
        });
      }
    });
    return this;
  }
}

export interface AntiPhishingRoutesOptions {
  db: Db;
  codes: AntiPhishingCodes;
  clock: () => Date;
}

const g = guardText;
const DONE = { set: 'ap.done.set', removed: 'ap.done.removed', steppedUp: 'ap.done.steppedUp' } as const satisfies Record<string, GuardMessage>;
type Done = keyof typeof DONE;
const isDone = (v: unknown): v is Done => typeof v === 'string' && Object.hasOwn(DONE, v);

/**
 * /account/anti-phishing: the code, set or removed after a step-up (as every security setting), announced by a
 * security notice with a lock link. While the settings lock is on, the settings lock refuses both (settings-lock.ts).
 */
export function registerAntiPhishingRoutes(app: FastifyInstance, center: CenterContext, opts: AntiPhishingRoutesOptions): void {
  const { db, codes, clock } = opts;

  const page = (s: UserSession, lang: Lang, code: string | null, o: { done?: Done | null; error?: string | null; value?: string } = {}) => html`<h1>${g(lang, 'ap.title')}</h1>
${o.done ? html`<p class="flash" role="status">${g(lang, DONE[o.done])}</p>` : ''}
${o.error ? html`<p class="error-box" role="alert" id="ap-error">${o.error}</p>` : ''}
<p>${g(lang, 'ap.lead')}</p>
<section aria-labelledby="ap-current-h"><h2 id="ap-current-h">${g(lang, 'ap.current')}</h2>
${code ? html`<p class="anti-phishing-code"><code id="anti-phishing-code">${code}</code></p>` : html`<p>${g(lang, 'ap.none')}</p>`}
</section>
<form method="post" action="/account/anti-phishing" class="stack">${center.csrfField(s)}
<div><label for="ap-code">${g(lang, 'ap.field')}</label>
<p class="hint" id="ap-rules">${g(lang, 'ap.rules', { min: ANTI_PHISHING_MIN, max: ANTI_PHISHING_MAX })}</p>
<input id="ap-code" name="code" required maxlength="60" autocomplete="off" spellcheck="false" aria-describedby="ap-rules${o.error ? ' ap-error' : ''}"${o.error ? html` aria-invalid="true"` : ''} value="${o.value ?? ''}"></div>
<button type="submit">${g(lang, 'ap.submit')}</button></form>
${code ? html`<form method="post" action="/account/anti-phishing/remove">${center.csrfField(s)}<button type="submit" class="secondary">${g(lang, 'ap.remove')}</button></form>` : ''}
<p class="hint">${g(lang, 'ap.neverAsk')}</p>
<p><a href="/account">${t(lang, 'user.back')}</a></p>`;

  app.get('/account/anti-phishing', { config: { user: 'required' } }, async (request, reply) => {
    const s = sessionOf(request);
    const lang = requestLang(request, reply);
    const done = (request.query as Record<string, unknown>).done;
    return center.send(reply, lang, g(lang, 'ap.title'), page(s, lang, await codes.forAccount(s.accountId), { done: isDone(done) ? done : null }));
  });

  const steppedUp = { config: { user: 'stepped-up' as const, stepUp: 'antiPhishing' as const } };
  app.post('/account/anti-phishing', steppedUp, userAction(center, async (request, reply, s, body, lang) => {
      const raw = typeof body.code === 'string' ? body.code.slice(0, 200) : '';
      let code: string;
      try {
        code = parseAntiPhishingCode(body.code);
      } catch (err) {
        if (!isKinkyuError(err)) throw err;
        // Refused: the form again with what was typed, and nothing changed.
        return center.send(reply, lang, g(lang, 'ap.title'), page(s, lang, await codes.forAccount(s.accountId), { error: errorMessage(lang, err), value: raw }), err.httpStatus);
      }
      const previous = await codes.forAccount(s.accountId);
      if (previous !== code) {
        await db.transaction(async (tx) => {
          await codes.set(tx, s.accountId, code, s.email, clock());
          await center.audit(tx, request, s.accountId, 'user.anti_phishing_set', { replaced: previous !== null });
        });
        await center.notify(s.accountId, 'anti_phishing_changed', request);
      }
      return reply.redirect('/account/anti-phishing?done=set', 303);
    }));

  app.post('/account/anti-phishing/remove', steppedUp, userAction(center, async (request, reply, s) => {
      const removed = await db.transaction(async (tx) => {
        const gone = await codes.remove(tx, s.accountId);
        if (gone) await center.audit(tx, request, s.accountId, 'user.anti_phishing_remove');
        return gone;
      });
      if (removed) await center.notify(s.accountId, 'anti_phishing_changed', request);
      return reply.redirect('/account/anti-phishing?done=removed', 303);
    }));

  center.sections.push(async (s, lang): Promise<SafeHtml> => {
    const code = await codes.forAccount(s.accountId);
    return html`<section aria-labelledby="ap-h" id="anti-phishing"><h2 id="ap-h">${g(lang, 'ap.title')}</h2>
<p>${code ? g(lang, 'ap.summarySet') : g(lang, 'ap.summaryNone')}</p>
<p><a href="/account/anti-phishing">${g(lang, 'ap.manage')}</a></p></section>`;
  });
}
