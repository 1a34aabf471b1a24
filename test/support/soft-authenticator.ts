/**
 * A software WebAuthn authenticator for HTTP tests (the browser tests use Chromium's virtual one): ES256 keys from
 * node:crypto, CBOR from @simplewebauthn/server's own helpers. It answers the options a page carries exactly as a
 * browser would post them (RegistrationResponseJSON / AuthenticationResponseJSON), and can be told to lie: another
 * origin, no user verification, a counter of its choosing (a copied authenticator).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64u = (b: Uint8Array | Buffer) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | Buffer | string) => createHash('sha256').update(b).digest();

export interface SoftCredential {
  id: string;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  cose: Uint8Array;
  signCount: number;
}

interface CreationOptions { challenge: string; rp: { id?: string }; user: { id: string }; excludeCredentials?: Array<{ id: string }> }
interface RequestOptions { challenge: string; rpId?: string; allowCredentials?: Array<{ id: string }> }

/** The options a ceremony page carries (creation or request: the fields either may have). */
export interface PageOptions extends CreationOptions, RequestOptions {
  rp: { id?: string; name?: string };
  user: { id: string; name?: string };
  userVerification?: string;
  authenticatorSelection?: { residentKey?: string; userVerification?: string };
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  constructor(readonly origin: string) {}

  private authData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(signCount);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create: a new resident ES256 credential; the response as JSON text. */
  create(options: CreationOptions, o: { origin?: string; userVerified?: boolean } = {}): string {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
    ]));
    const id = randomBytes(16);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, id, Buffer.from(cose)]);
    const flags = 0x01 | (o.userVerified === false ? 0 : 0x04) | 0x40;
    const authData = this.authData(rpId, flags, 0, attested);
    const attestation = new Map<string, string | Uint8Array | Map<string, string>>();
    attestation.set('fmt', 'none').set('attStmt', new Map<string, string>()).set('authData', new Uint8Array(authData));
    const attestationObject = isoCBOR.encode(attestation);
    const credential: SoftCredential = { id: b64u(id), rpId, userHandle: options.user.id, privateKey, cose, signCount: 0 };
    this.credentials.push(credential);
    return JSON.stringify({
      id: credential.id, rawId: credential.id, type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', options.challenge, o.origin ?? this.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    });
  }

  /**
   * navigator.credentials.get: an assertion by `credential` (default: the first allowed, or the newest), its counter
   * one up unless `signCount` says what to send.
   */
  get(options: RequestOptions, o: { credential?: SoftCredential; origin?: string; userVerified?: boolean; signCount?: number } = {}): string {
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const credential = o.credential ?? (allowed.length ? this.credentials.find((c) => allowed.includes(c.id)) : this.credentials.at(-1));
    if (!credential) throw new Error('no credential for these options');
    credential.signCount = o.signCount ?? credential.signCount + 1;
    const flags = 0x01 | (o.userVerified === false ? 0 : 0x04);
    const authData = this.authData(options.rpId ?? credential.rpId, flags, credential.signCount);
    const clientData = this.clientData('webauthn.get', options.challenge, o.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return JSON.stringify({
      id: credential.id, rawId: credential.id, type: 'public-key', authenticatorAttachment: 'platform', clientExtensionResults: {},
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature), userHandle: credential.userHandle },
    });
  }
}

/** The WebAuthn options a page's ceremony form carries (data-options, HTML-escaped JSON). */
export function ceremonyOptions(page: string | { body: string }): PageOptions {
  const m = /data-options="([^"]*)"/.exec(typeof page === 'string' ? page : page.body);
  if (!m) throw new Error('no ceremony form on this page');
  const json = m[1]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return JSON.parse(json) as PageOptions;
}
