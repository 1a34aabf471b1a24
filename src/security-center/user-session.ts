import type { Lang } from '../web/i18n.ts';

export const USER_COOKIE = 'kinkyu_user';

/** A security-center session, as the pages read it (fully signed in, or waiting for its second factor). */
export interface UserSession {
  tokenHash: string;
  accountId: string;
  csrfToken: string;
  pending2fa: boolean;
  email: string;
  locked: boolean;
  mustResetPassword: boolean;
  mustReenrol2fa: boolean;
  totpEnabled: boolean;
  /** Passkeys the account can use (not turned off). */
  passkeys: number;
  lang: Lang;
}

/** The language stored for an account: English when it says so, Japanese otherwise. */
export const storedLang = (value: string | null | undefined): Lang => (value === 'en' ? 'en' : 'ja');

/** A form field as text, cut at `max`; '' when it is not text. */
export const str = (v: unknown, max = 1024): string => (typeof v === 'string' ? v.slice(0, max) : '');
