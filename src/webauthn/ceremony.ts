/**
 * WebAuthn ceremonies (registration and authentication) around @simplewebauthn/server, for any kind of account:
 * the options a page hands to the browser, and the verification of what comes back. Where the credentials are
 * kept is the caller's business (user passkeys now, staff passkeys later); this module decides whether a response
 * is genuine: its challenge (single-use, server-side, this browser and ceremony only), origin and RP ID (from
 * PUBLIC_URL), user verification, signature — and whether the signature counter went backwards.
 *
 * No CBOR or COSE is read here: @simplewebauthn/server does all of it.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { CHALLENGE_MINUTES, type ChallengeScope, type WebAuthnChallenges, type WebAuthnRealm } from './challenges.ts';
import type { RelyingParty } from './relying-party.ts';

/**
 * @simplewebauthn/server and its X.509/ASN.1 stack cost ~0.2 s of CPU to load: loaded at the first ceremony, not
 * at every start (most processes, and every CLI command, never see a passkey).
 */
let library: Promise<[typeof import('@simplewebauthn/server'), typeof import('@simplewebauthn/server/helpers')]> | null = null;
const webauthn = () => (library ??= Promise.all([import('@simplewebauthn/server'), import('@simplewebauthn/server/helpers')]));

/**
 * Why a ceremony did not succeed. Each has its own message for the person in front of the browser
 * (`passkey.error.<reason>`); none of them changes anything but, where the response got that far, spending its
 * challenge.
 */
export const WEBAUTHN_FAILURES = [
  /** Nothing came back: the page was sent without the script (JavaScript off). */
  'missing',
  /** Not a WebAuthn response at all (not JSON, fields missing or of the wrong type, undecodable). */
  'malformed',
  /** Its challenge is not one we issued to this browser for this ceremony, was used already, or expired. */
  'challenge',
  /** A passkey we do not know (removed, or another site's). */
  'unknown_credential',
  /** A passkey that was turned off (its counter went backwards once). */
  'disabled',
  /** The authenticator did not verify the user (PIN, fingerprint) where that is required. */
  'user_verification',
  /** The signature, origin, RP ID or attestation did not check out. */
  'not_verified',
  /** A genuine signature whose counter is not above the last one seen: a copied authenticator. */
  'counter',
  /** The browser's ceremony failed or was cancelled (NotAllowedError, time-out). */
  'cancelled',
  /** Registration: this authenticator already holds a passkey of this account (InvalidStateError). */
  'already_registered',
  /** The browser refused WebAuthn here (SecurityError: not https, or a domain mismatch). */
  'insecure',
  /** This browser has no WebAuthn. */
  'unsupported',
] as const;
export type WebAuthnFailureReason = (typeof WEBAUTHN_FAILURES)[number];

export class WebAuthnFailure<P = unknown> extends Error {
  constructor(
    readonly reason: WebAuthnFailureReason,
    /** For `counter` and `disabled`: the stored credential concerned. */
    readonly passkey: P | null = null,
    /** For `counter`: the counter stored and the one received. */
    readonly counters: { stored: number; received: number } | null = null,
    detail?: string,
  ) {
    super(detail ?? reason);
    this.name = 'WebAuthnFailure';
  }
}

export function isWebAuthnFailure(err: unknown): err is WebAuthnFailure {
  return err instanceof WebAuthnFailure;
}

/** What a browser reports when its ceremony failed (`failure` field set by the page script), as our reason. */
export function browserFailure(name: unknown): WebAuthnFailureReason | null {
  if (typeof name !== 'string' || !name) return null;
  switch (name) {
    case 'InvalidStateError':
      return 'already_registered';
    case 'SecurityError':
      return 'insecure';
    case 'NotSupportedError':
    case 'unsupported':
      return 'unsupported';
    default:
      return 'cancelled';
  }
}

/** A credential as the caller keeps it. */
export interface StoredCredential {
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
}

/** A credential a registration produced, for the caller to keep. */
export interface RegisteredCredential extends StoredCredential {
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
}

/** A response larger than this is not a WebAuthn response (a passkey's is about 1–2 KB). */
export const MAX_RESPONSE_CHARS = 32 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isB64u = (v: unknown, max = MAX_RESPONSE_CHARS): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && /^[A-Za-z0-9_-]+={0,2}$/.test(v);

/** The form field a page script filled, as a response of the kind expected; anything else is `malformed` (or `missing`). */
function parseResponse(raw: unknown, kind: 'registration'): RegistrationResponseJSON;
function parseResponse(raw: unknown, kind: 'authentication'): AuthenticationResponseJSON;
function parseResponse(raw: unknown, kind: 'registration' | 'authentication'): RegistrationResponseJSON | AuthenticationResponseJSON {
  if (raw === undefined || raw === null || raw === '') throw new WebAuthnFailure('missing');
  if (typeof raw !== 'string' || raw.length > MAX_RESPONSE_CHARS) throw new WebAuthnFailure('malformed');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new WebAuthnFailure('malformed', null, null, 'not JSON');
  }
  if (!isObject(value) || !isObject(value.response)) throw new WebAuthnFailure('malformed', null, null, 'not an object with a response');
  const r = value.response;
  if (!isB64u(value.id, 1024) || value.rawId !== value.id || value.type !== 'public-key' || !isB64u(r.clientDataJSON)) {
    throw new WebAuthnFailure('malformed', null, null, 'id, rawId, type or clientDataJSON');
  }
  const clientExtensionResults = isObject(value.clientExtensionResults) ? value.clientExtensionResults : {};
  const attachment = value.authenticatorAttachment === 'platform' || value.authenticatorAttachment === 'cross-platform' ? value.authenticatorAttachment : undefined;
  if (kind === 'registration') {
    if (!isB64u(r.attestationObject)) throw new WebAuthnFailure('malformed', null, null, 'attestationObject');
    const transports = Array.isArray(r.transports) ? r.transports.filter((t): t is string => typeof t === 'string' && /^[a-z-]{1,20}$/.test(t)).slice(0, 8) : [];
    return {
      id: value.id, rawId: value.id, type: 'public-key', clientExtensionResults, ...(attachment ? { authenticatorAttachment: attachment } : {}),
      response: { clientDataJSON: r.clientDataJSON, attestationObject: r.attestationObject, transports },
    };
  }
  if (!isB64u(r.authenticatorData) || !isB64u(r.signature)) throw new WebAuthnFailure('malformed', null, null, 'authenticatorData or signature');
  if (r.userHandle !== undefined && r.userHandle !== null && !isB64u(r.userHandle, 512)) throw new WebAuthnFailure('malformed', null, null, 'userHandle');
  return {
    id: value.id, rawId: value.id, type: 'public-key', clientExtensionResults, ...(attachment ? { authenticatorAttachment: attachment } : {}),
    response: {
      clientDataJSON: r.clientDataJSON, authenticatorData: r.authenticatorData, signature: r.signature,
      ...(typeof r.userHandle === 'string' ? { userHandle: r.userHandle } : {}),
    },
  };
}

/**
 * Runs one of @simplewebauthn/server's verifications with our single-use challenge as its challenge check, and
 * names why it failed: before the challenge was reached the response was malformed; at it, the challenge was not
 * ours (or used, or expired); after it, user verification or the cryptography failed.
 */
async function verifyWith<T>(challenges: WebAuthnChallenges, scope: ChallengeScope, run: (check: (challenge: string) => Promise<boolean>) => Promise<T>): Promise<T> {
  let reached = false;
  let spent = false;
  try {
    return await run(async (challenge) => {
      reached = true;
      spent = await challenges.consume(scope, challenge);
      return spent;
    });
  } catch (err) {
    if (err instanceof WebAuthnFailure) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (!reached) throw new WebAuthnFailure('malformed', null, null, message);
    if (!spent) throw new WebAuthnFailure('challenge', null, null, message);
    if (/user verification/i.test(message)) throw new WebAuthnFailure('user_verification', null, null, message);
    throw new WebAuthnFailure('not_verified', null, null, message);
  }
}

/** Registration and authentication for one realm, against one relying party. */
export class WebAuthnCeremonies {
  constructor(
    private readonly challenges: WebAuthnChallenges,
    readonly rp: RelyingParty,
    private readonly realm: WebAuthnRealm,
  ) {}

  /**
   * Options for navigator.credentials.create: a discoverable credential (it can sign in alone) with user
   * verification, no attestation (we do not restrict makers), and the account's own passkeys excluded (one per
   * authenticator). The challenge is stored for this browser (`binding`) and account.
   */
  async registrationOptions(i: { binding: string; subject: string; userName: string; userHandle: string; exclude: readonly StoredCredential[] }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const [{ generateRegistrationOptions }, { isoBase64URL }] = await webauthn();
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: i.userName,
      userDisplayName: i.userName,
      userID: isoBase64URL.toBuffer(i.userHandle),
      timeout: CHALLENGE_MINUTES * 60_000,
      attestationType: 'none',
      excludeCredentials: i.exclude.map((c) => ({ id: c.credentialId, transports: c.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.challenges.issue({ realm: this.realm, purpose: 'register', binding: i.binding, subject: i.subject }, options.challenge);
    return options;
  }

  /** Verifies a registration answer (the form field, as sent) for this browser and account. */
  async verifyRegistration(i: { binding: string; subject: string; response: unknown }): Promise<RegisteredCredential> {
    const response = parseResponse(i.response, 'registration');
    const [{ verifyRegistrationResponse }, { isoBase64URL }] = await webauthn();
    const scope: ChallengeScope = { realm: this.realm, purpose: 'register', binding: i.binding, subject: i.subject };
    const result = await verifyWith(this.challenges, scope, (check) =>
      verifyRegistrationResponse({ response, expectedChallenge: check, expectedOrigin: this.rp.origin, expectedRPID: this.rp.id, requireUserVerification: true }),
    );
    if (!result.verified) throw new WebAuthnFailure('not_verified');
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: response.response.transports ?? credential.transports ?? [],
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    };
  }

  /**
   * Options for navigator.credentials.get. With `subject` null and no `allow` list: a sign-in with a passkey alone
   * (the authenticator offers the passkeys it holds for this site). `userVerification: 'required'` there; a
   * second factor after the password may take `preferred`.
   */
  async authenticationOptions(i: { binding: string; subject: string | null; allow: readonly StoredCredential[]; userVerification: 'required' | 'preferred' }): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const [{ generateAuthenticationOptions }] = await webauthn();
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      allowCredentials: i.allow.map((c) => ({ id: c.credentialId, transports: c.transports })),
      userVerification: i.userVerification,
      timeout: CHALLENGE_MINUTES * 60_000,
    });
    await this.challenges.issue({ realm: this.realm, purpose: 'authenticate', binding: i.binding, subject: i.subject }, options.challenge);
    return options;
  }

  /**
   * Verifies an authentication answer. `find` looks the credential up by its id (and the user handle the
   * authenticator returned, when it did); it returns null for one that is unknown or belongs to another account
   * than `subject`. On success: the credential and its new counter, which the caller stores with a
   * compare-and-set (a counter that moved meanwhile is the `counter` failure too).
   *
   * The counter check is ours, after the signature: @simplewebauthn/server checks the counter before the
   * signature, so a forged response with any low counter would look like a clone. Here only a response that is
   * genuinely signed by the passkey and carries a counter at or below the last one seen is a copied authenticator
   * (`counter`, with the passkey) — authenticators that keep no counter send 0 every time and are not checked.
   */
  async verifyAuthentication<P extends StoredCredential & { disabled?: boolean }>(i: {
    binding: string;
    subject: string | null;
    response: unknown;
    requireUserVerification: boolean;
    find: (credentialId: string, userHandle: string | null) => Promise<P | null>;
  }): Promise<{ passkey: P; newCounter: number }> {
    const response = parseResponse(i.response, 'authentication');
    const [{ verifyAuthenticationResponse }, { isoBase64URL }] = await webauthn();
    const passkey = await i.find(response.id, response.response.userHandle ?? null);
    if (!passkey) throw new WebAuthnFailure('unknown_credential');
    if (passkey.disabled) throw new WebAuthnFailure('disabled', passkey);
    let publicKey: Uint8Array<ArrayBuffer>;
    try {
      publicKey = isoBase64URL.toBuffer(passkey.publicKey);
    } catch {
      throw new WebAuthnFailure('not_verified', null, null, 'stored public key unreadable');
    }
    const scope: ChallengeScope = { realm: this.realm, purpose: 'authenticate', binding: i.binding, subject: i.subject };
    const result = await verifyWith(this.challenges, scope, (check) =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge: check,
        expectedOrigin: this.rp.origin,
        expectedRPID: this.rp.id,
        // Counter 0 here: the library's own counter check (made before the signature is checked) never fires;
        // ours below runs on a verified signature only.
        credential: { id: passkey.credentialId, publicKey, counter: 0, transports: passkey.transports },
        requireUserVerification: i.requireUserVerification,
      }),
    );
    if (!result.verified) throw new WebAuthnFailure('not_verified');
    const received = result.authenticationInfo.newCounter;
    if (counterWentBack(passkey.counter, received)) throw new WebAuthnFailure('counter', passkey, { stored: passkey.counter, received });
    return { passkey, newCounter: received };
  }
}

/** WebAuthn §6.1.1: when either counter is non-zero, the new one must be greater than the stored one. */
export function counterWentBack(stored: number, received: number): boolean {
  return (stored > 0 || received > 0) && received <= stored;
}
