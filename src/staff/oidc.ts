import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import { sha256Hex } from '../domain/secrets.ts';

/**
 * Optional staff sign-in through the company's OpenID Connect provider (STAFF_OIDC_ISSUER, _CLIENT_ID,
 * _CLIENT_SECRET): the authorization code flow with PKCE (S256), a state bound to the browser by a cookie and
 * kept server-side for one use, and a nonce checked in the ID token (openid-client does the protocol: discovery,
 * the token request, the ID token's signature, issuer, audience, expiry and nonce).
 *
 * Who may sign in is kinkyu's decision: a staff row must carry the provider's subject (linked by an admin, or by
 * the provider's *verified* email at the first sign-in when a row with that email exists and has no subject yet);
 * an unknown subject is refused. Roles never come from the provider.
 *
 * The provider's sign-in counts as the second factor: we assume the company's IdP enforces MFA for this client
 * (configure it there). The member still enrols an authenticator app in kinkyu (every member does), which is what
 * sensitive actions ask for again and what works when the IdP is down.
 */
export interface StaffOidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** All three variables or none. */
export function parseStaffOidc(env: NodeJS.ProcessEnv): StaffOidcSettings | undefined {
  const issuer = env.STAFF_OIDC_ISSUER?.trim() || '';
  const clientId = env.STAFF_OIDC_CLIENT_ID?.trim() || '';
  const clientSecret = env.STAFF_OIDC_CLIENT_SECRET || '';
  if (!issuer && !clientId && !clientSecret) return undefined;
  if (!issuer || !clientId || !clientSecret) {
    throw new Error('STAFF_OIDC_ISSUER, STAFF_OIDC_CLIENT_ID and STAFF_OIDC_CLIENT_SECRET are set together (or none of them)');
  }
  return { issuer, clientId, clientSecret };
}

export const OIDC_CALLBACK_PATH = '/staff/login/oidc/callback';
/** How long an authorization request may take (the person signs in at the provider meanwhile). */
const LOGIN_MINUTES = 10;

export interface OidcIdentity {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  next: string;
}

/** Plain http is allowed for a provider on this machine only (tests, a local IdP); anything else must be https. */
function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export class StaffOidc {
  private discovered: Promise<client.Configuration> | null = null;
  readonly redirectUri: string;

  constructor(
    private readonly db: Db,
    readonly settings: StaffOidcSettings,
    publicUrl: string,
  ) {
    this.redirectUri = `${publicUrl}${OIDC_CALLBACK_PATH}`;
  }

  get issuer(): string {
    return this.settings.issuer;
  }

  /** The provider's metadata, fetched once (again after a failure). */
  private configuration(): Promise<client.Configuration> {
    if (!this.discovered) {
      const url = new URL(this.settings.issuer);
      this.discovered = client
        .discovery(url, this.settings.clientId, undefined, client.ClientSecretBasic(this.settings.clientSecret), {
          timeout: 10,
          ...(isLoopback(url) ? { execute: [client.allowInsecureRequests] } : {}),
        })
        .catch((err: unknown) => {
          this.discovered = null;
          throw new KinkyuError('IDP_UNAVAILABLE', {}, `OIDC discovery failed: ${String(err)}`);
        });
    }
    return this.discovered;
  }

  /** Starts a sign-in: the state (for the browser's cookie) and the provider's URL to send the browser to. */
  async begin(next: string): Promise<{ state: string; url: string }> {
    const config = await this.configuration();
    const state = randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const verifier = client.randomPKCECodeVerifier();
    await this.db.query(
      `INSERT INTO staff_oidc_logins (state_hash, nonce, code_verifier, next, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
      [sha256Hex(state), nonce, verifier, next, LOGIN_MINUTES],
    );
    await this.db.query('DELETE FROM staff_oidc_logins WHERE expires_at < now()');
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { state, url: url.href };
  }

  /**
   * The provider's answer. The state must be the browser's own (its cookie) and one we issued and have not used;
   * then the code is exchanged (with the PKCE verifier) and the ID token checked (with the nonce).
   */
  async finish(callbackUrl: URL, cookieState: string | undefined): Promise<OidcIdentity> {
    const state = callbackUrl.searchParams.get('state');
    if (!state || !cookieState || state.length > 200 || state !== cookieState) throw new KinkyuError('CSRF', { rule: 'oidc_state' });
    const [login] = await this.db.query<{ nonce: string; code_verifier: string; next: string }>(
      'DELETE FROM staff_oidc_logins WHERE state_hash = $1 AND expires_at > now() RETURNING nonce, code_verifier, next',
      [sha256Hex(state)],
    );
    if (!login) throw new KinkyuError('CSRF', { rule: 'oidc_state' });
    if (callbackUrl.searchParams.has('error')) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'oidc_denied' });
    if (!callbackUrl.searchParams.get('code')) throw new KinkyuError('VALIDATION', { rule: 'oidc_callback' });
    const config = await this.configuration();
    let claims: client.IDToken | undefined;
    let email: unknown;
    let emailVerified: unknown;
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: login.code_verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      if (!claims?.sub) throw new KinkyuError('VALIDATION', { rule: 'oidc_callback' });
      ({ email, email_verified: emailVerified } = claims);
      // Many providers put the email in the ID token; the others answer it at userinfo (for the same subject).
      if (typeof email !== 'string') {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        ({ email, email_verified: emailVerified } = info);
      }
    } catch (err) {
      if (err instanceof KinkyuError) throw err;
      // The provider could not be reached: say so. Anything else (a code that is not one, a token that does not
      // check out) is a callback we refuse.
      if (err instanceof TypeError || (err as { name?: string })?.name === 'TimeoutError' || (err as { code?: string })?.code === 'OAUTH_TIMEOUT') {
        throw new KinkyuError('IDP_UNAVAILABLE', {}, `OIDC token request failed: ${String(err)}`);
      }
      throw new KinkyuError('VALIDATION', { rule: 'oidc_callback' }, `OIDC callback refused: ${String(err)}`);
    }
    if (!claims?.sub) throw new KinkyuError('VALIDATION', { rule: 'oidc_callback' });
    return { subject: claims.sub, email: typeof email === 'string' ? email : null, emailVerified: emailVerified === true, next: login.next };
  }
}

/**
 * The staff member an identity belongs to: by the stored subject, or — at the first sign-in only — by the
 * provider's verified email when a member with that email exists and has no subject yet (then linked, audited).
 * Anyone else is refused.
 */
export async function staffForOidc(db: Db, issuer: string, identity: OidcIdentity, ip: string, now: Date): Promise<{ id: string; linked: boolean }> {
  const [bySubject] = await db.query<{ id: string; disabled_at: Date | null }>(
    'SELECT id, disabled_at FROM staff WHERE oidc_issuer = $1 AND oidc_subject = $2',
    [issuer, identity.subject],
  );
  if (bySubject) {
    if (bySubject.disabled_at) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'oidc_unknown' });
    return { id: bySubject.id, linked: false };
  }
  if (!identity.emailVerified || !identity.email) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'oidc_unknown' });
  const email = identity.email.trim().toLowerCase();
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: string }>(
      'SELECT id FROM staff WHERE lower(email) = $1 AND oidc_subject IS NULL AND disabled_at IS NULL FOR UPDATE',
      [email],
    );
    if (!row) throw new KinkyuError('BAD_CREDENTIALS', { rule: 'oidc_unknown' });
    await tx.query('UPDATE staff SET oidc_issuer = $2, oidc_subject = $3 WHERE id = $1', [row.id, issuer, identity.subject]);
    await appendAudit(tx, {
      actorType: 'staff', actorId: row.id, ip, action: 'staff.oidc_link', targetType: 'staff', targetId: row.id,
      data: { issuer, subject: identity.subject, via: 'verified_email' },
    }, now);
    return { id: row.id, linked: true };
  });
}

/** An admin links a member to a subject of the configured provider (an empty subject unlinks), audited. */
export async function linkOidcSubject(db: Db, actor: Actor, staffId: unknown, subjectInput: unknown, issuer: string, now: Date): Promise<{ changed: boolean }> {
  if (typeof staffId !== 'string' || !/^[a-z0-9]{1,64}$/.test(staffId)) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
  const subject = typeof subjectInput === 'string' ? subjectInput.trim() : '';
  if (subject.length > 255 || /[\u0000-\u001F\u007F]/.test(subject)) throw new KinkyuError('VALIDATION', { field: 'oidcSubject', rule: 'max', max: '255' });
  return db
    .transaction(async (tx) => {
      const [row] = await tx.query<{ oidc_issuer: string | null; oidc_subject: string | null }>('SELECT oidc_issuer, oidc_subject FROM staff WHERE id = $1 FOR UPDATE', [staffId]);
      if (!row) throw new KinkyuError('NOT_FOUND', { what: 'staff', rule: 'staff' });
      const next = subject || null;
      if (row.oidc_subject === next && (next === null || row.oidc_issuer === issuer)) return { changed: false };
      await tx.query('UPDATE staff SET oidc_issuer = $2, oidc_subject = $3 WHERE id = $1', [staffId, next ? issuer : null, next]);
      await appendAudit(tx, {
        actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: next ? 'staff.oidc_link' : 'staff.oidc_unlink', targetType: 'staff', targetId: staffId,
        data: next ? { issuer, subject: next, via: 'admin' } : { previous: row.oidc_subject },
      }, now);
      return { changed: true };
    })
    .catch((err: unknown) => {
      if ((err as { code?: string })?.code === '23505') throw new KinkyuError('CONFLICT', { rule: 'oidc_subject_taken' });
      throw err;
    });
}
