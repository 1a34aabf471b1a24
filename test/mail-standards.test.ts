import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { createSmtpTransport, enqueueMail } from '../src/mail/outbox.ts';
import { startMailWorker, type MailWorker } from '../src/mail/sender.ts';
import { dkimTxtRecord, parseDkimConfig, type DkimOptions } from '../src/mail/dkim.ts';
import { fromHeader, mailFromSettings } from '../src/mail/from.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';

const DOMAIN = 'example.jp';
const FROM = mailFromSettings({ mailFrom: 'support@example.jp', exchangeNameJa: 'デモ取引所', exchangeNameEn: 'Demo Exchange', defaultLang: 'ja' });

function rsaKeyPem(bits = 2048): string {
  return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** A DNS stub that knows one DKIM key record: what mailauth asks a resolver for. */
function dnsWith(name: string, txt: string) {
  return async (query: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && query.toLowerCase() === name.toLowerCase()) {
      // A TXT record is a list of strings of at most 255 characters each.
      return [txt.match(/.{1,255}/g) ?? []];
    }
    throw Object.assign(new Error(`no ${type} record for ${query}`), { code: 'ENOTFOUND' });
  };
}

describe('mail standards: sender name, automatic headers, DKIM', () => {
  let db: Db;
  let smtp: SmtpTestServer;
  let key: string;
  let dkim: DkimOptions;
  let worker: MailWorker;

  before(async () => {
    db = await openDb({});
    await migrate(db);
    smtp = await startSmtpServer();
    key = rsaKeyPem();
    const config = parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 'kinkyu2026', DKIM_PRIVATE_KEY: key.replace(/\n/g, '\\n') });
    assert.ok(config);
    dkim = config;
    worker = startMailWorker(db, createSmtpTransport(smtp.url, { dkim }), { from: FROM, pollMs: 50 });
  });
  after(async () => {
    await worker.stop();
    await smtp.stop();
    await db.close();
  });

  async function send(mail: Parameters<typeof enqueueMail>[1]): Promise<ReceivedMail> {
    const id = await db.transaction((tx) => enqueueMail(tx, mail, { domain: DOMAIN }));
    await worker.drain();
    return smtp.waitFor((m) => m.messageId === id);
  }

  test('the sender display name follows the mail language; the address stays the same', async () => {
    const ja = await send({ to: 'ja@example.net', subject: 'お知らせ', text: '本文', lang: 'ja' });
    const en = await send({ to: 'en@example.net', subject: 'Notice', text: 'Body', lang: 'en' });
    assert.match(ja.from, /^"?デモ取引所"? <support@example\.jp>$/);
    assert.match(en.from, /^"?Demo Exchange"? <support@example\.jp>$/);
    assert.equal(ja.envelopeFrom, 'support@example.jp');
    assert.equal(en.envelopeFrom, 'support@example.jp');
  });

  test('automatic mail says so (RFC 3834, and to Exchange); a staff reply does not', async () => {
    const auto = await send({ to: 'auto@example.net', subject: '受付', text: '受け付けました', lang: 'ja' });
    assert.equal(auto.headers['auto-submitted'], 'auto-generated');
    assert.equal(auto.headers['x-auto-response-suppress'], 'OOF, AutoReply');
    const staff = await send({ to: 'staff@example.net', subject: '回答', text: '担当者からの回答です', lang: 'ja', origin: 'staff' });
    assert.equal(staff.headers['auto-submitted'], undefined);
    assert.equal(staff.headers['x-auto-response-suppress'], undefined);
  });

  test('with DKIM configured every message is signed, and a DKIM verifier (mailauth) passes it against the published key', async () => {
    const mail = await send({ to: 'dkim@example.net', subject: '【重要】出金保留のお知らせ', text: '2026年12月7日 02:39 JST まで出金を保留します。\n'.repeat(20), lang: 'ja' });
    assert.match(mail.raw, /^DKIM-Signature: /m);
    const record = dkimTxtRecord(key);
    assert.match(record, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
    const resolver = dnsWith(`kinkyu2026._domainkey.${DOMAIN}`, record);
    const { results } = await dkimVerify(mail.bytes, { resolver });
    assert.equal(results.length, 1);
    assert.equal(results[0]?.status.result, 'pass', JSON.stringify(results[0]?.status));
    assert.equal(results[0]?.signingDomain, DOMAIN);
    assert.equal(results[0]?.selector, 'kinkyu2026');

    // The same message with one changed byte of its body, or checked against another key, fails.
    const tampered = Buffer.from(mail.bytes.toString('latin1').replace(/\r\n\r\n([A-Za-z0-9+/])/, '\r\n\r\nX$1'), 'latin1');
    assert.notEqual((await dkimVerify(tampered, { resolver })).results[0]?.status.result, 'pass');
    const otherKey = dnsWith(`kinkyu2026._domainkey.${DOMAIN}`, dkimTxtRecord(rsaKeyPem()));
    assert.equal((await dkimVerify(mail.bytes, { resolver: otherKey })).results[0]?.status.result, 'fail');
  });

  test('DKIM settings: all three or none, a PEM or a file, RSA only, the key never in an error', () => {
    assert.equal(parseDkimConfig({}), undefined);
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: DOMAIN }), /missing DKIM_SELECTOR, DKIM_PRIVATE_KEY/);
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: 'not a domain', DKIM_SELECTOR: 's', DKIM_PRIVATE_KEY: key }), /DKIM_DOMAIN/);
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 'a;b', DKIM_PRIVATE_KEY: key }), /DKIM_SELECTOR/);
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-dkim-'));
    const file = join(dir, 'dkim.pem');
    writeFileSync(file, key);
    assert.equal(parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: file })?.privateKey, key);
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: join(dir, 'missing.pem') }), /neither PEM text nor a readable file/);
    const garbled = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----';
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: garbled }), (err: Error) => {
      assert.match(err.message, /does not hold a PEM private key/);
      assert.doesNotMatch(err.message, /c2VjcmV0/);
      return true;
    });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    assert.throws(() => parseDkimConfig({ DKIM_DOMAIN: DOMAIN, DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: ed }), /RSA key/);
  });

  test('MAIL_FROM: a display name written there is the Japanese one; MAIL_FROM_NAME_* win', () => {
    const written = mailFromSettings({ mailFrom: 'bitbank サポート <support@bitbank.example>', exchangeNameJa: 'ビットバンク', exchangeNameEn: 'bitbank', defaultLang: 'ja' });
    assert.deepEqual(fromHeader(written, 'ja'), { name: 'bitbank サポート', address: 'support@bitbank.example' });
    assert.deepEqual(fromHeader(written, 'en'), { name: 'bitbank', address: 'support@bitbank.example' });
    assert.deepEqual(fromHeader(written, null), { name: 'bitbank サポート', address: 'support@bitbank.example' });
    const named = mailFromSettings({ mailFrom: '"X" <a@b.example>', mailFromNameJa: 'サポート窓口', mailFromNameEn: 'Support desk', exchangeNameJa: 'x', exchangeNameEn: 'x', defaultLang: 'en' });
    assert.deepEqual([fromHeader(named, 'ja').name, fromHeader(named, 'en').name, fromHeader(named, undefined).name], ['サポート窓口', 'Support desk', 'Support desk']);
  });
});
