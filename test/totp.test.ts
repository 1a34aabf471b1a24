import { openMigratedDb } from './support/test-db.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from 'otpauth';
import { matchTotpStep, totpCode, totpUri, generateTotpSecret, totpStep, verifyAndConsumeTotp } from '../src/security-center/totp.ts';
import { migrate } from '../src/store/migrate.ts';

// RFC 6238 Appendix B: the seeds are the ASCII strings below (20, 32 and 64 bytes), 8 digits, 30 s steps.
const SEED1 = Secret.fromHex(Buffer.from('12345678901234567890').toString('hex')).base32;
const SEED256 = Secret.fromHex(Buffer.from('12345678901234567890123456789012').toString('hex')).base32;
const SEED512 = Secret.fromHex(Buffer.from('1234567890123456789012345678901234567890123456789012345678901234').toString('hex')).base32;

const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('RFC 6238 Appendix B vectors (SHA-1, SHA-256, SHA-512, 8 digits)', () => {
  for (const [seconds, sha1, sha256, sha512] of VECTORS) {
    const at = new Date(seconds * 1000);
    assert.equal(totpCode(SEED1, at, { algorithm: 'SHA1', digits: 8 }), sha1, `SHA-1 at ${seconds}`);
    assert.equal(totpCode(SEED256, at, { algorithm: 'SHA256', digits: 8 }), sha256, `SHA-256 at ${seconds}`);
    assert.equal(totpCode(SEED512, at, { algorithm: 'SHA512', digits: 8 }), sha512, `SHA-512 at ${seconds}`);
    assert.equal(matchTotpStep(SEED1, sha1, at, { algorithm: 'SHA1', digits: 8 }), Math.floor(seconds / 30));
  }
});

test('the otpauth URI names the issuer and uses SHA-1, 6 digits, 30 s', () => {
  const secret = generateTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = totpUri(secret, 'デモ取引所', 'user@example.jp');
  assert.match(uri, /^otpauth:\/\/totp\//);
  const u = new URL(uri);
  assert.equal(u.searchParams.get('issuer'), 'デモ取引所');
  assert.equal(u.searchParams.get('secret'), secret);
  assert.equal(u.searchParams.get('algorithm'), 'SHA1');
  assert.equal(u.searchParams.get('digits'), '6');
  assert.equal(u.searchParams.get('period'), '30');
});

test('±1 step is accepted, ±2 refused, a used step (or an older one) never again', async () => {
  const db = await openMigratedDb();
  try {
    await migrate(db);
    await db.query(`INSERT INTO xch_accounts (id, email, email_key) VALUES ('a1', 'a@example.jp', 'a@example.jp')`);
    await db.query(`INSERT INTO user_credentials (account_id, password_hash) VALUES ('a1', 'x')`);
    const secret = generateTotpSecret();
    const now = new Date('2026-11-25T05:00:10Z');
    const step = (n: number) => new Date(now.getTime() + n * 30_000);
    assert.equal(matchTotpStep(secret, totpCode(secret, step(-1)), now), totpStep(now) - 1);
    assert.equal(matchTotpStep(secret, totpCode(secret, step(1)), now), totpStep(now) + 1);
    assert.equal(matchTotpStep(secret, totpCode(secret, step(-2)), now), null);
    assert.equal(matchTotpStep(secret, totpCode(secret, step(2)), now), null);
    assert.equal(matchTotpStep(secret, 'abcdef', now), null);

    const code = totpCode(secret, now);
    assert.equal(await verifyAndConsumeTotp(db, 'a1', secret, code, now), true);
    assert.equal(await verifyAndConsumeTotp(db, 'a1', secret, code, now), false, 'replay refused');
    assert.equal(await verifyAndConsumeTotp(db, 'a1', secret, totpCode(secret, step(-1)), now), false, 'an older step refused');
    assert.equal(await verifyAndConsumeTotp(db, 'a1', secret, totpCode(secret, step(1)), now), true, 'the next step works');
    assert.equal(await verifyAndConsumeTotp(db, 'a1', secret, code, step(1)), false);
  } finally {
    await db.close();
  }
});
