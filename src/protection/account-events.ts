import type { Db } from '../store/db.ts';

/**
 * Everything that happens to an account that matters for its security: sign-ins (and failures), security
 * changes, withdrawal requests, locks. Recorded for the user's sign-in history and fed to detection.
 */
export type AccountEventKind =
  | 'sign_in'
  | 'sign_in_failed'
  | 'password_changed'
  | 'totp_enabled'
  | 'totp_reset'
  | 'email_changed'
  | 'withdrawal_address_added'
  | 'withdrawal_requested'
  | 'emergency_contact_changed'
  | 'account_locked'
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_used'
  /** A passkey answered with a genuine signature but a counter that went backwards: a copied authenticator. */
  | 'passkey_cloned';

export interface AccountEvent {
  /** Null for a failed sign-in to an address that has no account (it still counts per IP). */
  accountId: string | null;
  kind: AccountEventKind;
  at: Date;
  ip?: string | null;
  /** ISO 3166 alpha-2, from the exchange core or a trusted proxy header; null when unknown. */
  country?: string | null;
  device?: string | null;
  data?: Record<string, unknown>;
}

export type AccountEventListener = (event: AccountEvent & { id: number }) => Promise<void> | void;

/** Stores events and hands each to the listeners (detection) after it is stored. */
export class AccountEvents {
  private readonly listeners: AccountEventListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
  ) {}

  subscribe(listener: AccountEventListener): void {
    this.listeners.push(listener);
  }

  async record(event: AccountEvent): Promise<number> {
    const [row] = await this.db.query<{ id: string }>(
      `INSERT INTO account_events (account_id, kind, at, ip, country, device, data) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb) RETURNING id`,
      [event.accountId, event.kind, event.at, event.ip ?? null, event.country ?? null, event.device ?? null, JSON.stringify(event.data ?? {})],
    );
    const stored = { ...event, id: Number(row!.id) };
    // Detection must never make the user's action fail: its errors are logged, not thrown.
    for (const listener of this.listeners) {
      try {
        await listener(stored);
      } catch (err) {
        this.log('an account event listener failed', err);
      }
    }
    return stored.id;
  }
}
