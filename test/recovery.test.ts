/**
 * The recovery after a takeover, at the service level on the real application (PGlite, the reference store, a
 * real SMTP server): the compromise window, everything changed in it, the unlock that removes the attacker's
 * withdrawal addresses and API keys by default (keep-with-reason), the unlock email, and the user's own removals.
 * The app's clock is fixed (2026-03-10 12:00 JST) and moved by the tests: nothing depends on today's date.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { alertStart } from '../src/protection/recovery-window.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { errorMessage } from '../src/web/errors.ts';
import { sha256Hex } from '../src/domain/secrets.ts';
import type { Actor } from '../src/domain/actor.ts';
import { StaffClient } from './support/app.ts';
import { MIN, HOUR, DAY, LOCK_AT, now, clock, at, app, smtp, store, requester, approver } from './support/recovery-fixture.ts';
import { Recovery } from '../src/protection/recovery.ts';
import type { ExchangeAccounts } from '../src/exchange/adapter.ts';


const uniq = () => randomBytes(4).toString('hex');
const rejectsWith = (code: string, rule: string | undefined, run: () => Promise<unknown>) =>
  assert.rejects(run, (e: unknown) => e instanceof KinkyuError && e.code === code && (rule === undefined || e.params.rule === rule || e.params.what === rule));

async function event(accountId: string, kind: string, offsetMs: number, extra: { device?: string; country?: string; data?: Record<string, unknown> } = {}) {
  await app.db.query(`INSERT INTO account_events (account_id, kind, at, ip, country, device, data) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb)`, [
    accountId, kind, new Date(LOCK_AT + offsetMs), '198.51.100.7', extra.country ?? null, extra.device ?? null, JSON.stringify(extra.data ?? {}),
  ]);
}

async function lockNow(accountId: string) {
  at(0);
  return app.lock.lock(accountId, { source: 'self', reason: 'this was not me', actor: { type: 'user', id: accountId, ip: '203.0.113.9' } });
}

/**
 * An owner with an address and an API key of their own from 20 days ago, then an attacker's hour: a sign-in from
 * a new device, two addresses, an API key, an email change, a new 2FA, a pending withdrawal; then the lock.
 */
async function takeover(lang: 'ja' | 'en' = 'ja') {
  const email = `owner-${uniq()}@example.jp`;
  at(-20 * DAY);
  const id = await createUserAccount(app.db, store, { email, password: 'owner password 1', lang }, clock());
  const ownerAddress = await store.addWithdrawalAddress(id, { asset: 'BTC', address: `bc1qowner${uniq()}`, holdMs: DAY });
  const ownerKey = await store.createApiKey(id, 'owner bot');
  await event(id, 'sign_in', -20 * DAY, { device: 'Mac · Safari', country: 'JP', data: { newDevice: true } });
  await event(id, 'password_changed', -10 * DAY);
  // The attacker.
  await event(id, 'sign_in', -3 * HOUR, { device: 'Windows · Chrome', country: 'BR', data: { newDevice: true } });
  await app.db.query(`INSERT INTO user_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at, ip, country, device) VALUES ($1,$2,'c',$3,$3,$4,'198.51.100.7','BR','Windows · Chrome')`, [
    sha256Hex(randomBytes(16).toString('hex')), id, new Date(LOCK_AT - 3 * HOUR - 300), new Date(LOCK_AT + DAY),
  ]);
  at(-2 * HOUR);
  const attackerAddress = await store.addWithdrawalAddress(id, { asset: 'BTC', address: `bc1qattacker${uniq()}`, holdMs: DAY });
  await event(id, 'withdrawal_address_added', -2 * HOUR);
  at(-90 * MIN);
  const secondAddress = await store.addWithdrawalAddress(id, { asset: 'ETH', address: `0xsecond${uniq()}`, holdMs: DAY });
  at(-60 * MIN);
  const attackerKey = await store.createApiKey(id, 'trading bot');
  await event(id, 'email_changed', -55 * MIN, { data: { from: email, to: 'attacker@evil.example' } });
  await event(id, 'totp_reset', -52 * MIN);
  at(-50 * MIN);
  await store.requestWithdrawal(id, { asset: 'BTC', amount: '1.5', address: 'bc1qsomewhere' });
  const lock = await lockNow(id);
  const addresses = await store.listWithdrawalAddresses(id);
  const find = (addressId: string) => addresses.find((a) => a.id === addressId)!;
  return { id, email, lockId: lock.lockId, ownerAddress: find(ownerAddress), attackerAddress: find(attackerAddress), secondAddress: find(secondAddress), ownerKey, attackerKey };
}

const fullChecklist = { checklist: [...UNLOCK_CHECKLIST], note: 'passport and selfie checked' };

describe('the compromise window', () => {
  test('nothing suspicious on record: 24 hours before the lock, and it says why', async () => {
    at(-30 * DAY);
    const id = await createUserAccount(app.db, store, { email: `quiet-${uniq()}@example.jp`, password: 'owner password 1' }, clock());
    // The owner's own security change 8 days before the lock is outside the week looked at.
    await event(id, 'password_changed', -8 * DAY);
    const { lockId } = await lockNow(id);
    const w = await app.recovery.window(id);
    assert.equal(w?.lockId, lockId);
    assert.equal(w?.basis, 'default');
    assert.equal(w?.startsAt.getTime(), LOCK_AT - DAY);
    assert.equal(w?.endsAt, null, 'still locked: the window runs up to now');
  });

  test('starts at the first suspicious event: a new-device sign-in before the attacker\'s changes', async () => {
    const v = await takeover();
    const w = await app.recovery.window(v.id);
    assert.equal(w?.basis, 'new_device_sign_in');
    assert.equal(w?.startsAt.getTime(), LOCK_AT - 3 * HOUR - MIN, 'a minute before it: the session is made just before its sign-in is recorded');
  });

  test('a detection alert whose evidence goes back further moves the start to its first event', async () => {
    at(-30 * DAY);
    const id = await createUserAccount(app.db, store, { email: `alerted-${uniq()}@example.jp`, password: 'owner password 1' }, clock());
    await event(id, 'withdrawal_address_added', -2 * HOUR);
    const events = [
      { id: 1, at: new Date(LOCK_AT - 6 * HOUR).toISOString() },
      { id: 2, at: new Date(LOCK_AT - 5 * HOUR).toISOString() },
    ];
    const evidence = { findings: [{ rule: 'failed_burst', events: [1, 2] }], events, lastEventAt: events[1]!.at };
    await app.db.query(`INSERT INTO security_alerts (id, account_id, ip, rules, score, evidence, actions, created_at) VALUES ($1,$2,null,'["failed_burst"]',40,$3::jsonb,'{}'::jsonb,$4)`, [
      `alert${uniq()}`, id, JSON.stringify(evidence), new Date(LOCK_AT - 5 * HOUR),
    ]);
    await lockNow(id);
    const w = await app.recovery.window(id);
    assert.equal(w?.basis, 'alert');
    assert.equal(w?.detail, 'failed_burst');
    assert.equal(w?.startsAt.getTime(), LOCK_AT - 6 * HOUR - MIN);
  });

  test('an address added just before its event is recorded is inside a window that starts at that event', async () => {
    at(-30 * DAY);
    const id = await createUserAccount(app.db, store, { email: `known-device-${uniq()}@example.jp`, password: 'owner password 1' }, clock());
    at(-2 * HOUR);
    const address = await store.addWithdrawalAddress(id, { asset: 'BTC', address: `bc1qquiet${uniq()}`, holdMs: DAY });
    await event(id, 'withdrawal_address_added', -2 * HOUR + 250);
    await lockNow(id);
    const w = await app.recovery.window(id);
    assert.deepEqual([w?.basis, w?.detail], ['security_change', 'withdrawal_address_added']);
    assert.deepEqual((await app.recovery.plan(id))?.remove.map((i) => i.id), [address]);
  });

  test('impossible travel counts from its second sign-in: the first one is the owner\'s', () => {
    const owner = new Date(LOCK_AT - 30 * HOUR).toISOString();
    const attacker = new Date(LOCK_AT - 4 * HOUR).toISOString();
    const start = alertStart({ findings: [{ rule: 'impossible_travel', events: [1, 2] }], events: [{ id: 1, at: owner }, { id: 2, at: attacker }] });
    assert.equal(start?.toISOString(), attacker);
  });

  test('staff move the start, with a reason (audited); bad input is refused in Japanese and changes nothing', async () => {
    const v = await takeover();
    const before = await app.recovery.window(v.id);
    const refusals: Array<[unknown, unknown, RegExp]> = [
      ['yesterday', 'the owner clicked a phishing link', /日時の形式/],
      ['2026-03-10T13:00', 'after the lock', /ロックした時刻より前/],
      ['2025-11-01T09:00', 'far too early', /90日前より後/],
      ['2026-03-08T09:00', '   ', /「変更の理由」を入力してください/],
    ];
    for (const [startsAt, reason, message] of refusals) {
      await assert.rejects(app.recovery.adjustWindow(requester, v.id, { startsAt, reason }), (e: unknown) => {
        assert.ok(e instanceof KinkyuError);
        assert.match(errorMessage('ja', e), message);
        return true;
      });
    }
    assert.deepEqual(await app.recovery.window(v.id), before, 'nothing changed');

    // 09:00 JST two days before: the owner says the phishing mail came then.
    const w = await app.recovery.adjustWindow(requester, v.id, { startsAt: '2026-03-08T09:00', reason: 'phishing mail on the 8th' });
    assert.equal(w.startsAt.toISOString(), '2026-03-08T00:00:00.000Z');
    assert.equal(w.basis, 'staff');
    assert.equal(w.detail, 'phishing mail on the 8th');
    assert.equal(w.suggested.startsAt.getTime(), LOCK_AT - 3 * HOUR - MIN, 'what detection suggested is kept beside it');
    const [audit] = await app.db.query<{ actor_id: string; data: { from: string; to: string; reason: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.recovery_window_adjust' AND target_id = $1`,
      [v.id],
    );
    assert.equal(audit?.actor_id, requester.id);
    assert.deepEqual([audit?.data.from, audit?.data.to, audit?.data.reason], [new Date(LOCK_AT - 3 * HOUR - MIN).toISOString(), '2026-03-08T00:00:00.000Z', 'phishing mail on the 8th']);
  });
});

describe('everything changed in the window, and the unlock that removes the foothold', () => {
  test('the changes: the attacker\'s addresses, key, email and 2FA change, sign-in, session and withdrawal; not the owner\'s older ones', async () => {
    const v = await takeover();
    const w = (await app.recovery.window(v.id))!;
    const c = await app.recovery.changes(v.id, w.startsAt, clock());
    assert.deepEqual(c.addresses.map((a) => a.id), [v.attackerAddress.id, v.secondAddress.id]);
    assert.deepEqual(c.apiKeys.map((k) => k.label), ['trading bot']);
    assert.ok(c.apiKeys[0]!.revokedAt, 'the lock already revoked it');
    assert.deepEqual(c.contactChanges.map((e) => [e.kind, e.data.to]), [['email_changed', 'attacker@evil.example']]);
    assert.deepEqual(c.credentialChanges.map((e) => e.kind), ['totp_reset']);
    assert.deepEqual(c.signIns.map((e) => [e.device, e.country]), [['Windows · Chrome', 'BR']]);
    assert.equal(c.sessions.length, 1);
    assert.ok(c.sessions[0]!.revokedAt, 'the lock ended the attacker\'s session');
    assert.deepEqual(c.withdrawals.map((x) => [x.amount, x.status]), [['1.5', 'cancelled']]);
  });

  test('unlock removes what was added in the window by default; a kept address stays, with its reason; the email says so', async () => {
    const v = await takeover();
    const plan = (await app.recovery.plan(v.id))!;
    assert.deepEqual(plan.remove.map((i) => i.label).sort(), [v.attackerAddress, v.secondAddress].map((a) => `${a.asset} ${a.address}`).concat('trading bot').sort());

    // Only items of the window can be kept: the owner's old address is not one, and nothing is recorded.
    await rejectsWith('VALIDATION', 'keep_unknown', () =>
      app.recovery.requestUnlock(requester, v.id, { ...fullChecklist, keep: { [`withdrawal_address:${v.ownerAddress.id}`]: 'owner\'s' } }));
    await rejectsWith('VALIDATION', 'max', () =>
      app.recovery.requestUnlock(requester, v.id, { ...fullChecklist, keep: { [`withdrawal_address:${v.secondAddress.id}`]: 'x'.repeat(501) } }));
    assert.equal((await app.db.query(`SELECT 1 FROM unlock_requests WHERE account_id = $1`, [v.id])).length, 0);

    const requestId = await app.recovery.requestUnlock(requester, v.id, {
      ...fullChecklist,
      keep: { [`withdrawal_address:${v.secondAddress.id}`]: 'the owner added it herself (confirmed on the phone)', [`withdrawal_address:${v.attackerAddress.id}`]: '  ' },
    });
    const [keep] = await app.db.query<{ actor_id: string; data: { itemId: string; reason: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.recovery_keep' AND target_id = $1`,
      [v.id],
    );
    assert.equal(keep?.actor_id, requester.id);
    assert.deepEqual([keep?.data.itemId, keep?.data.reason], [v.secondAddress.id, 'the owner added it herself (confirmed on the phone)']);

    const shown = (await app.recovery.plan(v.id))!;
    assert.equal(shown.pendingRequestId, requestId);
    assert.deepEqual(shown.keep.map((i) => [i.id, i.reason, i.keptByName]), [[v.secondAddress.id, 'the owner added it herself (confirmed on the phone)', requester.name]]);
    assert.deepEqual(shown.remove.map((i) => i.id).sort(), [v.attackerAddress.id, (await store.listApiKeys(v.id)).find((k) => k.label === 'trading bot')!.id].sort());

    // An approval against another plan than the one shown (here: an old fingerprint) is refused; nothing is removed.
    at(30 * MIN);
    await rejectsWith('CONFLICT', 'recovery_plan_changed', () => app.recovery.approveUnlock(approver, requestId, { fingerprint: 'not-what-is-planned' }));
    assert.equal((await store.listWithdrawalAddresses(v.id)).length, 3);
    assert.equal((await store.findAccount({ accountId: v.id }))?.locked, true);
    // The requester cannot approve it either (four eyes), and that removes nothing.
    await rejectsWith('FORBIDDEN', 'four_eyes', () => app.recovery.approveUnlock(requester, requestId, { fingerprint: shown.fingerprint }));
    assert.equal((await store.listWithdrawalAddresses(v.id)).length, 3);

    const result = await app.recovery.approveUnlock(approver, requestId, { fingerprint: shown.fingerprint });
    assert.deepEqual(result.removed.map((i) => i.itemId).sort(), shown.remove.map((i) => i.id).sort());
    const left = (await store.listWithdrawalAddresses(v.id)).map((a) => a.id).sort();
    assert.deepEqual(left, [v.ownerAddress.id, v.secondAddress.id].sort(), 'the attacker\'s address is gone; the kept one and the owner\'s old one stay');
    assert.equal(await store.accountForApiKey(v.attackerKey), null);
    assert.equal((await store.listApiKeys(v.id)).find((k) => k.label === 'trading bot')?.revokedAt !== null, true);
    assert.equal((await store.findAccount({ accountId: v.id }))?.locked, false, 'unlocked');
    const [audit] = await app.db.query<{ actor_id: string; data: { removed: Array<{ id: string }>; kept: Array<{ id: string; reason: string }> } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.recovery_unlock_removed' AND target_id = $1`,
      [v.id],
    );
    assert.equal(audit?.actor_id, approver.id);
    assert.deepEqual(audit?.data.removed.map((i) => i.id).sort(), shown.remove.map((i) => i.id).sort());
    assert.deepEqual(audit?.data.kept.map((i) => i.id), [v.secondAddress.id]);

    const mail = await smtp.waitFor((m) => m.to.includes(v.email) && m.subject.includes('ロックを解除しました'), 10_000);
    assert.match(mail.text, /2026年3月10日 12:30 JST に、当社セキュリティチームの担当者がお客様のアカウントのロックを解除しました/);
    assert.ok(!mail.text.includes(approver.name) && !mail.text.includes(requester.name), 'no staff member is named');
    assert.match(mail.text, /2026年3月10日 08:59 JST からロックした 2026年3月10日 12:00 JST まで/);
    assert.ok(mail.text.includes(v.attackerAddress.address), 'the removed address is listed');
    assert.match(mail.text, /APIキー[^\n]*\n\s+- trading bot \(2026年3月10日 11:00 JST に追加\)/);
    assert.match(mail.text, new RegExp(`残したもの:[\\s\\S]*${v.secondAddress.address}`));
    assert.ok(!mail.text.includes(v.ownerAddress.address), 'the owner\'s own older address is not mentioned');
    assert.match(mail.text, /\/account\/forgot\/[\w-]{40,}/, 'the new-password link');
    assert.match(mail.text, /二段階認証を設定し直してください/);
    assert.match(mail.text, /\/lock\/[\w-]+/, 'a lock link for an unlock the owner did not ask for');
    assert.doesNotMatch(mail.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw ISO times');

    // The user's view in the security center: what was removed, and the kept address they may still remove.
    const review = (await app.recovery.review(v.id))!;
    assert.deepEqual(review.removals.map((x) => [x.kind, x.atUnlock]).sort(), [['api_key', true], ['withdrawal_address', true]]);
    assert.deepEqual(review.changes.addresses.map((a) => a.id), [v.secondAddress.id]);
    const user: Actor = { type: 'user', id: v.id, ip: '203.0.113.9' };
    await rejectsWith('NOT_FOUND', 'recovery_item', () => app.recovery.removeItem(user, v.id, 'withdrawal_address', v.ownerAddress.id));
    assert.equal((await store.listWithdrawalAddresses(v.id)).length, 2, 'the owner\'s older address is not the window\'s: refused, kept');
    await rejectsWith('VALIDATION', 'enum', () => app.recovery.removeItem(user, v.id, 'password', 'x'));
    await app.recovery.removeItem(user, v.id, 'withdrawal_address', v.secondAddress.id);
    assert.deepEqual((await store.listWithdrawalAddresses(v.id)).map((a) => a.id), [v.ownerAddress.id]);
    await rejectsWith('NOT_FOUND', 'recovery_item', () => app.recovery.removeItem(user, v.id, 'withdrawal_address', v.secondAddress.id));
    const [userAudit] = await app.db.query<{ actor_type: string; data: { itemId: string } }>(`SELECT actor_type, data FROM audit_log WHERE action = 'user.recovery_remove' AND target_id = $1`, [v.id]);
    assert.deepEqual([userAudit?.actor_type, userAudit?.data.itemId], ['user', v.secondAddress.id]);

    // After the review period the security center is back to normal, and the user can no longer remove through it.
    at(31 * DAY);
    assert.equal(await app.recovery.review(v.id), null);
  });

  test('staff remove an item one by one while locked; an English-speaking user gets the email in English', async () => {
    const v = await takeover('en');
    await app.recovery.removeItem(approver, v.id, 'withdrawal_address', v.secondAddress.id);
    assert.equal((await store.listWithdrawalAddresses(v.id)).some((a) => a.id === v.secondAddress.id), false);
    const [staffAudit] = await app.db.query<{ actor_id: string }>(`SELECT actor_id FROM audit_log WHERE action = 'account.recovery_remove' AND target_id = $1`, [v.id]);
    assert.equal(staffAudit?.actor_id, approver.id);
    const overview = (await app.recovery.overview(v.id))!;
    assert.deepEqual(overview.removals.map((x) => [x.kind, x.removedByType, x.atUnlock]), [['withdrawal_address', 'staff', false]]);

    const requestId = await app.recovery.requestUnlock(requester, v.id, fullChecklist);
    at(2 * HOUR);
    await app.recovery.approveUnlock(approver, requestId);
    const mail = await smtp.waitFor((m) => m.to.includes(v.email) && m.subject.includes('unlocked'), 10_000);
    assert.match(mail.text, /Your account was unlocked at Mar 10, 2026, 14:00 JST by a member of our security team/);
    assert.ok(mail.text.includes(v.attackerAddress.address));
    assert.ok(!mail.text.includes(v.secondAddress.address), 'removed by staff before: not part of the unlock');
    assert.match(mail.text, /set up two-factor authentication again/);
    assert.doesNotMatch(mail.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    const [row] = await app.db.query<{ window_starts_at: Date; window_basis: string }>(`SELECT window_starts_at, window_basis FROM unlock_requests WHERE id = $1`, [requestId]);
    assert.equal(new Date(row!.window_starts_at).getTime(), LOCK_AT - 3 * HOUR - MIN, 'the window the unlock acted on is kept with it');
    assert.equal(row?.window_basis, 'new_device_sign_in');
  });

  test('a request for an account that is not locked is refused, and nothing is kept', async () => {
    at(-DAY);
    const id = await createUserAccount(app.db, store, { email: `open-${uniq()}@example.jp`, password: 'owner password 1' }, clock());
    at(0);
    await rejectsWith('CONFLICT', 'not_locked', () => app.recovery.requestUnlock(requester, id, fullChecklist));
    assert.equal(await app.recovery.plan(id), null);
    await rejectsWith('NOT_FOUND', 'recovery_item', () => app.recovery.removeItem(approver, id, 'api_key', 'whatever'));
  });
});

describe('when the exchange fails, and bad input from the staff pages', () => {
  test('the exchange failing half-way approves nothing; approving again removes the rest and unlocks, with one email', async () => {
    const v = await takeover();
    let failures = 1;
    // The exchange refuses the first key revocation (as a core that is briefly down would).
    const flaky: ExchangeAccounts = Object.assign(Object.create(store) as ExchangeAccounts, {
      revokeApiKey: async (accountId: string, keyId: string) => {
        if (failures-- > 0) throw new Error('exchange core unreachable');
        return store.revokeApiKey(accountId, keyId);
      },
    });
    const recovery = new Recovery(app.db, flaky, app.lock, { publicUrl: app.baseUrl, mailDomain: 'example.jp', exchangeName: { ja: 'テスト取引所', en: 'Test Exchange' }, timeZone: 'Asia/Tokyo', clock });
    const requestId = await recovery.requestUnlock(requester, v.id, fullChecklist);
    await assert.rejects(recovery.approveUnlock(approver, requestId), /unreachable/);
    assert.equal((await store.findAccount({ accountId: v.id }))?.locked, true, 'still locked');
    const [request] = await app.db.query<{ decision: string | null }>(`SELECT decision FROM unlock_requests WHERE id = $1`, [requestId]);
    assert.equal(request?.decision, null, 'not approved');
    assert.equal((await app.db.query(`SELECT 1 FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%ロックを解除しました%'`, [v.email])).length, 0, 'no unlock email');

    await recovery.approveUnlock(approver, requestId);
    assert.equal((await store.findAccount({ accountId: v.id }))?.locked, false);
    assert.deepEqual((await store.listWithdrawalAddresses(v.id)).map((a) => a.id), [v.ownerAddress.id]);
    const mails = await app.db.query<{ text_body: string }>(`SELECT text_body FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%ロックを解除しました%'`, [v.email]);
    assert.equal(mails.length, 1);
    assert.ok(mails[0]!.text_body.includes(v.attackerAddress.address) && mails[0]!.text_body.includes('trading bot'), 'the email lists what the failed attempt removed too');
    const removals = await app.db.query<{ kind: string }>(`SELECT kind FROM recovery_removals WHERE account_id = $1 ORDER BY kind`, [v.id]);
    assert.deepEqual(removals.map((x) => x.kind), ['api_key', 'withdrawal_address', 'withdrawal_address'], 'each item recorded once');
  });

  test('the staff forms refuse bad input with a Japanese message on the page, and change nothing', async () => {
    const v = await takeover();
    const staff = await StaffClient.signIn(app.baseUrl, requester.email);
    const before = await app.recovery.window(v.id);
    const bad = await staff.postForm(`/staff/accounts/${v.id}/recovery/window`, { windowStart: '2026-13-45T99:00', windowReason: 'typo' });
    assert.equal(bad.status, 400);
    const page = await bad.text();
    assert.match(page, /「期間の開始」の日時の形式が正しくありません/);
    assert.match(page, /value="2026-13-45T99:00"/, 'what was typed is shown again');
    assert.deepEqual(await app.recovery.window(v.id), before);

    const unknown = await staff.postForm(`/staff/accounts/${v.id}/recovery/remove`, { kind: 'withdrawal_address', id: v.ownerAddress.id });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /その期間の変更の中に見つからない/);
    assert.equal((await store.listWithdrawalAddresses(v.id)).length, 3);

    const keepOther = await staff.postForm(`/staff/accounts/${v.id}/unlock-requests`, { checklist: [...UNLOCK_CHECKLIST], [`keep:withdrawal_address:${v.ownerAddress.id}`]: 'mine' });
    assert.equal(keepOther.status, 400);
    assert.match(await keepOther.text(), /残せるのは、この期間に追加された出金先アドレス/);
    assert.equal((await app.db.query(`SELECT 1 FROM unlock_requests WHERE account_id = $1`, [v.id])).length, 0);

    // The page itself: the window, the attacker's address with its remove button, and the reason-to-keep field.
    const shown = await (await staff.get(`/staff/accounts/${v.id}`)).text();
    assert.match(shown, /id="recovery-window"><strong>2026年3月10日 08:59 JST 〜 ロック中/);
    assert.ok(shown.includes(`name="keep:withdrawal_address:${v.attackerAddress.id}"`));
    assert.ok(shown.includes(`aria-label="削除する: BTC ${v.attackerAddress.address}"`));
  });

  test('after the unlock the owner sees the window in the security center and removes what is left there', async () => {
    const v = await takeover();
    const requestId = await app.recovery.requestUnlock(requester, v.id, { ...fullChecklist, keep: { [`withdrawal_address:${v.secondAddress.id}`]: 'the owner said it was hers' } });
    at(HOUR);
    await app.recovery.approveUnlock(approver, requestId);
    // The owner has set a new password and 2FA again, and is signed in.
    at(2 * HOUR);
    await app.db.query(`UPDATE user_credentials SET must_reset_password = false, must_reenrol_2fa = false WHERE account_id = $1`, [v.id]);
    const token = randomBytes(24).toString('base64url');
    await app.db.query(`INSERT INTO user_sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1,$2,'csrf-token-of-the-owner',$3,$3,$4)`, [
      sha256Hex(token), v.id, clock(), new Date(now + DAY),
    ]);
    const headers = { cookie: `kinkyu_user=${token}`, 'accept-language': 'ja' };
    const center = await (await fetch(`${app.baseUrl}/account`, { headers })).text();
    assert.match(center, /ロック解除のあとに確認してください/);
    assert.match(center, /2026年3月10日 08:59 JST から 2026年3月10日 13:00 JST までは/);
    assert.ok(center.includes(v.attackerAddress.address), 'what the unlock removed is listed');
    assert.ok(center.includes(`aria-label="削除する: ETH ${v.secondAddress.address}"`), 'the kept address can be removed by the owner');
    const post = (fields: Record<string, string>) => fetch(`${app.baseUrl}/account/recovery/remove`, {
      method: 'POST', redirect: 'manual', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'csrf-token-of-the-owner', ...fields }).toString(),
    });
    const refused = await post({ kind: 'withdrawal_address', id: v.ownerAddress.id });
    assert.equal(refused.status, 404);
    assert.match(await refused.text(), /その期間の変更の中に見つからないか、すでに削除されています/);
    const done = await post({ kind: 'withdrawal_address', id: v.secondAddress.id });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), '/account?done=recoveryRemoved#recovery');
    assert.deepEqual((await store.listWithdrawalAddresses(v.id)).map((a) => a.id), [v.ownerAddress.id]);
    const after = await (await fetch(`${app.baseUrl}/account?done=recoveryRemoved`, { headers })).text();
    assert.match(after, /削除しました。/);
    assert.match(after, /この期間に追加されたもので、残っているものはありません。/);
  });
});
