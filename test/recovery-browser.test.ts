/**
 * The takeover story in a real browser (Debian's Chromium via playwright-core, one browser for the file): an
 * attacker with the owner's password and authenticator seed signs in, passes a step-up and adds a withdrawal
 * address; an API key is created at the exchange during the same hour (the security center has no API-key page,
 * so the test creates it through the reference store, as the exchange would). The owner locks from the "this
 * wasn't me" link in the notice email. Staff member 1 asks for the unlock and sees the window and what will be
 * removed; staff member 2 approves. The address and key are gone; the owner's unlock email lists them; the
 * new-password link ends on a sign-in page that confirms it; after 2FA again the security center shows the review.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { generateTotpSecret, totpCode } from '../src/security-center/totp.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { t } from '../src/web/i18n.ts';
import { makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, SCREENS, signInStaff, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';

// Every sensitive action asks for a fresh second factor (so the attacker really passes a step-up).
process.env.STEP_UP_MINUTES = '0';

/** The app's clock runs from a fixed day (2026-03-10 09:00 JST); `skip` moves it on (a new TOTP step). */
const BASE = Date.parse('2026-03-10T00:00:00Z');
const started = Date.now();
let skipped = 0;
const clock = () => new Date(BASE + (Date.now() - started) + skipped);
const nextTotpStep = () => {
  skipped += 31_000;
};

const PASSWORD = 'owner password 2026';
const NEW_PASSWORD = 'a brand new password 2026';

let browser: Browser;
let app: RunningApp;
let smtp: SmtpTestServer;

before(async () => {
  smtp = await startSmtpServer();
  [browser, app] = await startBrowserAndApp(() => startApp({ demo: false, clock, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } }));
});
after(async () => {
  await stopBrowserAndApp(browser, app);
  await smtp.stop();
});

async function newPage(): Promise<Page> {
  // bypassCSP: the accessibility check injects axe-core (the pages themselves run no script).
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1100, height: 900 }, bypassCSP: true });
  context.setDefaultTimeout(10_000);
  return context.newPage();
}

const problems: string[] = [];
const checkA11y = async (page: Page, label: string) => {
  for (const v of await axeViolations(page)) problems.push(`${label}: ${v}`);
};

const linkIn = (text: string, path: string) => new RegExp(`(http://\\S+${path}[\\w-]+)`).exec(text)?.[1];

test('takeover → lock → four-eyes unlock removes the attacker\'s address and key → email → new password → 2FA again', async () => {
  const store = app.referenceStore!;
  const email = 'hanako@example.jp';
  const id = await createUserAccount(app.db, store, { email, password: PASSWORD }, clock());
  const seed = generateTotpSecret();
  await app.db.query(`UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = $3 WHERE account_id = $1`, [id, seed, clock()]);
  // The owner's own address from last month, and her usual sign-in: neither is the attacker's.
  const ownerAddress = 'bc1qhanako0own0address';
  await store.addWithdrawalAddress(id, { asset: 'BTC', address: ownerAddress, holdMs: 0 });
  await app.db.query(`UPDATE xch_withdrawal_addresses SET created_at = $2 WHERE account_id = $1`, [id, new Date(BASE - 30 * 86_400_000)]);
  await app.db.query(`INSERT INTO account_events (account_id, kind, at, device, data) VALUES ($1, 'sign_in', $2, 'Safari / Mac', '{"newDevice":true}')`, [id, new Date(BASE - 10 * 86_400_000)]);

  // ---- The attacker: password, TOTP, step-up, a new withdrawal address.
  const attacker = await newPage();
  const attackerAddress = 'bc1qattacker0takes0it0all';
  await attacker.goto(`${app.baseUrl}/account/login`);
  await attacker.getByLabel('メールアドレス').fill(email);
  await attacker.getByLabel('パスワード').fill(PASSWORD);
  await attacker.getByRole('button', { name: 'ログイン' }).click();
  await attacker.waitForURL('**/account/login/2fa');
  await attacker.getByLabel(t('ja', 'user.tfa.code')).fill(totpCode(seed, clock()));
  await attacker.getByRole('button', { name: t('ja', 'user.tfa.submit') }).first().click();
  await attacker.waitForURL(/\/account$/);
  const addAddress = async () => {
    await attacker.locator('#addr-asset').fill('BTC');
    await attacker.locator('#addr').fill(attackerAddress);
    await attacker.getByRole('button', { name: t('ja', 'user.withdraw.addAddress') }).click();
  };
  await addAddress();
  await attacker.getByRole('heading', { name: t('ja', 'user.stepUp.title'), level: 1 }).waitFor();
  nextTotpStep();
  await attacker.getByLabel(t('ja', 'user.tfa.code')).fill(totpCode(seed, clock()));
  await attacker.getByRole('button', { name: t('ja', 'user.tfa.submit') }).first().click();
  await attacker.waitForURL(/done=steppedUp/);
  await addAddress();
  await attacker.waitForURL(/done=address/);
  assert.ok((await store.listWithdrawalAddresses(id)).some((a) => a.address === attackerAddress), 'the attacker\'s address is on the account');
  // The exchange's own API-key page is not part of kinkyu: the key is made at the exchange (the reference store).
  const attackerKey = await store.createApiKey(id, 'attacker bot');
  await attacker.context().close();

  // ---- The owner: the notice email about the new address has a "this wasn't me" link.
  const notice = await smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('出金先アドレスの追加'), 10_000);
  const lockLink = linkIn(notice.text, '/lock/');
  assert.ok(lockLink, 'the notice carries a lock link');
  const owner = await newPage();
  await owner.goto(lockLink);
  await owner.getByRole('button', { name: t('ja', 'lock.confirm.button') }).click();
  await owner.getByRole('heading', { name: t('ja', 'lock.done.title') }).waitFor();
  assert.equal(await store.accountForApiKey(attackerKey), null, 'the lock revoked the key');

  // ---- Staff member 1 asks for the unlock and sees the window and what will be removed.
  const staff1 = await newPage();
  const staff1Email = await makeStaff(app.db, 'security');
  await staff1.goto(`${app.baseUrl}/staff/login`);
  await signInStaff(staff1, app.baseUrl, staff1Email);
  await staff1.goto(`${app.baseUrl}/staff/accounts/${id}`);
  const windowText = (await staff1.locator('#recovery-window').textContent()) ?? '';
  assert.match(windowText, /2026年3月10日 08:59 JST 〜 ロック中/, 'the window starts at the attacker\'s sign-in from a new device');
  assert.match((await staff1.locator('#recovery-basis').textContent()) ?? '', /新しい端末/);
  const changes = (await staff1.locator('#recovery').textContent()) ?? '';
  assert.ok(changes.includes(attackerAddress) && changes.includes('attacker bot'), 'the window\'s changes are listed');
  assert.ok(!changes.includes(ownerAddress), 'the owner\'s own address from last month is not');
  const planText = (await staff1.locator('#unlock-plan').textContent()) ?? '';
  assert.ok(planText.includes(attackerAddress) && planText.includes('attacker bot'), 'what the unlock removes is shown before asking');
  await checkA11y(staff1, 'staff account page, locked, with the window and the plan');
  for (const item of UNLOCK_CHECKLIST) await staff1.locator(`input[name="checklist"][value="${item}"]`).check();
  await staff1.getByLabel(t('ja', 'acct.unlockNote')).fill('パスポートとセルフィーを確認、登録電話で本人と通話');
  await staff1.screenshot({ path: new URL('recovery-staff-request.png', SCREENS).pathname, fullPage: true });
  await staff1.getByRole('button', { name: t('ja', 'acct.requestUnlock') }).click();
  await staff1.getByText(t('ja', 'acct.flash.requested')).waitFor();
  assert.equal(await staff1.getByRole('button', { name: t('ja', 'acct.approve') }).count(), 1);
  assert.match((await staff1.locator('body').textContent()) ?? '', new RegExp(t('ja', 'acct.ownRequest').slice(0, 20)));

  // ---- Staff member 2 sees what approval removes, and approves.
  const staff2 = await newPage();
  const staff2Email = await makeStaff(app.db, 'security');
  await staff2.goto(`${app.baseUrl}/staff/login`);
  await signInStaff(staff2, app.baseUrl, staff2Email);
  await staff2.goto(`${app.baseUrl}/staff/accounts/${id}`);
  const approval = (await staff2.locator('#approval-plan').textContent()) ?? '';
  assert.ok(approval.includes(attackerAddress) && approval.includes('attacker bot'));
  await staff2.screenshot({ path: new URL('recovery-staff-approve.png', SCREENS).pathname, fullPage: true });
  await checkA11y(staff2, 'staff account page, waiting for approval');
  await staff2.getByRole('button', { name: t('ja', 'acct.approve') }).click();
  await staff2.getByText(t('ja', 'acct.flash.unlocked')).waitFor();
  assert.match((await staff2.locator('#recovery-removed').textContent()) ?? '', new RegExp(attackerAddress));

  const addresses = (await store.listWithdrawalAddresses(id)).map((a) => a.address);
  assert.deepEqual(addresses, [ownerAddress], 'the attacker\'s address is gone, the owner\'s stays');
  assert.equal(await store.accountForApiKey(attackerKey), null);
  assert.ok((await store.listApiKeys(id)).every((k) => k.revokedAt !== null));

  // ---- The owner's unlock email: unlocked by the security team, what was removed, what to do next.
  const unlocked = await smtp.waitFor((m) => m.to.includes(email) && m.subject.includes('ロックを解除しました'), 10_000);
  assert.match(unlocked.text, /当社セキュリティチームの担当者がお客様のアカウントのロックを解除しました/);
  assert.ok(unlocked.text.includes(attackerAddress) && unlocked.text.includes('attacker bot'), 'the email lists what was removed');
  assert.match(unlocked.text, /二段階認証を設定し直してください/);
  assert.doesNotMatch(unlocked.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  const resetLink = linkIn(unlocked.text, '/account/forgot/');
  assert.ok(resetLink, 'the email has the new-password link');

  // ---- The new password, the confirmation on the sign-in page, then 2FA again and the review.
  await owner.goto(resetLink);
  await owner.getByLabel(t('ja', 'user.password.new')).fill(NEW_PASSWORD);
  await owner.getByRole('button', { name: t('ja', 'user.password.submit') }).click();
  await owner.waitForURL(/\/account\/login\?reset=unlocked/);
  const confirmation = owner.getByRole('status');
  assert.equal(await confirmation.textContent(), t('ja', 'user.login.unlockedResetDone'));
  await owner.screenshot({ path: new URL('recovery-login-confirmation.png', SCREENS).pathname, fullPage: true });
  await checkA11y(owner, 'sign-in page with the confirmation');
  await owner.getByLabel('メールアドレス').fill(email);
  await owner.getByLabel('パスワード').fill(NEW_PASSWORD);
  await owner.getByRole('button', { name: 'ログイン' }).click();
  await owner.waitForURL('**/account/2fa');
  const newSeed = ((await owner.locator('#totp-secret').textContent()) ?? '').replace(/\s/g, '');
  nextTotpStep();
  await owner.getByLabel(t('ja', 'user.tfa.code')).fill(totpCode(newSeed, clock()));
  await owner.getByRole('button', { name: t('ja', 'user.tfaSetup.confirm') }).click();
  await owner.waitForURL(/\/account\?done=totp/);
  const review = (await owner.locator('#recovery').textContent()) ?? '';
  assert.match(review, new RegExp(t('ja', 'recovery.user.title')));
  assert.match((await owner.locator('#recovery-removed').textContent()) ?? '', new RegExp(attackerAddress));
  await owner.screenshot({ path: new URL('recovery-user-review.png', SCREENS).pathname, fullPage: true });
  await owner.locator('#recovery summary').click();
  await checkA11y(owner, 'security center with the review');
  assert.deepEqual(problems, [], 'the new pages pass axe (WCAG 2.1 AA)');
  await owner.context().close();
  await staff1.context().close();
  await staff2.context().close();
});
