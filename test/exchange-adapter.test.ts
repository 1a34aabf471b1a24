import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { startTcpRelay } from './support/tcp-relay.ts';
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { ReferenceAccountStore } from '../src/exchange/reference-store.ts';
import { registerReferenceCore } from '../src/exchange/core-server.ts';
import { ExchangeCoreError, HttpExchangeAccounts } from '../src/exchange/http-adapter.ts';
import { NonceCache, SIGNATURE_HEADERS, signRequest, verifySignedRequest } from '../src/exchange/signing.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { startApp } from './support/app.ts';
import { freePort } from './support/net.ts';
import { sha256Hex } from '../src/domain/secrets.ts';

const SECRET = 'kinkyu-test-secret-0123456789abcdefghij';

// ---- The signature scheme on its own (pure, injectable clock). ----

describe('request signing', () => {
  const req = { method: 'POST', path: '/kinkyu/v1/accounts/a1/lock', body: '{"lockId":"l1","reason":"x"}' };

  test('a signed request verifies once; the same nonce again is a replay', () => {
    const nonces = new NonceCache();
    const headers = signRequest(SECRET, req, { now: 1_000_000 });
    assert.match(headers[SIGNATURE_HEADERS.signature]!, /^[0-9a-f]{64}$/);
    assert.deepEqual(verifySignedRequest(SECRET, { ...req, headers }, { nonces, now: () => 1_000_500 }), { ok: true });
    assert.deepEqual(verifySignedRequest(SECRET, { ...req, headers }, { nonces, now: () => 1_000_600 }), { ok: false, reason: 'replayed' });
  });

  test('wrong secret, tampered body, path or method, stale or future timestamp, missing or malformed headers are refused', () => {
    const now = () => 1_000_000;
    const headers = signRequest(SECRET, req, { now: 1_000_000 });
    const check = (r: typeof req, h: Record<string, string>, secret = SECRET, clock = now) =>
      verifySignedRequest(secret, { ...r, headers: h }, { nonces: new NonceCache(), now: clock });
    assert.deepEqual(check(req, headers, SECRET.replace('k', 'K')), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(check({ ...req, body: req.body.replace('l1', 'l2') }, headers), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(check({ ...req, path: '/kinkyu/v1/accounts/a2/lock' }, headers), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(check({ ...req, method: 'GET' }, headers), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(check(req, headers, SECRET, () => 1_030_001), { ok: false, reason: 'stale' });
    assert.deepEqual(check(req, headers, SECRET, () => 969_999), { ok: false, reason: 'stale' });
    assert.deepEqual(check(req, headers, SECRET, () => 1_030_000), { ok: true }, 'the window edge is inside');
    const { [SIGNATURE_HEADERS.nonce]: _n, ...noNonce } = headers;
    assert.deepEqual(check(req, noNonce), { ok: false, reason: 'missing' });
    assert.deepEqual(check(req, { ...headers, [SIGNATURE_HEADERS.signature]: 'abc' }), { ok: false, reason: 'malformed' });
    assert.deepEqual(check(req, { ...headers, [SIGNATURE_HEADERS.timestamp]: '1e6' }), { ok: false, reason: 'malformed' });
  });

  test('the nonce memory stays bounded and still refuses replays of nonces it had to forget', () => {
    let now = 5_000_000;
    const nonces = new NonceCache(100);
    const sent: Array<Record<string, string>> = [];
    for (let i = 0; i < 1000; i++) {
      const h = signRequest(SECRET, req, { now });
      sent.push(h);
      assert.deepEqual(verifySignedRequest(SECRET, { ...req, headers: h }, { nonces, now: () => now }), { ok: true });
      now += 1;
    }
    assert.ok(nonces.size <= 100, `kept ${nonces.size}`);
    for (const h of [sent[0]!, sent[500]!, sent[999]!]) {
      assert.equal(verifySignedRequest(SECRET, { ...req, headers: h }, { nonces, now: () => now }).ok, false);
    }
    // Entries that left the window are dropped, and new requests are accepted again.
    now += 60_000;
    assert.deepEqual(verifySignedRequest(SECRET, { ...req, headers: signRequest(SECRET, req, { now }) }, { nonces, now: () => now }), { ok: true });
    assert.ok(nonces.size <= 2, `kept ${nonces.size} after the window`);
  });
});

// ---- The HTTP adapter against the reference store served over real HTTP. ----

interface Core {
  db: Db;
  store: ReferenceAccountStore;
  app: FastifyInstance;
  url: string;
  refused: string[];
}

async function startCore(): Promise<Core> {
  const db = await openMigratedDb();
  await migrate(db);
  const store = new ReferenceAccountStore(db);
  const app = Fastify();
  const refused: string[] = [];
  registerReferenceCore(app, store, { secret: SECRET, onRefused: (reason) => refused.push(reason) });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return { db, store, app, url: `http://127.0.0.1:${port}`, refused };
}

async function addSession(db: Db, accountId: string): Promise<void> {
  await db.query(`INSERT INTO user_sessions (token_hash, account_id, csrf_token, expires_at) VALUES ($1, $2, 'csrf', now() + interval '1 day')`, [
    sha256Hex(randomBytes(16).toString('hex')),
    accountId,
  ]);
}

/** Everything a lock changes, to show a refused request changed nothing. */
async function snapshot(db: Db, accountId: string): Promise<unknown> {
  return {
    account: await db.query(`SELECT locked_at, trading_blocked, withdrawals_blocked, withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [accountId]),
    sessions: await db.query(`SELECT token_hash, revoked_at FROM user_sessions WHERE account_id = $1 ORDER BY token_hash`, [accountId]),
    keys: await db.query(`SELECT id, revoked_at FROM xch_api_keys WHERE account_id = $1 ORDER BY id`, [accountId]),
    withdrawals: await db.query(`SELECT id, status FROM xch_withdrawals WHERE account_id = $1 ORDER BY id`, [accountId]),
  };
}

/** A hand-made signed request, for the refusals. */
function rawSigned(core: Core, method: 'GET' | 'POST', path: string, body: string, opts: { secret?: string; now?: number; nonce?: string; sendBody?: string } = {}) {
  const headers = signRequest(opts.secret ?? SECRET, { method, path, body }, { ...(opts.now !== undefined ? { now: opts.now } : {}), ...(opts.nonce ? { nonce: opts.nonce } : {}) });
  const sent = opts.sendBody ?? body;
  return fetch(core.url + path, { method, headers: { ...headers, ...(sent ? { 'content-type': 'application/json' } : {}) }, ...(sent ? { body: sent } : {}) });
}

describe('HTTP adapter ↔ reference core over HTTP', () => {
  let core: Core;
  let adapter: HttpExchangeAccounts;

  before(async () => {
    core = await startCore();
    adapter = new HttpExchangeAccounts({ baseUrl: core.url, secret: SECRET, timeoutMs: 2000 });
  });
  after(async () => {
    await core.app.close();
    await core.db.close();
  });

  test('findAccount by email (any case) and by id; unknown → null', async () => {
    const id = await core.store.createAccount('Find.Me@example.jp');
    await core.store.changeEmail(id, 'found@example.jp');
    const byEmail = await adapter.findAccount({ email: 'FOUND@example.jp' });
    assert.equal(byEmail?.id, id);
    assert.deepEqual(byEmail?.previousEmails, ['Find.Me@example.jp']);
    assert.deepEqual(await adapter.findAccount({ accountId: id }), byEmail);
    assert.deepEqual(byEmail, await core.store.findAccount({ accountId: id }), 'the same summary as the store itself');
    assert.equal(await adapter.findAccount({ email: 'nobody@example.jp' }), null);
    assert.equal(await adapter.findAccount({ accountId: 'no-such-account' }), null);
    assert.equal(await adapter.findAccount({}), null);
  });

  test('lock: sessions and API keys revoked, trading and withdrawals blocked, pending withdrawals cancelled; twice → not newly locked; unlock', async () => {
    const id = await core.store.createAccount(`lock-${Date.now()}@example.jp`);
    const key = await core.store.createApiKey(id, 'bot');
    await core.store.createApiKey(id, 'bot 2');
    await addSession(core.db, id);
    await addSession(core.db, id);
    await addSession(core.db, id);
    await core.store.requestWithdrawal(id, { asset: 'BTC', amount: '0.5', address: 'bc1qattacker' });

    const effects = await adapter.lock(id, { lockId: 'lock-1', reason: 'this wasn\'t me' });
    assert.deepEqual(effects, { newlyLocked: true, sessionsRevoked: 3, apiKeysRevoked: 2, withdrawalsCancelled: 1 });
    assert.equal(await core.store.accountForApiKey(key), null, 'the API key is refused');
    const [open] = await core.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_sessions WHERE account_id = $1 AND revoked_at IS NULL`, [id]);
    assert.equal(open?.n, 0);
    await assert.rejects(core.store.placeOrder(id, { pair: 'btc_jpy', side: 'sell', amount: '1' }), (e: KinkyuError) => e.params.rule === 'trading_blocked');
    await assert.rejects(core.store.requestWithdrawal(id, { asset: 'BTC', amount: '1', address: 'bc1q' }), (e: KinkyuError) => e.params.rule === 'withdrawals_blocked');
    const [w] = await adapter.recentWithdrawals(id, 10);
    assert.equal(w?.status, 'cancelled');
    const summary = await adapter.findAccount({ accountId: id });
    assert.equal(summary?.locked, true);
    assert.equal(summary?.tradingBlocked, true);
    assert.equal(summary?.withdrawalsBlocked, true);

    // The same lockId again (a retry) answers what the first did; a new lock on a locked account is not new.
    assert.deepEqual(await adapter.lock(id, { lockId: 'lock-1', reason: 'retry' }), effects);
    assert.deepEqual(await adapter.lock(id, { lockId: 'lock-2', reason: 'again' }), { newlyLocked: false, sessionsRevoked: 0, apiKeysRevoked: 0, withdrawalsCancelled: 0 });

    await adapter.unlock(id, { lockId: 'lock-1' });
    const unlocked = await adapter.findAccount({ accountId: id });
    assert.equal(unlocked?.locked, false);
    assert.equal(unlocked?.withdrawalsBlocked, false);
    await core.store.placeOrder(id, { pair: 'btc_jpy', side: 'buy', amount: '1' });
  });

  test('locking an unknown account is NOT_FOUND, as with the store itself', async () => {
    await assert.rejects(adapter.lock('no-such-account', { lockId: 'x', reason: 'y' }), (e: KinkyuError) => e instanceof KinkyuError && e.code === 'NOT_FOUND');
  });

  test('the separate operations: revoke sessions / keys, restrictions, cancel, hold withdrawals, sign-ins, withdrawals', async () => {
    const id = await core.store.createAccount(`ops-${Date.now()}@example.jp`);
    await addSession(core.db, id);
    await core.store.createApiKey(id);
    assert.equal(await adapter.revokeSessions(id), 1);
    assert.equal(await adapter.revokeSessions(id), 0);
    assert.equal(await adapter.revokeApiKeys(id), 1);

    await adapter.setRestrictions(id, { trading: true, withdrawals: false });
    let s = await adapter.findAccount({ accountId: id });
    assert.deepEqual([s?.tradingBlocked, s?.withdrawalsBlocked, s?.locked], [true, false, false]);
    await adapter.setRestrictions(id, { trading: false, withdrawals: false });

    await core.store.requestWithdrawal(id, { asset: 'ETH', amount: '2', address: '0xabc' });
    assert.equal(await adapter.cancelPendingWithdrawals(id, 'suspicious'), 1);

    const until = new Date(Date.now() + 24 * 3600_000);
    await adapter.holdWithdrawals(id, until);
    s = await adapter.findAccount({ accountId: id });
    assert.equal(s?.withdrawalHoldUntil, until.toISOString());
    await assert.rejects(core.store.requestWithdrawal(id, { asset: 'ETH', amount: '1', address: '0xabc' }), (e: KinkyuError) => e.params.rule === 'withdrawal_hold');

    await core.db.query(
      `INSERT INTO account_events (account_id, kind, at, ip, country, device) VALUES
        ($1, 'sign_in', now() - interval '2 minutes', '203.0.113.5', 'JP', 'iPhone'),
        ($1, 'sign_in_failed', now() - interval '1 minute', '198.51.100.7', 'BR', null),
        ($1, 'password_changed', now(), null, null, null)`,
      [id],
    );
    const signIns = await adapter.recentSignIns(id, 10);
    assert.deepEqual(signIns.map((x) => [x.success, x.country, x.ip, x.device]), [[false, 'BR', '198.51.100.7', null], [true, 'JP', '203.0.113.5', 'iPhone']]);
    assert.equal((await adapter.recentSignIns(id, 1)).length, 1);
    const withdrawals = await adapter.recentWithdrawals(id, 5);
    assert.deepEqual(withdrawals.map((w) => [w.asset, w.amount, w.status]), [['ETH', '2', 'cancelled']]);
    assert.deepEqual(withdrawals, await core.store.recentWithdrawals(id, 5));
  });

  test('recovery operations: list and remove withdrawal addresses, list and revoke API keys, one item at a time', async () => {
    const id = await core.store.createAccount(`recovery-${Date.now()}@example.jp`);
    const other = await core.store.createAccount(`recovery-other-${Date.now()}@example.jp`);
    const ownerAddress = await core.store.addWithdrawalAddress(id, { asset: 'BTC', address: 'bc1qowner000', holdMs: 0 });
    const attackerAddress = await core.store.addWithdrawalAddress(id, { asset: 'ETH', address: '0xattacker000', holdMs: 3_600_000 });
    const othersAddress = await core.store.addWithdrawalAddress(other, { asset: 'BTC', address: 'bc1qother000', holdMs: 0 });
    const ownerKey = await core.store.createApiKey(id, 'owner bot');
    const attackerKey = await core.store.createApiKey(id, 'attacker');
    const othersKey = await core.store.createApiKey(other, 'other');

    const addresses = await adapter.listWithdrawalAddresses(id);
    assert.deepEqual(addresses.map((a) => [a.asset, a.address]).sort(), [['BTC', 'bc1qowner000'], ['ETH', '0xattacker000']]);
    assert.deepEqual(addresses, await core.store.listWithdrawalAddresses(id), 'the same records as the store itself');
    const attacker = addresses.find((a) => a.id === attackerAddress)!;
    assert.ok(new Date(attacker.usableAfter) > new Date(attacker.createdAt), 'the hold is reported');

    // Another account's address cannot be removed through this one.
    assert.equal(await adapter.removeWithdrawalAddress(id, othersAddress), false);
    assert.equal((await core.store.listWithdrawalAddresses(other)).length, 1);
    assert.equal(await adapter.removeWithdrawalAddress(id, attackerAddress), true);
    assert.equal(await adapter.removeWithdrawalAddress(id, attackerAddress), false, 'a repeat is not an error');
    assert.deepEqual((await adapter.listWithdrawalAddresses(id)).map((a) => a.id), [ownerAddress]);
    // The removed address is off the account: a withdrawal to it is treated as one to a new address.
    await assert.rejects(
      core.store.requestWithdrawal(id, { asset: 'ETH', amount: '1', address: '0xattacker000' }, { newAddressHoldMs: 3_600_000 }),
      (e: KinkyuError) => e.params.rule === 'address_hold',
    );

    const keys = await adapter.listApiKeys(id);
    assert.deepEqual(keys.map((k) => [k.label, k.revokedAt]).sort(), [['attacker', null], ['owner bot', null]]);
    assert.ok(!JSON.stringify(keys).includes(attackerKey), 'never the key itself');
    const attackerKeyId = keys.find((k) => k.label === 'attacker')!.id;
    const othersKeyId = (await core.store.listApiKeys(other))[0]!.id;
    assert.equal(await adapter.revokeApiKey(id, othersKeyId), false);
    assert.equal(await core.store.accountForApiKey(othersKey), other, 'another account\'s key still works');
    assert.equal(await adapter.revokeApiKey(id, attackerKeyId), true);
    assert.equal(await adapter.revokeApiKey(id, attackerKeyId), false);
    assert.equal(await core.store.accountForApiKey(attackerKey), null, 'the revoked key is refused');
    assert.equal(await core.store.accountForApiKey(ownerKey), id, 'the other key still works');
    const after = await adapter.listApiKeys(id);
    assert.ok(after.find((k) => k.id === attackerKeyId)?.revokedAt, 'a revoked key is listed with its time');
    assert.equal(after.length, 2);

    // Bad input behind a good signature: 400, nothing changed.
    const listed = await core.store.listWithdrawalAddresses(id);
    assert.equal((await rawSigned(core, 'POST', `/kinkyu/v1/accounts/${id}/withdrawal-addresses/remove`, JSON.stringify({ addressId: 42 }))).status, 400);
    assert.equal((await rawSigned(core, 'POST', `/kinkyu/v1/accounts/${id}/api-keys/revoke`, JSON.stringify({}))).status, 400);
    assert.deepEqual(await core.store.listWithdrawalAddresses(id), listed);
    // Unsigned: 401, nothing said.
    const peek = await fetch(`${core.url}/kinkyu/v1/accounts/${id}/withdrawal-addresses`);
    assert.equal(peek.status, 401);
    assert.doesNotMatch(await peek.text(), /bc1q/);
    assert.equal((await fetch(`${core.url}/kinkyu/v1/accounts/${id}/api-keys/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ keyId: (await core.store.listApiKeys(id)).find((k) => k.label === 'owner bot')!.id }) })).status, 401);
    assert.equal(await core.store.accountForApiKey(ownerKey), id);
  });

  test('removing an address is retried once after a network error, with a fresh signature', async () => {
    const id = await core.store.createAccount(`remove-retry-${Date.now()}@example.jp`);
    const addressId = await core.store.addWithdrawalAddress(id, { asset: 'BTC', address: 'bc1qretry000', holdMs: 0 });
    let calls = 0;
    let failNext = 1;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (failNext-- > 0) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const a = new HttpExchangeAccounts({ baseUrl: core.url, secret: SECRET, fetch: flaky });
    assert.equal(await a.removeWithdrawalAddress(id, addressId), true);
    assert.equal(calls, 2);
    assert.deepEqual(await core.store.listWithdrawalAddresses(id), []);
  });

  test('restoreEmail: back to the owner\'s address, the attacker\'s are no longer previous addresses; refused when taken; idempotent, retried once', async () => {
    const tag = Date.now();
    const owner = `Owner-${tag}@example.jp`;
    const id = await core.store.createAccount(owner);
    await core.store.changeEmail(id, `evil-one-${tag}@evil.example`);
    await core.store.changeEmail(id, `evil-two-${tag}@evil.example`);
    const other = await core.store.createAccount(`taken-${tag}@example.jp`);
    assert.deepEqual((await adapter.findAccount({ accountId: id }))?.previousEmails.sort(), [owner, `evil-one-${tag}@evil.example`].sort());

    // Another account has the address now: refused, as the store itself refuses, and nothing changes.
    const before = await adapter.findAccount({ accountId: id });
    await assert.rejects(adapter.restoreEmail(id, { email: `taken-${tag}@example.jp`, reason: 'recovery' }), (e: unknown) =>
      e instanceof KinkyuError && e.code === 'CONFLICT' && e.params.rule === 'email_taken');
    await assert.rejects(core.store.restoreEmail(id, { email: `TAKEN-${tag}@example.jp`, reason: 'recovery' }), (e: unknown) =>
      e instanceof KinkyuError && e.code === 'CONFLICT' && e.params.rule === 'email_taken');
    assert.deepEqual(await adapter.findAccount({ accountId: id }), before);
    assert.equal((await adapter.findAccount({ accountId: other }))?.email, `taken-${tag}@example.jp`);

    assert.deepEqual(await adapter.restoreEmail(id, { email: owner, reason: 'takeover recovery' }), { changed: true });
    const restored = await adapter.findAccount({ accountId: id });
    assert.equal(restored?.email, owner);
    assert.deepEqual(restored?.previousEmails, [], 'lock links no longer go to either of the attacker\'s addresses');
    assert.equal((await adapter.findAccount({ email: owner.toUpperCase() }))?.id, id);
    assert.equal(await adapter.findAccount({ email: `evil-two-${tag}@evil.example` }), null);
    assert.deepEqual(await adapter.restoreEmail(id, { email: owner.toLowerCase(), reason: 'again' }), { changed: false }, 'a repeat is not an error');
    assert.deepEqual(await core.store.findAccount({ accountId: id }), restored, 'the same summary as the store itself');

    await assert.rejects(adapter.restoreEmail('no-such-account', { email: `nobody-${tag}@example.jp`, reason: 'x' }), (e: unknown) => e instanceof KinkyuError && e.code === 'NOT_FOUND');
    // Bad input behind a good signature is 400; unsigned is 401; neither changes anything.
    const path = `/kinkyu/v1/accounts/${id}/email/restore`;
    assert.equal((await rawSigned(core, 'POST', path, JSON.stringify({ email: 'not an address', reason: 'x' }))).status, 400);
    assert.equal((await rawSigned(core, 'POST', path, JSON.stringify({ email: 42 }))).status, 400);
    const unsigned = await fetch(core.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `evil-two-${tag}@evil.example`, reason: 'x' }) });
    assert.equal(unsigned.status, 401);
    assert.equal((await adapter.findAccount({ accountId: id }))?.email, owner);

    // Idempotent, so retried once (freshly signed) when the request never reached the core.
    await core.store.changeEmail(id, `evil-three-${tag}@evil.example`);
    let calls = 0;
    let failNext = 1;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (failNext-- > 0) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    const a = new HttpExchangeAccounts({ baseUrl: core.url, secret: SECRET, fetch: flaky });
    assert.deepEqual(await a.restoreEmail(id, { email: owner, reason: 'retry' }), { changed: true });
    assert.equal(calls, 2);
    assert.equal((await core.store.findAccount({ accountId: id }))?.email, owner);
  });

  test('bad signatures are refused with 401 and never touch the store', async () => {
    const id = await core.store.createAccount(`sig-${Date.now()}@example.jp`);
    await core.store.createApiKey(id);
    await addSession(core.db, id);
    await core.store.requestWithdrawal(id, { asset: 'BTC', amount: '1', address: 'bc1q' });
    const before = await snapshot(core.db, id);
    const path = `/kinkyu/v1/accounts/${id}/lock`;
    const body = JSON.stringify({ lockId: 'evil', reason: 'x' });

    // Wrong secret, through the adapter itself: a clear error naming the refusal.
    const wrong = new HttpExchangeAccounts({ baseUrl: core.url, secret: SECRET.replace('k', 'K'), timeoutMs: 2000 });
    await assert.rejects(wrong.lock(id, { lockId: 'evil', reason: 'x' }), (e: ExchangeCoreError) => e instanceof ExchangeCoreError && e.status === 401 && /refused POST \/kinkyu\/v1\/accounts\/.+\/lock: HTTP 401/.test(e.message));
    assert.equal((await rawSigned(core, 'POST', path, body, { secret: 'another-secret-that-is-long-enough-0123' })).status, 401);
    // Tampered body: signed one thing, sent another.
    assert.equal((await rawSigned(core, 'POST', path, JSON.stringify({ lockId: 'a', reason: 'x' }), { sendBody: body })).status, 401);
    // Stale and future timestamps.
    assert.equal((await rawSigned(core, 'POST', path, body, { now: Date.now() - 60_000 })).status, 401);
    assert.equal((await rawSigned(core, 'POST', path, body, { now: Date.now() + 60_000 })).status, 401);
    // No signature at all.
    assert.equal((await fetch(core.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 401);
    // A read is refused too, and says nothing.
    const peek = await fetch(`${core.url}/kinkyu/v1/accounts?id=${id}`);
    assert.equal(peek.status, 401);
    assert.doesNotMatch(await peek.text(), /example\.jp/);
    // Another route's signature does not open this one.
    const other = signRequest(SECRET, { method: 'POST', path: `/kinkyu/v1/accounts/${id}/unlock`, body });
    assert.equal((await fetch(core.url + path, { method: 'POST', headers: { ...other, 'content-type': 'application/json' }, body })).status, 401);

    assert.deepEqual(await snapshot(core.db, id), before, 'nothing changed');
    assert.equal((await adapter.findAccount({ accountId: id }))?.locked, false);
    assert.ok(core.refused.includes('bad_signature') && core.refused.includes('stale') && core.refused.includes('missing'));
  });

  test('a replayed request (same nonce) is refused and changes nothing', async () => {
    const id = await core.store.createAccount(`replay-${Date.now()}@example.jp`);
    const path = `/kinkyu/v1/accounts/${id}/restrictions`;
    const body = JSON.stringify({ trading: true, withdrawals: true });
    const headers = { ...signRequest(SECRET, { method: 'POST', path, body }), 'content-type': 'application/json' };
    assert.equal((await fetch(core.url + path, { method: 'POST', headers, body })).status, 200);
    await adapter.setRestrictions(id, { trading: false, withdrawals: false });
    const before = await snapshot(core.db, id);
    const replay = await fetch(core.url + path, { method: 'POST', headers, body });
    assert.equal(replay.status, 401);
    assert.deepEqual(await snapshot(core.db, id), before);
    assert.equal((await adapter.findAccount({ accountId: id }))?.tradingBlocked, false);
    assert.ok(core.refused.includes('replayed'));
  });

  test('bad input behind a good signature is 400, not a crash', async () => {
    const id = await core.store.createAccount(`input-${Date.now()}@example.jp`);
    const res = await rawSigned(core, 'POST', `/kinkyu/v1/accounts/${id}/restrictions`, JSON.stringify({ trading: 'yes', withdrawals: true }));
    assert.equal(res.status, 400);
    assert.equal((await rawSigned(core, 'POST', `/kinkyu/v1/accounts/${id}/lock`, '{not json')).status, 400);
    assert.equal((await rawSigned(core, 'GET', `/kinkyu/v1/accounts/${id}/sign-ins?limit=0`, '')).status, 400);
    assert.equal((await adapter.findAccount({ accountId: id }))?.tradingBlocked, false);
  });

  test('idempotent calls are retried once after a network error, others are not', async () => {
    const id = await core.store.createAccount(`retry-${Date.now()}@example.jp`);
    let calls = 0;
    let failNext = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (failNext > 0) {
        failNext--;
        throw new TypeError('fetch failed');
      }
      return fetch(input, init);
    };
    const a = new HttpExchangeAccounts({ baseUrl: core.url, secret: SECRET, fetch: flaky });
    failNext = 1;
    assert.equal((await a.lock(id, { lockId: 'retry-lock', reason: 'x' })).newlyLocked, true);
    assert.equal(calls, 2, 'the lock was tried twice, with a fresh signature (a replayed nonce would be refused)');
    calls = 0;
    failNext = 2;
    await assert.rejects(a.lock(id, { lockId: 'retry-lock-2', reason: 'x' }), (e: Error) => e instanceof ExchangeCoreError && /unreachable/.test(e.message));
    assert.equal(calls, 2, 'only once more');
    calls = 0;
    failNext = 1;
    await assert.rejects(a.revokeSessions(id), ExchangeCoreError);
    assert.equal(calls, 1, 'revoking sessions is not retried (its count would be wrong)');
  });

  test('misconfiguration is refused up front', () => {
    assert.throws(() => new HttpExchangeAccounts({ baseUrl: core.url, secret: 'short' }), /EXCHANGE_CORE_SECRET/);
    assert.throws(() => new HttpExchangeAccounts({ baseUrl: 'not a url', secret: SECRET }), /EXCHANGE_CORE_URL/);
    assert.throws(() => registerReferenceCore(Fastify(), core.store, { secret: 'short' }), /32/);
  });
});

describe('HTTP adapter against a core that never answers', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer(() => {
      // Accepts the request and never answers.
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('times out with a clear error', async () => {
    const adapter = new HttpExchangeAccounts({ baseUrl: url, secret: SECRET, timeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(adapter.lock('a1', { lockId: 'l', reason: 'r' }), (e: Error) => e instanceof ExchangeCoreError && /did not answer POST \/kinkyu\/v1\/accounts\/a1\/lock within 200 ms/.test(e.message));
    const took = Date.now() - started;
    assert.ok(took < 2000, `took ${took} ms`);
    await assert.rejects(adapter.findAccount({ email: 'a@example.jp' }), /within 200 ms/);
  });

  test('an unreachable core is a clear error too', async () => {
    const adapter = new HttpExchangeAccounts({ baseUrl: `http://127.0.0.1:${await freePort()}`, secret: SECRET, timeoutMs: 500 });
    await assert.rejects(adapter.findAccount({ accountId: 'a1' }), /exchange core unreachable for GET \/kinkyu\/v1\/accounts/);
  });
});

describe('kinkyu with EXCHANGE_CORE_URL: the emergency lock goes through the exchange core over HTTP', () => {
  let core: Core;
  before(async () => {
    core = await startCore();
  });
  after(async () => {
    await core.app.close();
    await core.db.close();
  });

  test('app.lock.lock locks the account in the core', async () => {
    const app = await startApp({ demo: false, config: { exchangeCoreUrl: core.url, exchangeCoreSecret: SECRET, exchangeCoreTimeoutMs: 3000 } });
    try {
      assert.ok(app.accounts instanceof HttpExchangeAccounts);
      const email = `e2e-${Date.now()}@example.jp`;
      const id = await core.store.createAccount(email);
      const key = await core.store.createApiKey(id);
      await addSession(core.db, id);
      await core.store.requestWithdrawal(id, { asset: 'BTC', amount: '0.1', address: 'bc1qx' });
      // The account exists only in the core: kinkyu's own records must not need it locally (migration 010).

      const result = await app.lock.lock(id, { source: 'staff', reason: 'e2e over HTTP', actor: SYSTEM_ACTOR });
      assert.deepEqual(result.effects, { newlyLocked: true, sessionsRevoked: 1, apiKeysRevoked: 1, withdrawalsCancelled: 1 });
      const inCore = await core.store.findAccount({ accountId: id });
      assert.equal(inCore?.locked, true);
      assert.equal(inCore?.tradingBlocked, true);
      assert.equal(inCore?.withdrawalsBlocked, true);
      assert.equal(await core.store.accountForApiKey(key), null);
      const local = await app.db.query(`SELECT 1 FROM xch_accounts WHERE id = $1`, [id]);
      assert.equal(local.length, 0, 'the account lives in the core only');
      const [record] = await app.db.query(`SELECT * FROM account_locks WHERE id = $1`, [result.lockId]);
      assert.equal(record?.api_keys_revoked, 1);
      assert.ok(result.ticketNumber, 'the urgent security ticket is opened');
      assert.deepEqual(core.refused, []);
    } finally {
      await app.stop();
    }
  });

  test('the core is down: the lock link is journalled and the page says the lock is pending; once the core is back the reconciler locks and records it once', async () => {
    // A TCP relay in front of the core that drops every connection while "down": a real network fault.
    const relay = await startTcpRelay(Number(new URL(core.url).port), { down: true });
    const relayPort = relay.port;
    let offset = 0;
    const app = await startApp({ demo: false, clock: () => new Date(Date.now() + offset), config: { exchangeCoreUrl: `http://127.0.0.1:${relayPort}`, exchangeCoreSecret: SECRET, exchangeCoreTimeoutMs: 1000 } });
    try {
      const email = `down-${Date.now()}@example.jp`;
      const id = await core.store.createAccount(email);
      await core.store.createApiKey(id);
      const token = (await app.lock.issueLockLink(id, email, 'new_sign_in')).split('/lock/')[1]!;
      const res = await fetch(`${app.baseUrl}/lock/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' }, body: 'lang=ja' });
      const page = await res.text();
      assert.equal(res.status, 503);
      assert.match(page, /ロックのご依頼は記録しました/);
      assert.doesNotMatch(page, /アカウントをロックしました/, 'never "locked" for what the exchange did not confirm');
      assert.equal((await core.store.findAccount({ accountId: id }))?.locked, false);
      const [intent] = await app.db.query<{ effective_at: Date | null; attempts: number }>(`SELECT effective_at, attempts FROM lock_intents WHERE account_id = $1`, [id]);
      assert.equal(intent?.effective_at, null);
      assert.equal(intent?.attempts, 1);

      // The help center accepts a request for lock links while the core is down ("sent" is durable): the links
      // go out once the core answers.
      const asked = await fetch(`${app.baseUrl}/help/lock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' }, body: new URLSearchParams({ identifier: email }).toString() });
      assert.equal(asked.status, 200);
      await app.lock.settled();
      const links = async () => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND text_body LIKE '%/lock/%'`, [email]))[0]!.n;
      assert.equal(await links(), 0, 'no link while the account cannot be looked up');

      // Still down: a reconciler pass changes nothing and counts the attempt.
      offset += 3_000;
      assert.equal(await app.lock.reconcile(), 0);
      relay.setDown(false);
      offset += 10_000;
      assert.equal(await app.lock.reconcile(), 2, 'the lock recorded and the help-center request carried out');
      assert.equal(await app.lock.reconcile({}), 0, 'each once');
      assert.equal(await links(), 1, 'the accepted request sent its lock link');
      assert.equal((await core.store.findAccount({ accountId: id }))?.locked, true);
      const [record] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM account_locks WHERE account_id = $1`, [id]);
      assert.equal(record!.n, 1);
      const [mail] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%ロックしました%'`, [email]);
      assert.equal(mail!.n, 1, 'the user hears that the account is now locked');
    } finally {
      await app.stop();
      relay.close();
    }
  });

  test('SERVE_REFERENCE_CORE mounts the core on the app itself, signed like any other', async () => {
    const app = await startApp({ demo: false, config: { serveReferenceCore: true, exchangeCoreSecret: SECRET } });
    try {
      const id = await app.referenceStore!.createAccount(`self-${Date.now()}@example.jp`);
      const adapter = new HttpExchangeAccounts({ baseUrl: app.baseUrl, secret: SECRET });
      assert.equal((await adapter.findAccount({ accountId: id }))?.id, id);
      assert.equal((await fetch(`${app.baseUrl}/kinkyu/v1/accounts?id=${id}`)).status, 401);
      // The raw-body parser is scoped to the core: the rest of the app still parses JSON as before.
      const res = await fetch(`${app.baseUrl}/staff/login`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email: 'x@example.jp', password: 'wrong password!' }) });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { code: string }).code, 'BAD_CREDENTIALS');
    } finally {
      await app.stop();
    }
  });
});
