import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../domain/secrets.ts';

/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that completed a
 * sign-in to an account (password and, where enabled, the second factor) gets a token bound to that account and a
 * random device id, signed with a key derived from the server key. Failed attempts that present it are counted on
 * that device's own allowance, so strangers guessing at the account cannot keep its owner out of a known device.
 *
 * Nothing is stored: the signature is the proof. A forged or altered token, or one for another account, counts as
 * no token at all. A browser shared by a household keeps a token per account, the newest few.
 */
export const DEVICE_COOKIE = 'kinkyu_device';
/** On https the name carries the __Secure- prefix: a browser then accepts it only from a secure origin. */
export const deviceCookieName = (secure: boolean): string => (secure ? `__Secure-${DEVICE_COOKIE}` : DEVICE_COOKIE);
export const DEVICE_COOKIE_DAYS = 365;
const TOKENS_PER_BROWSER = 4;
const SIGNATURE_LENGTH = 32; // base64url characters: 192 bits

export interface DeviceCookieOptions {
  path: string;
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  maxAge: number;
}

/** The cookie's attributes: only the sign-in pages under /account need it; Secure whenever the site is served over https. */
export function deviceCookieOptions(secure: boolean): DeviceCookieOptions {
  return { path: '/account', httpOnly: true, sameSite: 'lax', secure, maxAge: DEVICE_COOKIE_DAYS * 86_400 };
}

interface DeviceToken {
  accountId: string;
  deviceId: string;
}

export class DeviceCookies {
  readonly #key: Buffer;

  constructor(serverKey: Buffer) {
    // A key of its own: a device token can never pass as a ticket or subscriber link, nor the reverse.
    this.#key = createHmac('sha256', serverKey).update('kinkyu device cookies v1').digest();
  }

  /** The device id this cookie proves for `accountId`, or null (no cookie, forged, altered, another account's). */
  deviceFor(cookie: string | undefined, accountId: string): string | null {
    return this.tokens(cookie).find((t) => t.accountId === accountId)?.deviceId ?? null;
  }

  /** Whether the cookie carries any genuine token (then the account is looked up before the throttle decides). */
  hasAny(cookie: string | undefined): boolean {
    return this.tokens(cookie).length > 0;
  }

  /**
   * The cookie's value after a completed sign-in to `accountId`: the account's token first (the same device id
   * if the browser already had one), then the other accounts' genuine tokens, the newest few.
   */
  issue(cookie: string | undefined, accountId: string): string {
    const others = this.tokens(cookie).filter((t) => t.accountId !== accountId);
    const deviceId = this.deviceFor(cookie, accountId) ?? randomBytes(16).toString('base64url');
    return [{ accountId, deviceId }, ...others].slice(0, TOKENS_PER_BROWSER).map((t) => this.encode(t)).join('~');
  }

  private sign(accountId: string, deviceId: string): string {
    return createHmac('sha256', this.#key).update(`${accountId}\n${deviceId}`).digest('base64url').slice(0, SIGNATURE_LENGTH);
  }

  private encode(t: DeviceToken): string {
    return `${Buffer.from(t.accountId, 'utf8').toString('base64url')}.${t.deviceId}.${this.sign(t.accountId, t.deviceId)}`;
  }

  /** The genuine tokens in a cookie; anything else in it is ignored. */
  private tokens(cookie: string | undefined): DeviceToken[] {
    if (!cookie || cookie.length > 1000) return [];
    const found: DeviceToken[] = [];
    for (const part of cookie.split('~').slice(0, TOKENS_PER_BROWSER)) {
      const match = /^([\w-]{1,200})\.([\w-]{22})\.([\w-]{32})$/.exec(part);
      if (!match) continue;
      const accountId = Buffer.from(match[1]!, 'base64url').toString('utf8');
      if (sameSecret(match[3]!, this.sign(accountId, match[2]!))) found.push({ accountId, deviceId: match[2]! });
    }
    return found;
  }
}
