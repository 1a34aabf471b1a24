/**
 * The WebAuthn relying party: who the passkeys belong to. The RP ID is PUBLIC_URL's host name and the only
 * origin a response may come from is PUBLIC_URL's origin, so a passkey made for this site is never offered to, nor
 * accepted from, a look-alike (the phishing resistance that makes a passkey the strongest factor).
 */
export interface RelyingParty {
  /** The RP ID: PUBLIC_URL's host name, without port ("status.example.com", "localhost"). */
  id: string;
  /** The origin responses must carry: PUBLIC_URL's scheme, host and port. */
  origin: string;
  /** The name an authenticator shows when a passkey is made. */
  name: string;
}

export function relyingPartyOf(publicUrl: string, name: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name };
}

