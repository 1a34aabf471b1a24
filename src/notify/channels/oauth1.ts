import { createHmac, randomBytes } from 'node:crypto';

/** OAuth 1.0a user-context credentials (X developer portal: API key/secret + access token/secret). */
export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
}

/** RFC 5849 §3.6: RFC 3986 percent-encoding, where only A-Z a-z 0-9 - . _ ~ stay as they are. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1.2: scheme and host lowercase, default port dropped, no query or fragment. */
export function baseStringUri(url: URL): string {
  const defaultPort = (url.protocol === 'http:' && url.port === '80') || (url.protocol === 'https:' && url.port === '443');
  const port = url.port && !defaultPort ? `:${url.port}` : '';
  return `${url.protocol.toLowerCase()}//${url.hostname.toLowerCase()}${port}${url.pathname}`;
}

/**
 * RFC 5849 §3.4.1: METHOD & base URI & normalised parameters, where the parameters are the query string, the
 * oauth_* values and (only for application/x-www-form-urlencoded bodies) the form fields. A JSON body, as
 * X API v2 takes, is not signed.
 */
export function signatureBaseString(method: string, url: URL, params: ReadonlyArray<readonly [string, string]>): string {
  const all = [...[...url.searchParams.entries()], ...params]
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  const normalized = all.map(([k, v]) => `${k}=${v}`).join('&');
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalized)].join('&');
}

export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');
}

export interface OAuthRequestOptions {
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  nonce?: string;
  /** Form fields of an application/x-www-form-urlencoded body (none for JSON). */
  formParams?: ReadonlyArray<readonly [string, string]>;
}

/** The Authorization header for one request, signed with HMAC-SHA1 (RFC 5849 §3.5.1). */
export function oauth1Header(method: string, url: string | URL, creds: OAuth1Credentials, opts: OAuthRequestOptions = {}): string {
  const target = typeof url === 'string' ? new URL(url) : url;
  const oauth: Array<[string, string]> = [
    ['oauth_consumer_key', creds.consumerKey],
    ['oauth_nonce', opts.nonce ?? randomBytes(16).toString('hex')],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(opts.timestamp ?? Math.floor(Date.now() / 1000))],
    ['oauth_token', creds.accessToken],
    ['oauth_version', '1.0'],
  ];
  const base = signatureBaseString(method, target, [...oauth, ...(opts.formParams ?? [])]);
  oauth.push(['oauth_signature', hmacSha1Signature(base, creds.consumerSecret, creds.accessTokenSecret)]);
  return `OAuth ${oauth.map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`).join(', ')}`;
}
