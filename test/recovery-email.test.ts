/**
 * The recovery after a takeover, part two: an email address changed while the account was in the wrong hands.
 * On the real application (PGlite, the reference store, a real SMTP server): the unlock sets the address before
 * the window back by default and sends the unlock email and the new-password link there (the replaced address is
 * told, without any link); the requester may keep the new address with a reason; staff restore it by hand; and
 * everything is refused, changing nothing, when the previous address belongs to another account now.
 * The app's clock is fixed (2026-03-10 12:00 JST) and moved by the tests: nothing depends on today's date.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { errorMessage } from '../src/web/errors.ts';
import { StaffClient } from './support/app.ts';
import { MIN, HOUR, DAY, LOCK_AT, clock, at, app, smtp, store, requester, approver } from './support/recovery-fixture.ts';


const uniq = () => randomBytes(4).toString('hex');
const fullChecklist = { checklist: [...UNLOCK_CHECKLIST], note: 'passport, selfie and the owner\'s address checked' };

async function event(accountId: string, kind: string, offsetMs: number, extra: { device?: string; country?: string; data?: Record<string, unknown> } = {}) {
  await app.db.query(`INSERT INTO account_events (account_id, kind, at, ip, country, device, data) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb)`, [
    accountId, kind, new Date(LOCK_AT + offsetMs), '198.51.100.7', extra.country ?? null, extra.device ?? null, JSON.stringify(extra.data ?? {}),
  ]);
}

/** Subjects of the mail queued to one address (sent or not yet), the lock's own email left out. */
const mailTo = async (to: string) =>
  (await app.db.query<{ subject: string }>(`SELECT subject FROM mail_outbox WHERE lower(to_address) = lower($1) ORDER BY created_at`, [to]))
    .map((m) => m.subject)
    .filter((subject) => !/(アカウントをロックしました|Your account is locked)$/.test(subject));

/**
 * An owner since 20 days; then the attacker's hour: a new-device sign-in, an address, the email changed (as the
 * security center records it: the account event with from/to), and the lock.
 */
async function takeover(lang: 'ja' | 'en' = 'ja', opts: { twice?: boolean } = {}) {
  const tag = uniq();
  const owner = `owner-${tag}@example.jp`;
  const attacker = `attacker-${tag}@evil.example`;
  at(-20 * DAY);
  const id = await createUserAccount(app.db, store, { email: owner, password: 'owner password 1', lang }, clock());
  await event(id, 'sign_in', -3 * HOUR, { device: 'Windows · Chrome', country: 'BR', data: { newDevice: true } });
  at(-2 * HOUR);
  const address = await store.addWithdrawalAddress(id, { asset: 'BTC', address: `bc1qattacker${tag}`, holdMs: DAY });
  await event(id, 'withdrawal_address_added', -2 * HOUR);
  let from = owner;
  if (opts.twice) {
    const first = `first-${tag}@evil.example`;
    at(-80 * MIN);
    await store.changeEmail(id, first);
    await event(id, 'email_changed', -80 * MIN, { data: { from, to: first } });
    from = first;
  }
  at(-60 * MIN);
  await store.changeEmail(id, attacker);
  await event(id, 'email_changed', -60 * MIN, { data: { from, to: attacker } });
  at(0);
  const lock = await app.lock.lock(id, { source: 'self', reason: 'this was not me', actor: { type: 'user', id, ip: '203.0.113.9' } });
  return { id, owner, attacker, address, lockId: lock.lockId, tag };
}

describe('an email address changed in the window', () => {
  test('by default the unlock sets the previous address back: the unlock email and the new-password link go there, the replaced address is told without any link', async () => {
    const v = await takeover('ja', { twice: true });
    const plan = (await app.recovery.plan(v.id))!;
    assert.equal(plan.email?.revert.previous, v.owner, 'the address before the window\'s first change, not the intermediate one');
    assert.equal(plan.email?.revert.current, v.attacker);
    assert.equal(plan.email?.keep, null, 'restored unless the requester keeps it');

    // What the requester sees: the change, the address the unlock email will go to, and the field to keep it.
    const staff = await StaffClient.signIn(app.baseUrl, requester.email);
    const page = await (await staff.get(`/staff/accounts/${v.id}`)).text();
    assert.ok(page.includes(`この期間の前のメールアドレス: ${v.owner} · 現在: ${v.attacker}`));
    assert.ok(page.includes(`ロック解除のメールと新しいパスワードのリンクは ${v.owner} に送ります`));
    assert.ok(page.includes(`name="keep:email:${plan.email!.revert.id}"`));
    assert.ok(page.includes(`aria-label="以前のアドレスに戻す: ${v.owner}"`), 'and the staff button to restore it now');

    const requestId = await app.recovery.requestUnlock(requester, v.id, fullChecklist);
    const shown = (await app.recovery.plan(v.id))!;
    const approverPage = await (await (await StaffClient.signIn(app.baseUrl, approver.email)).get(`/staff/accounts/${v.id}`)).text();
    assert.ok(approverPage.includes(`承認すると、メールアドレスを ${v.attacker} から ${v.owner} に戻し`), 'the approver sees it too');
    at(30 * MIN);
    await app.recovery.approveUnlock(approver, requestId, { fingerprint: shown.fingerprint });

    const account = (await store.findAccount({ accountId: v.id }))!;
    assert.equal(account.email, v.owner, 'the owner\'s address is back');
    assert.equal(account.locked, false);
    assert.deepEqual(account.previousEmails, [], 'lock links no longer go to the attacker\'s addresses');
    assert.deepEqual((await store.listWithdrawalAddresses(v.id)).map((a) => a.id), [], 'the window\'s address went too');

    const mail = await smtp.waitFor((m) => m.to.includes(v.owner) && m.subject.includes('ロックを解除しました'), 10_000);
    assert.match(mail.text, /\/account\/forgot\/[\w-]{40,}/, 'the new-password link goes to the owner');
    assert.ok(mail.text.includes(`メールアドレスが ${v.attacker} に変更されていました。以前のアドレス (このメールの宛先) に戻しました`));
    assert.doesNotMatch(mail.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw ISO times');
    const [lockLink] = await app.db.query<{ sent_to: string }>(`SELECT sent_to FROM lock_tokens WHERE account_id = $1 AND reason = 'unlock'`, [v.id]);
    assert.equal(lockLink?.sent_to, v.owner, 'the unlock email\'s lock link is the owner\'s too');

    const notice = await smtp.waitFor((m) => m.to.includes(v.attacker) && m.subject.includes('外しました'), 10_000);
    assert.match(notice.subject, /^\[.+\] このメールアドレスをアカウントから外しました$/);
    assert.match(notice.text, /2026年3月10日 12:30 JST に、当社セキュリティチームが/);
    assert.doesNotMatch(notice.text, /https?:\/\//, 'no link of any kind to the replaced address');
    assert.ok(!notice.text.includes(v.owner), 'nor the owner\'s address');
    assert.deepEqual(await mailTo(v.attacker), [notice.subject], 'nothing else goes to the attacker\'s address: no unlock email, no link');
    assert.deepEqual(await mailTo(`first-${v.tag}@evil.example`), []);

    const [audit] = await app.db.query<{ data: { removed: Array<{ kind: string; label: string }> } }>(
      `SELECT data FROM audit_log WHERE action = 'account.recovery_unlock_removed' AND target_id = $1`,
      [v.id],
    );
    assert.deepEqual(audit?.data.removed.filter((i) => i.kind === 'email').map((i) => i.label), [v.attacker]);
    // The user's review after the unlock lists it with what was removed; nothing is left to set back.
    const review = (await app.recovery.review(v.id))!;
    assert.deepEqual(review.removals.filter((x) => x.kind === 'email').map((x) => [x.label, x.atUnlock]), [[v.attacker, true]]);
    assert.equal(review.changes.emailRevert, null);
  });

  test('the requester keeps the new address with a reason (audited): it stays, and the unlock email goes there and says so', async () => {
    const v = await takeover('en');
    const revert = (await app.recovery.plan(v.id))!.email!.revert;
    const reason = 'the owner changed it herself before the takeover (confirmed on the registered phone)';
    const requestId = await app.recovery.requestUnlock(requester, v.id, { ...fullChecklist, keep: { [`email:${revert.id}`]: reason } });
    const [keep] = await app.db.query<{ actor_id: string; data: { kind: string; itemId: string; label: string; reason: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.recovery_keep' AND target_id = $1`,
      [v.id],
    );
    assert.equal(keep?.actor_id, requester.id);
    assert.deepEqual([keep?.data.kind, keep?.data.itemId, keep?.data.label, keep?.data.reason], ['email', revert.id, v.attacker, reason]);
    const plan = (await app.recovery.plan(v.id))!;
    assert.deepEqual([plan.email?.keep?.reason, plan.email?.keep?.keptByName], [reason, requester.name]);

    at(HOUR);
    await app.recovery.approveUnlock(approver, requestId, { fingerprint: plan.fingerprint });
    assert.equal((await store.findAccount({ accountId: v.id }))?.email, v.attacker, 'kept');
    const mail = await smtp.waitFor((m) => m.to.includes(v.attacker) && m.subject.includes('unlocked'), 10_000);
    assert.match(mail.text, /Kept after checking with you:[\s\S]*Email address:\n\s+- attacker-/);
    assert.match(mail.text, /\/account\/forgot\/[\w-]{40,}/);
    assert.deepEqual(await mailTo(v.owner), [], 'nothing to the old address: nothing was replaced');
    assert.deepEqual(await app.db.query(`SELECT 1 FROM recovery_removals WHERE account_id = $1 AND kind = 'email'`, [v.id]), []);
  });

  test('staff restore the previous address while locked: audited, both addresses told, the unlock then has nothing to restore; a repeat or a bad id is refused', async () => {
    const v = await takeover('en');
    const revert = (await app.recovery.plan(v.id))!.email!.revert;
    const staff = await StaffClient.signIn(app.baseUrl, approver.email);
    const bad = await staff.postForm(`/staff/accounts/${v.id}/recovery/restore-email`, { id: 'not-an-event' });
    assert.equal(bad.status, 404);
    assert.match(await bad.text(), /その期間の変更の中に見つからない/);
    assert.equal((await store.findAccount({ accountId: v.id }))?.email, v.attacker, 'nothing changed');

    at(10 * MIN);
    const done = await staff.postForm(`/staff/accounts/${v.id}/recovery/restore-email`, { id: revert.id });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `/staff/accounts/${v.id}?ok=emailRestored`);
    assert.equal((await store.findAccount({ accountId: v.id }))?.email, v.owner);
    const page = await (await staff.get(`/staff/accounts/${v.id}?ok=emailRestored`)).text();
    assert.match(page, /メールアドレスを、この期間の前のアドレスに戻しました。/);
    assert.ok(page.includes(`メールアドレス: ${v.attacker} から、この期間の前のアドレスに戻しました`), 'listed among what the recovery took away');
    assert.ok(!page.includes('name="keep:email:'), 'nothing left to keep or restore');
    const [audit] = await app.db.query<{ actor_id: string; data: { from: string; to: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.recovery_email_restore' AND target_id = $1`,
      [v.id],
    );
    assert.deepEqual([audit?.actor_id, audit?.data.from, audit?.data.to], [approver.id, v.attacker, v.owner]);

    const told = await smtp.waitFor((m) => m.to.includes(v.attacker) && m.subject.includes('taken off'), 10_000);
    assert.doesNotMatch(told.text, /https?:\/\//);
    const restored = await smtp.waitFor((m) => m.to.includes(v.owner) && m.subject.includes('set back'), 10_000);
    assert.match(restored.text, /At Mar 10, 2026, 12:10 JST our security team set the email address of your account back to this address/);
    assert.ok(restored.text.includes(v.attacker));

    const again = await staff.postForm(`/staff/accounts/${v.id}/recovery/restore-email`, { id: revert.id });
    assert.equal(again.status, 404, 'already done');

    const requestId = await app.recovery.requestUnlock(requester, v.id, fullChecklist);
    assert.equal((await app.recovery.plan(v.id))?.email, null);
    at(HOUR);
    await app.recovery.approveUnlock(approver, requestId);
    await smtp.waitFor((m) => m.to.includes(v.owner) && m.subject.includes('unlocked'), 10_000);
    assert.deepEqual(await mailTo(v.attacker), [told.subject], 'the attacker\'s address heard once, and never of the unlock');
  });

  test('the previous address now belongs to another account: the staff restore, the request and the approval are refused with a clear message, and nothing changes', async () => {
    const v = await takeover();
    // The hijacker registers the owner's old address elsewhere, to keep it from coming back.
    const squatter = await store.createAccount(v.owner);
    const revert = (await app.recovery.plan(v.id))!.email!.revert;
    assert.equal(revert.previousTaken, true);

    await assert.rejects(app.recovery.restoreEmail(approver, v.id, revert.id), (e: unknown) => {
      assert.ok(e instanceof KinkyuError && e.code === 'CONFLICT' && e.params.rule === 'email_taken');
      assert.equal(errorMessage('ja', e), `${v.owner} は、いまは別のアカウントのメールアドレスのため、元に戻せません。何も変更していません。取引所側でそのアドレスの持ち主を確認してください。`);
      assert.match(errorMessage('en', e), /is now the email address of another account, so it cannot be restored/);
      return true;
    });
    const staff = await StaffClient.signIn(app.baseUrl, approver.email);
    const refused = await staff.postForm(`/staff/accounts/${v.id}/recovery/restore-email`, { id: revert.id });
    assert.equal(refused.status, 409);
    const page = await refused.text();
    assert.ok(page.includes(`${v.owner} は、いまは別のアカウントのメールアドレスのため、元に戻せません。`));

    // The request: refused unless the requester keeps the new address, for the unlock would mail the attacker.
    await assert.rejects(app.recovery.requestUnlock(requester, v.id, fullChecklist), (e: unknown) => {
      assert.ok(e instanceof KinkyuError && e.code === 'VALIDATION' && e.params.rule === 'email_restore_taken');
      assert.match(errorMessage('ja', e), /この期間の前のメールアドレス \(owner-[\w]+@example\.jp\) は、いまは別のアカウントのものなので、承認時に戻せません。/);
      return true;
    });
    const form = await staff.postForm(`/staff/accounts/${v.id}/unlock-requests`, { checklist: [...UNLOCK_CHECKLIST] });
    assert.equal(form.status, 400);
    assert.match(await form.text(), /承認時に戻せません/);
    assert.deepEqual(await app.db.query(`SELECT 1 FROM unlock_requests WHERE account_id = $1`, [v.id]), []);
    assert.equal((await store.findAccount({ accountId: v.id }))?.email, v.attacker);
    assert.equal((await store.findAccount({ accountId: squatter }))?.email, v.owner, 'the other account is untouched');
    assert.deepEqual(await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'account.recovery_email_restore' AND target_id = $1`, [v.id]), []);
    assert.deepEqual(await mailTo(v.attacker), []);
  });

  test('the previous address is taken after the request: the approval is refused before anything is removed, and the account stays locked', async () => {
    const v = await takeover();
    const requestId = await app.recovery.requestUnlock(requester, v.id, fullChecklist);
    await store.createAccount(v.owner.toUpperCase());
    at(HOUR);
    await assert.rejects(app.recovery.approveUnlock(approver, requestId), (e: unknown) => e instanceof KinkyuError && e.code === 'CONFLICT' && e.params.rule === 'email_taken');
    const account = (await store.findAccount({ accountId: v.id }))!;
    assert.deepEqual([account.email, account.locked], [v.attacker, true]);
    assert.deepEqual((await store.listWithdrawalAddresses(v.id)).map((a) => a.id), [v.address], 'nothing removed');
    const [request] = await app.db.query<{ decision: string | null }>(`SELECT decision FROM unlock_requests WHERE id = $1`, [requestId]);
    assert.equal(request?.decision, null);
    assert.deepEqual(await mailTo(v.attacker), [], 'no unlock email, no new-password link to the attacker');
  });
});
