import type { OAuth1Credentials } from '../channels/oauth1.ts';
import { X_API_BASE_URL } from '../channels/x-client.ts';

/** Posting to the exchange's X account (read once from the environment by src/config.ts). */
export interface XConfig {
  /** X_API_URL, default https://api.x.com (tests point it at the stand-in). */
  apiUrl: string;
  /**
   * OAuth 1.0a user context of the exchange's account: X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN,
   * X_ACCESS_TOKEN_SECRET. All four or nothing: without them no update is posted to X.
   */
  credentials: OAuth1Credentials | undefined;
  /** X_LANG: the language of the posts, default the page's default language. */
  lang: 'ja' | 'en' | undefined;
}

export function parseXConfig(env: Record<string, string | undefined>): XConfig {
  const consumerKey = env.X_CONSUMER_KEY ?? '';
  const consumerSecret = env.X_CONSUMER_SECRET ?? '';
  const accessToken = env.X_ACCESS_TOKEN ?? '';
  const accessTokenSecret = env.X_ACCESS_TOKEN_SECRET ?? '';
  const given = [consumerKey, consumerSecret, accessToken, accessTokenSecret].filter(Boolean).length;
  if (given > 0 && given < 4) {
    throw new Error('X posting needs all of X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET');
  }
  const lang = env.X_LANG === 'en' || env.X_LANG === 'ja' ? env.X_LANG : undefined;
  return {
    apiUrl: (env.X_API_URL || X_API_BASE_URL).replace(/\/+$/, ''),
    credentials: given === 4 ? { consumerKey, consumerSecret, accessToken, accessTokenSecret } : undefined,
    lang,
  };
}
