/**
 * What an emergency needs from the exchange's own account system. kinkyu does not own the exchange's
 * accounts: it reaches them through this interface — the built-in reference store (`reference-store.ts`,
 * our PostgreSQL) or an exchange core over signed HTTP (`http-adapter.ts`).
 */
export interface AccountSummary {
  id: string;
  email: string;
  /** Addresses replaced in the last 30 days: lock links go there too (a hijacker changes the email first). */
  previousEmails: string[];
  locked: boolean;
  tradingBlocked: boolean;
  withdrawalsBlocked: boolean;
  withdrawalHoldUntil: string | null;
}

export interface LockEffects {
  /** False when the account was already locked (a second lock changes nothing and is not an error). */
  newlyLocked: boolean;
  sessionsRevoked: number;
  apiKeysRevoked: number;
  withdrawalsCancelled: number;
}

export interface SignInRecord {
  at: string;
  ip: string | null;
  country: string | null;
  device: string | null;
  success: boolean;
}

export interface WithdrawalRecord {
  id: string;
  asset: string;
  amount: string;
  address: string;
  status: 'pending' | 'sent' | 'cancelled';
  createdAt: string;
}

export interface ExchangeAccounts {
  findAccount(query: { email?: string; accountId?: string }): Promise<AccountSummary | null>;
  /**
   * The lock, all at once: revoke every session and API key, block trading and withdrawals, cancel pending
   * withdrawals. Idempotent. Must not return before it has taken effect.
   */
  lock(accountId: string, info: { lockId: string; reason: string }): Promise<LockEffects>;
  /** Lifts the trading and withdrawal blocks (staff, after four-eyes approval). */
  unlock(accountId: string, info: { lockId: string }): Promise<void>;
  revokeSessions(accountId: string): Promise<number>;
  revokeApiKeys(accountId: string): Promise<number>;
  setRestrictions(accountId: string, restrictions: { trading: boolean; withdrawals: boolean }): Promise<void>;
  cancelPendingWithdrawals(accountId: string, reason: string): Promise<number>;
  /** Withdrawals wait until `until` (after a password, 2FA, email or address change). */
  holdWithdrawals(accountId: string, until: Date): Promise<void>;
  recentSignIns(accountId: string, limit: number): Promise<SignInRecord[]>;
  recentWithdrawals(accountId: string, limit: number): Promise<WithdrawalRecord[]>;
}
