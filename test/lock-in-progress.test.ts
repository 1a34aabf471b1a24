/**
 * The staff account page while a lock is journalled but not yet recorded: kinkyu reaches the exchange core over
 * signed HTTP (the reference core on loopback) through a TCP relay that drops every connection while "down" — a
 * real network fault. The page must still open, say plainly that the lock is in progress and not confirmed (how
 * many attempts, the last error, the next try, in JST), in Japanese and English and in its JSON view, and show the
 * lock as done once the core is back and the reconciler has finished it. The app's clock is fixed
 * (2026-03-10 12:00 JST) and moved by the test; the periodic reconciler is stopped so that only the test's own
 * passes retry.
 */
import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTcpRelay, type TcpRelay } from './support/tcp-relay.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { ReferenceAccountStore } from '../src/exchange/reference-store.ts';
import { registerReferenceCore } from '../src/exchange/core-server.ts';
import { newId } from '../src/store/ids.ts';
import { makeStaff, StaffClient, startApp, type RunningApp } from './support/app.ts';
import { freePort } from './support/net.ts';

const SECRET = 'kinkyu-test-secret-0123456789abcdefghij';
const MIN = 60_000;
const START = Date.parse('2026-03-10T03:00:00Z');
let offset = 0;

let coreDb: Db;
let core: FastifyInstance;
let coreStore: ReferenceAccountStore;
let relay: TcpRelay;
/** Down: new connections are dropped and the open ones (kept alive by the adapter's HTTP client) are cut. */
const setDown = (value: boolean) => relay.setDown(value);
let app: RunningApp;
let staff: StaffClient;

before(async () => {
  coreDb = await openMigratedDb();
  await migrate(coreDb);
  coreStore = new ReferenceAccountStore(coreDb);
  core = Fastify();
  registerReferenceCore(core, coreStore, { secret: SECRET });
  const corePort = await freePort();
  await core.listen({ host: '127.0.0.1', port: corePort });
  relay = await startTcpRelay(corePort, { down: true });
  const relayPort = relay.port;
  app = await startApp({
    demo: false,
    clock: () => new Date(START + offset),
    config: { exchangeCoreUrl: `http://127.0.0.1:${relayPort}`, exchangeCoreSecret: SECRET, exchangeCoreTimeoutMs: 1000 },
  });
  await app.lock.stop();
  staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'security'));
});
after(async () => {
  await app.stop();
  relay.close();
  await core.close();
  await coreDb.close();
});

const page = (id: string, lang: 'ja' | 'en' = 'ja') =>
  fetch(`${app.baseUrl}/staff/accounts/${id}`, { headers: { cookie: staff.cookie, 'accept-language': lang } });

interface PageJson {
  account: { email: string; locked: boolean } | null;
  exchangeUnavailable: boolean;
  locksInProgress: Array<{ source: string; reason: string; attempts: number; lastError: string | null; nextAttemptAt: string; confirmedAt: string | null }>;
  locks: unknown[];
}

describe('a lock the exchange has not confirmed yet, on the staff account page', () => {
  test('the core is down: the staff lock is journalled and the page shows it in progress with attempts, last error and next try; once the core is back it shows the lock', async () => {
    setDown(true);
    offset = 0;
    const email = `pending-${Date.now()}@example.jp`;
    const id = await coreStore.createAccount(email);

    // Lock first, even though the exchange cannot be asked whether the account exists.
    const locked = await staff.postForm(`/staff/accounts/${id}/lock`, { reason: 'owner called: phishing' });
    assert.equal(locked.status, 503);
    const refused = await locked.text();
    assert.match(refused, /ロックの依頼は記録しましたが、取引所がまだロックを確認していません。/);
    assert.doesNotMatch(refused, /アカウントをロックしました。/, 'never "locked" for what the exchange did not confirm');
    assert.match(refused, /ロック処理中: 取引所がまだロックを確認していません — これまでの試行 1 回 · 次の試行: 2026年3月10日 12:00 JST/);

    const ja = await page(id);
    assert.equal(ja.status, 200, 'the page opens although the exchange cannot be reached');
    const jaText = await ja.text();
    assert.match(jaText, /id="exchange-unavailable">取引所のシステムに接続できないため/);
    assert.match(jaText, /<strong>ロック処理中 \(取引所の確認待ち\)<\/strong>/);
    assert.match(jaText, /id="lock-in-progress" role="status"/);
    assert.match(jaText, /最後のエラー: <code>exchange core unreachable for POST \/kinkyu\/v1\/accounts\/[\w-]+\/lock: fetch failed<\/code>/);
    assert.match(jaText, /受付: 2026年3月10日 12:00 JST · スタッフ · 理由: owner called: phishing · チケット #\d+/);
    assert.doesNotMatch(jaText, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw ISO times');
    assert.doesNotMatch(jaText, /ロックの履歴はありません。[\s\S]*この期間/, 'no recovery section for a lock not yet recorded');

    // The reconciler tries again five minutes later, still in vain: the count and the next try move on.
    offset = 5 * MIN;
    assert.equal(await app.lock.reconcile(), 0);
    const en = await (await page(id, 'en')).text();
    assert.match(en, /Lock in progress: the exchange has not confirmed it yet — attempts so far: 2 · next try at Mar 10, 2026, 12:05 JST/);
    assert.match(en, /Last error: <code>exchange core unreachable/);
    assert.match(en, /Asked for at Mar 10, 2026, 12:00 JST · staff · reason: owner called: phishing/);

    const json = (await (await fetch(`${app.baseUrl}/staff/accounts/${id}`, { headers: { cookie: staff.cookie, accept: 'application/json' } })).json()) as PageJson;
    assert.equal(json.account, null);
    assert.equal(json.exchangeUnavailable, true);
    assert.equal(json.locksInProgress.length, 1);
    const [intent] = json.locksInProgress;
    assert.deepEqual([intent!.source, intent!.reason, intent!.attempts, intent!.confirmedAt], ['staff', 'owner called: phishing', 2, null]);
    assert.match(intent!.lastError ?? '', /unreachable/);
    assert.ok(Date.parse(intent!.nextAttemptAt) > START + 5 * MIN, 'the next try is after this pass');
    assert.equal((await coreStore.findAccount({ accountId: id }))?.locked, false, 'the exchange has not locked it');

    // The core is back: the next pass locks and records it, and the page shows the lock, not "in progress".
    setDown(false);
    offset = 10 * MIN;
    assert.equal(await app.lock.reconcile(), 1);
    assert.equal((await coreStore.findAccount({ accountId: id }))?.locked, true);
    const after = await (await page(id)).text();
    assert.doesNotMatch(after, /id="lock-in-progress"/);
    assert.doesNotMatch(after, /id="exchange-unavailable"/);
    assert.match(after, /<strong>ロック中<\/strong>/);
    assert.match(after, /2026年3月10日 12:10 JST · スタッフ · セッション 0 \/ APIキー 0 \/ 出金取消 0/, 'in the lock history, dated when the exchange locked it');
    const done = (await (await fetch(`${app.baseUrl}/staff/accounts/${id}`, { headers: { cookie: staff.cookie, accept: 'application/json' } })).json()) as PageJson;
    assert.deepEqual([done.locksInProgress, done.exchangeUnavailable, done.account?.email, done.locks.length], [[], false, email, 1]);

    // Down again: the recovery's forms, which need the exchange, say so on the page instead of failing.
    setDown(true);
    const refusedRemove = await staff.postForm(`/staff/accounts/${id}/recovery/remove`, { kind: 'withdrawal_address', id: 'some-address' });
    assert.equal(refusedRemove.status, 503);
    const refusedPage = await refusedRemove.text();
    assert.match(refusedPage, /取引システムに接続できません。しばらくしてからやり直してください。/);
    assert.match(refusedPage, /<strong>ロック中<\/strong>/, 'kinkyu\'s own record of the lock is still shown');
    setDown(false);
  });

  test('the exchange confirmed but the record is not written yet: the page says so', async () => {
    setDown(false);
    offset = 20 * MIN;
    const id = await coreStore.createAccount(`recording-${Date.now()}@example.jp`);
    await coreStore.lock(id, { lockId: 'journalled', reason: 'detection' });
    // As the journal holds it after a crash between the exchange's lock and the record.
    await app.db.query(
      `INSERT INTO lock_intents (id, account_id, source, reason, actor_type, lang, created_at, next_attempt_at, effective_at, effects, attempts, last_error)
       VALUES ($1,$2,'detection','impossible travel','system','ja',$3,$4,$3,$5::jsonb,1,'database connection lost')`,
      [newId(), id, new Date(START + 19 * MIN), new Date(START + 21 * MIN), JSON.stringify({ newlyLocked: true, sessionsRevoked: 0, apiKeysRevoked: 0, withdrawalsCancelled: 0 })],
    );
    const text = await (await page(id)).text();
    assert.match(text, /ロック処理中: 取引所は 2026年3月10日 12:19 JST にロックしました。ロックの記録・メール・チケットの作成を待っています — これまでの試行 1 回 · 次の試行: 2026年3月10日 12:21 JST/);
    assert.match(text, /最後のエラー: <code>database connection lost<\/code>/);
    assert.match(text, /<strong>ロック中<\/strong>/, 'the exchange says locked');
  });
});
