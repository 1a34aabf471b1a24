import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * DKIM signing of outgoing mail (RFC 6376), done by nodemailer's own signer (`dkim` transport option): relaxed/
 * relaxed canonicalisation, rsa-sha256, over From, Subject, Date, Message-ID, To, MIME and List-* headers.
 * Configured by three variables, all or none:
 *   DKIM_DOMAIN       the signing domain (d=), normally the domain of MAIL_FROM
 *   DKIM_SELECTOR     the selector (s=): the public key is the TXT record `<selector>._domainkey.<domain>`
 *   DKIM_PRIVATE_KEY  the RSA private key, as PEM text (a literal "\n" counts as a line break) or a file path
 */
export interface DkimOptions {
  domainName: string;
  keySelector: string;
  /** PEM. */
  privateKey: string;
}

const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const SELECTOR = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;

/** The DKIM settings from the environment; undefined when none is set. Throws when they are incomplete or unusable. */
export function parseDkimConfig(env: Readonly<Record<string, string | undefined>>): DkimOptions | undefined {
  const domain = env['DKIM_DOMAIN']?.trim() ?? '';
  const selector = env['DKIM_SELECTOR']?.trim() ?? '';
  const key = env['DKIM_PRIVATE_KEY']?.trim() ?? '';
  if (!domain && !selector && !key) return undefined;
  const missing = [!domain && 'DKIM_DOMAIN', !selector && 'DKIM_SELECTOR', !key && 'DKIM_PRIVATE_KEY'].filter(Boolean);
  if (missing.length) throw new Error(`DKIM signing needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY together; missing ${missing.join(', ')}`);
  if (!DOMAIN.test(domain)) throw new Error(`DKIM_DOMAIN ${JSON.stringify(domain)} is not a domain name`);
  if (!SELECTOR.test(selector)) throw new Error(`DKIM_SELECTOR ${JSON.stringify(selector)} is not a selector (letters, digits, ".", "-", "_")`);
  return { domainName: domain.toLowerCase(), keySelector: selector, privateKey: readPrivateKey(key) };
}

function readPrivateKey(value: string): string {
  let pem: string;
  if (value.includes('-----BEGIN')) {
    pem = value.replace(/\\n/g, '\n');
  } else {
    try {
      pem = readFileSync(value, 'utf8');
    } catch (err) {
      throw new Error(`DKIM_PRIVATE_KEY is neither PEM text nor a readable file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  let type: string | undefined;
  try {
    type = createPrivateKey(pem).asymmetricKeyType;
  } catch {
    // Never the key itself in a message that may end up in a log.
    throw new Error('DKIM_PRIVATE_KEY does not hold a PEM private key');
  }
  // nodemailer signs rsa-sha256 only; with another key type it would send the mail unsigned without a word.
  if (type !== 'rsa') throw new Error(`DKIM_PRIVATE_KEY must be an RSA key (nodemailer signs rsa-sha256), not ${type ?? 'unknown'}`);
  return pem;
}

/** The DNS TXT record to publish for a key: `v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>`. */
export function dkimTxtRecord(privateKeyPem: string): string {
  const spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' });
  return `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
}
