/**
 * What an emergency needs from the exchange's own account system. kinkyu does not own the exchange's
 * accounts: it reaches them through this interface — the built-in reference store (`reference-store.ts`,
 * our PostgreSQL) or an exchange core over signed HTTP (`http-adapter.ts`).
 */
export interface AccountSummary {
  id: string;
  email: string;
  /**
   * Addresses replaced in the last 30 days: lock links go there too (a hijacker changes the email first). Not
   * the addresses a restore took off the account (`restoreEmail`): those were the attacker's.
   */
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

/** A withdrawal address registered on the account. */
export interface WithdrawalAddressRecord {
  id: string;
  asset: string;
  address: string;
  createdAt: string;
  /** Withdrawals to it are refused until then (the new-address hold). */
  usableAfter: string;
}

/** An API key of the account, revoked ones included (never the key itself). */
export interface ApiKeyRecord {
  id: string;
  label: string;
  createdAt: string;
  revokedAt: string | null;
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
  /** The account's withdrawal addresses, newest first (at most 1000). */
  listWithdrawalAddresses(accountId: string): Promise<WithdrawalAddressRecord[]>;
  /** Whether the account has this withdrawal address registered (the allowlist, the settings lock's new-address check). */
  hasWithdrawalAddress(accountId: string, address: { asset: string; address: string }): Promise<boolean>;
  /**
   * The current email address of each of these accounts that exists (at most 500 ids a call): lists of users (who
   * has not acknowledged the terms) read them in one call rather than one per row.
   */
  accountEmails(accountIds: string[]): Promise<Map<string, string>>;
  /**
   * Takes one address off the account (recovery after a takeover). Idempotent: false when the account has no
   * such address (already removed), so a retry is safe.
   */
  removeWithdrawalAddress(accountId: string, addressId: string): Promise<boolean>;
  /** The account's API keys, revoked ones included, newest first (at most 1000). */
  listApiKeys(accountId: string): Promise<ApiKeyRecord[]>;
  /** Revokes one key for good. Idempotent: false when it was already revoked or the account has no such key. */
  revokeApiKey(accountId: string, keyId: string): Promise<boolean>;
  /**
   * Sets the account's email address back to `email`, the one it had before a takeover (recovery, by staff or at
   * the unlock). The address it replaces, and any the account had since `email` was last replaced, stop being
   * previous addresses (they were the attacker's). Idempotent: `changed: false` when the account already has
   * it. Throws KinkyuError CONFLICT (rule `email_taken`) when another account has the address now, NOT_FOUND for
   * an unknown account; nothing changes then.
   */
  restoreEmail(accountId: string, restore: { email: string; reason: string }): Promise<{ changed: boolean }>;
}
