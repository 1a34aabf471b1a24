import { RateLimiter } from '../web/rate-limit.ts';
import { BackOff } from './backoff.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Every number of the sign-in throttle (README "Security center", docs/operations.md). A "client" is an IP address
 * as the app sees it (TRUST_PROXY); an "account" is the address typed on the form, whether or not it exists, so
 * nothing tells the two apart; a "device" is a browser holding a device cookie for that account.
 */
export const SIGN_IN_LIMITS = {
  /** Every sign-in, code and reset attempt from one client (many users share a carrier's address). */
  attemptsPerClient: { limit: 300, windowMs: 15 * MINUTE },
  /** Wrong passwords and codes from one client, across all accounts (credential stuffing). */
  failuresPerClient: { limit: 100, waitMs: 15 * MINUTE, maxWaitMs: DAY },
  /** Wrong passwords from one client at one account: that client waits, doubling each time (the attacker's client). */
  failuresPerClientAndAccount: { limit: 8, waitMs: 15 * MINUTE, maxWaitMs: DAY },
  /**
   * Wrong passwords at one account from all clients without its device cookie together: they pause, doubling while
   * it goes on but never beyond an hour. The longest a new device of the owner waits, and only while guesses come
   * from several clients (one client is stopped at 8 by the limit above, before this one trips).
   */
  untrustedFailuresPerAccount: { limit: 10, waitMs: 15 * MINUTE, maxWaitMs: 60 * MINUTE },
  /** Wrong passwords from one known device (its own allowance: a stolen cookie cannot brute-force either). */
  failuresPerDevice: { limit: 10, waitMs: 15 * MINUTE, maxWaitMs: DAY },
  /** Wrong second-factor codes at one account, from clients without its device cookie (only one who knows the password gets here). */
  codeFailuresPerAccount: { limit: 5, waitMs: 15 * MINUTE, maxWaitMs: DAY },
  /** Wrong second-factor codes from one known device. */
  codeFailuresPerDevice: { limit: 5, waitMs: 15 * MINUTE, maxWaitMs: DAY },
} as const;

export interface PasswordAttempt {
  ip: string;
  /** The normalised address typed (emailKeyOf). */
  address: string;
  /** `accountId:deviceId` when the request carries a genuine device cookie for this address's account. */
  device: string | null;
}

export interface CodeAttempt {
  /** null: not counted per client (the reset link, which the mailbox already vouches for). */
  ip: string | null;
  accountId: string;
  device: string | null;
}

const backOff = (l: { limit: number; waitMs: number; maxWaitMs: number }, now: () => number) => new BackOff(l.limit, l.waitMs, l.maxWaitMs, now);

/**
 * Sign-in throttling that strangers cannot turn against an account's owner. An attempt with the account's device
 * cookie is counted on that device only: no client or account limit applies to it, so the owner on a known device
 * signs in whatever others do. Attempts without one are limited per client, per client and account, and per
 * account. In memory, like the other limiters: each process keeps its own counts.
 */
export class SignInThrottle {
  private readonly attemptsByClient: RateLimiter;
  private readonly failuresByClient: BackOff;
  private readonly failuresByClientAndAccount: BackOff;
  private readonly untrustedByAccount: BackOff;
  private readonly failuresByDevice: BackOff;
  private readonly codeFailuresByAccount: BackOff;
  private readonly codeFailuresByDevice: BackOff;

  constructor(now: () => number) {
    const l = SIGN_IN_LIMITS;
    this.attemptsByClient = new RateLimiter(l.attemptsPerClient.limit, l.attemptsPerClient.windowMs, now);
    this.failuresByClient = backOff(l.failuresPerClient, now);
    this.failuresByClientAndAccount = backOff(l.failuresPerClientAndAccount, now);
    this.untrustedByAccount = backOff(l.untrustedFailuresPerAccount, now);
    this.failuresByDevice = backOff(l.failuresPerDevice, now);
    this.codeFailuresByAccount = backOff(l.codeFailuresPerAccount, now);
    this.codeFailuresByDevice = backOff(l.codeFailuresPerDevice, now);
  }

  /** Counts one attempt from the client; false past the client's cap (a confirmation link's only limit). */
  takeClientAttempt(ip: string): boolean {
    return this.attemptsByClient.take(ip);
  }

  /** Counts one attempt from the client; the time it must wait (0: go ahead). The forgot-password form's limit. */
  clientWaitMs(ip: string): number {
    if (!this.attemptsByClient.take(ip)) return SIGN_IN_LIMITS.attemptsPerClient.windowMs;
    return this.failuresByClient.waitMs(ip);
  }

  /** A wrong answer that names no account (a passkey sign-in that failed verification): counted for the client. */
  clientFailed(ip: string): void {
    this.failuresByClient.fail(ip);
  }

  /** Milliseconds before this password attempt may be checked (0: check it now). */
  passwordWaitMs(a: PasswordAttempt): number {
    if (a.device) return this.failuresByDevice.waitMs(a.device);
    return Math.max(
      this.clientWaitMs(a.ip),
      this.failuresByClientAndAccount.waitMs(clientAndAccount(a)),
      this.untrustedByAccount.waitMs(a.address),
    );
  }

  passwordFailed(a: PasswordAttempt): void {
    if (a.device) return this.failuresByDevice.fail(a.device);
    this.failuresByClient.fail(a.ip);
    this.failuresByClientAndAccount.fail(clientAndAccount(a));
    this.untrustedByAccount.fail(a.address);
  }

  /**
   * The right password: this client's (or device's) count for the account starts over. The account's count of
   * strangers' guesses does not: the owner signing in must not reopen the door to them.
   */
  passwordPassed(a: PasswordAttempt): void {
    if (a.device) this.failuresByDevice.succeed(a.device);
    else this.failuresByClientAndAccount.succeed(clientAndAccount(a));
  }

  /** Milliseconds before this second-factor code may be checked. */
  codeWaitMs(a: CodeAttempt): number {
    if (a.device) return this.codeFailuresByDevice.waitMs(a.device);
    return Math.max(a.ip === null ? 0 : this.clientWaitMs(a.ip), this.codeFailuresByAccount.waitMs(a.accountId));
  }

  codeFailed(a: CodeAttempt): void {
    if (a.device) return this.codeFailuresByDevice.fail(a.device);
    if (a.ip !== null) this.failuresByClient.fail(a.ip);
    this.codeFailuresByAccount.fail(a.accountId);
  }

  codePassed(a: CodeAttempt): void {
    if (a.device) this.codeFailuresByDevice.succeed(a.device);
    else this.codeFailuresByAccount.succeed(a.accountId);
  }
}

const clientAndAccount = (a: PasswordAttempt) => `${a.ip}\n${a.address}`;
