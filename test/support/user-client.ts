/**
 * The user-side HTTP client shared by the account tests: a browser without JavaScript that keeps cookies and
 * reads the CSRF / pre-sign-in tokens from the last page it saw.
 */
import assert from 'node:assert/strict';
import { totpCode } from '../../src/security-center/totp.ts';
import { createUserAccount } from '../../src/security-center/user-accounts.ts';
import { startApp, type RunningApp } from './app.ts';
import { startSmtpServer, type SmtpTestServer } from './smtp.ts';

export const USER_PASSWORD = 'user password 2026';
const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1';

/** The application with a real SMTP server behind its outbox (mail polled every 50 ms), on the given clock. */
export async function startAppWithSmtp(clock: () => Date): Promise<{ app: RunningApp; smtp: SmtpTestServer }> {
  const smtp = await startSmtpServer();
  const app = await startApp({ clock, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });
  return { app, smtp };
}

export async function stopAppWithSmtp(app: RunningApp | undefined, smtp: SmtpTestServer | undefined): Promise<void> {
  await app?.stop();
  await smtp?.stop();
}

/** A user account with the test password. */
export async function createTestUser(app: RunningApp, email: string): Promise<{ email: string; id: string }> {
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: USER_PASSWORD }, app.clock());
  return { email, id };
}

export interface Page { status: number; body: string; location: string | null }

export class UserBrowser {
  cookies = new Map<string, string>();
  csrf = '';
  pre = '';
  constructor(
    private readonly app: Pick<RunningApp, 'baseUrl' | 'db'>,
    private readonly clock: () => Date,
    readonly ua = IPHONE_UA,
    readonly headers: Record<string, string> = {},
  ) {}
  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  private async request(path: string, init: RequestInit = {}): Promise<Page> {
    const res = await fetch(this.app.baseUrl + path, {
      ...init, redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'user-agent': this.ua, 'accept-language': 'ja',
        ...this.headers, ...(init.headers as Record<string, string> | undefined),
      },
    });
    this.keep(res);
    const body = await res.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.csrf;
    this.pre = /name="_pre" value="([^"]+)"/.exec(body)?.[1] ?? this.pre;
    return { status: res.status, body, location: res.headers.get('location') };
  }
  get(path: string) {
    return this.request(path);
  }
  /** Posts a form with the token the path needs (`csrf: false` leaves the CSRF token out on purpose). */
  post(path: string, fields: Record<string, string>, opts: { csrf?: boolean } = {}) {
    const form = new URLSearchParams(fields);
    if (/^\/account\/login(\/passkey)?(\?|$)/.test(path) || path.startsWith('/account/email/confirm/')) form.set('_pre', this.pre);
    else if (opts.csrf !== false) form.set('_csrf', this.csrf);
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  }
  /** Follows a 303 to its page. */
  async follow(r: Page) {
    return r.status === 303 && r.location ? this.get(r.location) : r;
  }
  /** Signs in; a second factor is the TOTP code for `secret`, or the code mailed when detection asks for one. */
  async signIn(email: string, password = USER_PASSWORD, secret?: string) {
    await this.get('/account/login');
    const r = await this.post('/account/login', { email, password });
    if (r.location !== '/account/login/2fa') return this.follow(r);
    const page = await this.get('/account/login/2fa');
    if (/確認コードをお送りしました/.test(page.body)) {
      // Detection asked for a step-up: the code comes by email (the newest one queued for this address).
      return this.follow(await this.post('/account/login/2fa', { code: await this.newestMailedCode(email, 'ログイン確認コード') }));
    }
    assert.ok(secret, 'a TOTP secret is needed');
    return this.follow(await this.post('/account/login/2fa', { code: totpCode(secret, this.clock()) }));
  }
  /** Passes a step-up on this session (sensitive changes need a recent one): a TOTP code, or the emailed code. */
  async stepUp(email: string, secret?: string) {
    let code: string;
    if (secret) code = totpCode(secret, this.clock());
    else {
      assert.equal((await this.post('/account/step-up/send', { action: 'address' })).status, 403);
      code = await this.newestMailedCode(email, '操作の確認コード');
    }
    const r = await this.post('/account/step-up', { action: 'address', code });
    assert.equal(r.status, 303, r.body);
  }
  private async newestMailedCode(email: string, subject: string): Promise<string> {
    const [mail] = await this.app.db.query<{ text_body: string }>(
      `SELECT text_body FROM mail_outbox WHERE to_address = $1 AND subject LIKE $2 ORDER BY id DESC LIMIT 1`,
      [email, `%${subject}%`],
    );
    return /確認コード: (\d{6})/.exec(mail!.text_body)![1]!;
  }
}
