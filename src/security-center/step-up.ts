import { randomInt } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { sameSecret, sha256Hex } from '../domain/secrets.ts';

/** After a step-up, the next sensitive action may use it this long even with a window of 0. */
export const STEP_UP_GRANT_MINUTES = 5;
/** An emailed step-up code works this long. */
export const STEP_UP_CODE_MINUTES = 10;

/** The sensitive actions behind step-up, and where the user goes back to after it to submit again. */
export const STEP_UP_ACTIONS = {
  address: '/account?done=steppedUp#wd-h',
  withdrawal: '/account?done=steppedUp#wd-h',
  email: '/account?done=steppedUp#email-h',
  totp: '/account/2fa?done=steppedUp',
  recovery: '/account?done=steppedUp#tfa-h',
  passkey: '/account/passkeys?done=steppedUp',
  antiPhishing: '/account/anti-phishing?done=steppedUp',
  settingsLock: '/account/settings-lock?done=steppedUp',
} as const;
export type StepUpAction = keyof typeof STEP_UP_ACTIONS;
export const isStepUpAction = (v: unknown): v is StepUpAction => typeof v === 'string' && Object.hasOwn(STEP_UP_ACTIONS, v);

/**
 * Step-up after sign-in, per session: a session may do a sensitive action while its last second factor is
 * younger than `windowMinutes`, or once within a few minutes of a step-up (so a window of 0 — ask every
 * time — still lets the action through when the user submits it again).
 */
export class SessionStepUp {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
    readonly windowMinutes: number,
  ) {}

  /** The session passed a second factor now: the window starts, a one-use allowance is granted, any emailed code ends. */
  async passed(tokenHash: string): Promise<void> {
    const now = this.clock();
    await this.db.query(
      `UPDATE user_sessions SET stepped_up_at = $2, step_up_grant_until = $3, step_up_code_hash = NULL, step_up_code_expires_at = NULL WHERE token_hash = $1`,
      [tokenHash, now, new Date(now.getTime() + STEP_UP_GRANT_MINUTES * 60_000)],
    );
  }

  /** Whether the session may do a sensitive action now; uses up the one-use allowance when the window does not cover it. */
  async allows(tokenHash: string): Promise<boolean> {
    const now = this.clock();
    if (this.windowMinutes > 0) {
      const [row] = await this.db.query<{ stepped_up_at: Date | null }>(`SELECT stepped_up_at FROM user_sessions WHERE token_hash = $1`, [tokenHash]);
      if (row?.stepped_up_at && now.getTime() - new Date(row.stepped_up_at).getTime() < this.windowMinutes * 60_000) return true;
    }
    const used = await this.db.query(
      `UPDATE user_sessions SET step_up_grant_until = NULL WHERE token_hash = $1 AND step_up_grant_until > $2 RETURNING 1`,
      [tokenHash, now],
    );
    return used.length > 0;
  }

  /** A new emailed code, unless a live one was already sent (null then: the user can ask for a new one). */
  async issueCode(tokenHash: string, opts: { force?: boolean } = {}): Promise<string | null> {
    const now = this.clock();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const rows = await this.db.query(
      `UPDATE user_sessions SET step_up_code_hash = $2, step_up_code_expires_at = $3
        WHERE token_hash = $1 AND ($5::boolean OR step_up_code_expires_at IS NULL OR step_up_code_expires_at <= $4) RETURNING 1`,
      [tokenHash, sha256Hex(`${tokenHash}:${code}`), new Date(now.getTime() + STEP_UP_CODE_MINUTES * 60_000), now, opts.force === true],
    );
    return rows.length ? code : null;
  }

  /** Whether a live emailed code was sent to this session (the page says so). */
  async codeSent(tokenHash: string): Promise<boolean> {
    const [row] = await this.db.query(`SELECT 1 FROM user_sessions WHERE token_hash = $1 AND step_up_code_expires_at > $2`, [tokenHash, this.clock()]);
    return !!row;
  }

  async checkCode(tokenHash: string, code: unknown): Promise<boolean> {
    if (typeof code !== 'string') return false;
    const [row] = await this.db.query<{ step_up_code_hash: string | null }>(
      `SELECT step_up_code_hash FROM user_sessions WHERE token_hash = $1 AND step_up_code_expires_at > $2`,
      [tokenHash, this.clock()],
    );
    return !!row?.step_up_code_hash && sameSecret(sha256Hex(`${tokenHash}:${code.replace(/\s/g, '')}`), row.step_up_code_hash);
  }
}
