import { KinkyuError } from '../domain/errors.ts';
import type { AccountSummary, ApiKeyRecord, ExchangeAccounts, LockEffects, SignInRecord, WithdrawalAddressRecord, WithdrawalRecord } from './adapter.ts';
import { MIN_SECRET_LENGTH, signRequest } from './signing.ts';

/** Where the exchange core's API lives under its base URL. */
export const CORE_API_PREFIX = '/kinkyu/v1';

export interface HttpExchangeAccountsOptions {
  /** The exchange core's base URL, e.g. https://core.internal:8443 (no trailing /kinkyu/v1). */
  baseUrl: string;
  /** Shared HMAC secret, at least 32 characters. */
  secret: string;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Injectable for tests. */
  fetch?: typeof fetch;
  clock?: () => number;
}

/** The exchange core could not be reached, did not answer in time, or refused the request. */
export class ExchangeCoreError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ExchangeCoreError';
  }
}

/** Checks the adapter settings; throws with a message naming the environment variable at fault. */
export function checkExchangeCoreSettings(url: string | undefined, secret: string | undefined): void {
  if (!url) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`EXCHANGE_CORE_URL is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('EXCHANGE_CORE_URL must be http:// or https://');
  // Requests are signed but answers are not: on any network but this machine's, only TLS keeps an answer
  // (an account's email address, where lock links go) from being forged.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol === 'http:' && !loopback) throw new Error('EXCHANGE_CORE_URL must be https:// (plain http only to this machine)');
  if (!secret || secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`EXCHANGE_CORE_SECRET must be set (at least ${MIN_SECRET_LENGTH} characters) when EXCHANGE_CORE_URL is`);
  }
}

/** Errors worth one more try: the request did not reach the core (refused, reset, DNS), not a timeout. */
function isNetworkError(err: unknown): boolean {
  return err instanceof TypeError;
}

/**
 * The exchange's accounts reached over HTTP: every call is a signed JSON request to the exchange core
 * (docs/exchange-adapter.md). Each attempt has a timeout; only idempotent calls are retried, once, and only
 * when the request never reached the core (the lock is idempotent per lockId, so it is one of them).
 */
export class HttpExchangeAccounts implements ExchangeAccounts {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly clock: () => number;

  constructor(private readonly opts: HttpExchangeAccountsOptions) {
    checkExchangeCoreSettings(opts.baseUrl, opts.secret);
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.fetchImpl = opts.fetch ?? fetch;
    this.clock = opts.clock ?? Date.now;
  }

  async findAccount(query: { email?: string; accountId?: string }): Promise<AccountSummary | null> {
    const params: Record<string, string> | null = query.accountId ? { id: query.accountId } : query.email ? { email: query.email } : null;
    if (!params) return null;
    const res = await this.call<{ account: AccountSummary | null }>('GET', `/accounts?${new URLSearchParams(params)}`, undefined, true);
    return res.account;
  }

  lock(accountId: string, info: { lockId: string; reason: string }): Promise<LockEffects> {
    return this.call<LockEffects>('POST', `${this.account(accountId)}/lock`, { lockId: info.lockId, reason: info.reason }, true);
  }

  async unlock(accountId: string, info: { lockId: string }): Promise<void> {
    await this.call('POST', `${this.account(accountId)}/unlock`, { lockId: info.lockId }, true);
  }

  async revokeSessions(accountId: string): Promise<number> {
    return (await this.call<{ count: number }>('POST', `${this.account(accountId)}/revoke-sessions`, {}, false)).count;
  }

  async revokeApiKeys(accountId: string): Promise<number> {
    return (await this.call<{ count: number }>('POST', `${this.account(accountId)}/revoke-api-keys`, {}, false)).count;
  }

  async setRestrictions(accountId: string, restrictions: { trading: boolean; withdrawals: boolean }): Promise<void> {
    await this.call('POST', `${this.account(accountId)}/restrictions`, { trading: restrictions.trading, withdrawals: restrictions.withdrawals }, true);
  }

  async cancelPendingWithdrawals(accountId: string, reason: string): Promise<number> {
    return (await this.call<{ count: number }>('POST', `${this.account(accountId)}/cancel-withdrawals`, { reason }, false)).count;
  }

  async holdWithdrawals(accountId: string, until: Date): Promise<void> {
    await this.call('POST', `${this.account(accountId)}/hold-withdrawals`, { until: until.toISOString() }, true);
  }

  async recentSignIns(accountId: string, limit: number): Promise<SignInRecord[]> {
    return (await this.call<{ signIns: SignInRecord[] }>('GET', `${this.account(accountId)}/sign-ins?limit=${limit}`, undefined, true)).signIns;
  }

  async recentWithdrawals(accountId: string, limit: number): Promise<WithdrawalRecord[]> {
    return (await this.call<{ withdrawals: WithdrawalRecord[] }>('GET', `${this.account(accountId)}/withdrawals?limit=${limit}`, undefined, true)).withdrawals;
  }

  async listWithdrawalAddresses(accountId: string): Promise<WithdrawalAddressRecord[]> {
    return (await this.call<{ addresses: WithdrawalAddressRecord[] }>('GET', `${this.account(accountId)}/withdrawal-addresses`, undefined, true)).addresses;
  }

  async hasWithdrawalAddress(accountId: string, a: { asset: string; address: string }): Promise<boolean> {
    const query = new URLSearchParams({ asset: a.asset, address: a.address });
    return (await this.call<{ registered: boolean }>('GET', `${this.account(accountId)}/withdrawal-addresses/registered?${query}`, undefined, true)).registered === true;
  }

  // A read: the body only carries the ids (too many for a URL), so it may be retried.
  async accountEmails(accountIds: string[]): Promise<Map<string, string>> {
    if (!accountIds.length) return new Map();
    const res = await this.call<{ emails: Record<string, string> }>('POST', '/accounts/emails', { ids: accountIds }, true);
    return new Map(Object.entries(res.emails ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  // Removing and revoking one item by id are idempotent (a repeat answers false), so they may be retried.
  async removeWithdrawalAddress(accountId: string, addressId: string): Promise<boolean> {
    return (await this.call<{ removed: boolean }>('POST', `${this.account(accountId)}/withdrawal-addresses/remove`, { addressId }, true)).removed === true;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    return (await this.call<{ apiKeys: ApiKeyRecord[] }>('GET', `${this.account(accountId)}/api-keys`, undefined, true)).apiKeys;
  }

  async revokeApiKey(accountId: string, keyId: string): Promise<boolean> {
    return (await this.call<{ revoked: boolean }>('POST', `${this.account(accountId)}/api-keys/revoke`, { keyId }, true)).revoked === true;
  }

  // Idempotent (the account already at that address answers `changed: false`), so it may be retried.
  async restoreEmail(accountId: string, restore: { email: string; reason: string }): Promise<{ changed: boolean }> {
    try {
      const res = await this.call<{ changed: boolean }>('POST', `${this.account(accountId)}/email/restore`, { email: restore.email, reason: restore.reason }, true);
      return { changed: res.changed === true };
    } catch (err) {
      // The core's refusal when another account has the address now: the same error the reference store throws.
      if (err instanceof ExchangeCoreError && err.status === 409 && err.code === 'EMAIL_TAKEN') throw new KinkyuError('CONFLICT', { rule: 'email_taken', email: restore.email });
      throw err;
    }
  }

  private account(accountId: string): string {
    return `/accounts/${encodeURIComponent(accountId)}`;
  }

  private async call<T>(method: 'GET' | 'POST', route: string, payload: unknown, idempotent: boolean): Promise<T> {
    const path = CORE_API_PREFIX + route;
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const what = `${method} ${path.split('?')[0]}`;
    for (let attempt = 1; ; attempt++) {
      // Signed afresh on every attempt: the core refuses a nonce it has seen.
      const headers: Record<string, string> = { accept: 'application/json', ...signRequest(this.opts.secret, { method, path, body }, { now: this.clock() }) };
      if (body) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await this.fetchImpl(this.base + path, { method, headers, ...(body ? { body } : {}), signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        if (idempotent && attempt === 1 && isNetworkError(err)) continue;
        const name = (err as { name?: string })?.name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new ExchangeCoreError(`exchange core did not answer ${what} within ${this.timeoutMs} ms`, null);
        }
        throw new ExchangeCoreError(`exchange core unreachable for ${what}: ${(err as Error)?.message ?? err}`, null);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        const name = (err as { name?: string })?.name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new ExchangeCoreError(`exchange core did not answer ${what} within ${this.timeoutMs} ms`, null);
        }
        throw new ExchangeCoreError(`exchange core answer to ${what} was cut off: ${(err as Error)?.message ?? err}`, res.status);
      }
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        // Reported below.
      }
      if (!res.ok) {
        const code = typeof (json as { code?: unknown })?.code === 'string' ? (json as { code: string }).code : null;
        // The reference store's own refusal for an unknown account, kept as it is.
        if (res.status === 404 && code === 'NOT_FOUND') throw new KinkyuError('NOT_FOUND', { what: 'account' });
        throw new ExchangeCoreError(`exchange core refused ${what}: HTTP ${res.status}${code ? ` ${code}` : ''}`, res.status, code);
      }
      if (json === undefined || json === null || typeof json !== 'object') {
        throw new ExchangeCoreError(`exchange core answered ${what} with something that is not a JSON object`, res.status);
      }
      return json as T;
    }
  }
}
