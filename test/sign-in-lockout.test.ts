/**
 * No lock-out by strangers (issue 11): wrong passwords typed by others never keep an account's owner out. A browser
 * that completed a sign-in carries a signed device cookie; its attempts count on its own allowance. Others are
 * throttled per client, per client and account, and per account, within the bounds of SIGN_IN_LIMITS. Real HTTP,
 * with client addresses told apart by X-Forwarded-For (TRUST_PROXY on), and the app's clock moved instead of waiting.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startApp, type RunningApp } from './support/app.ts';
import { plain } from './support/text.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { DEVICE_COOKIE } from '../src/security-center/device-cookies.ts';
import { SIGN_IN_LIMITS } from '../src/security-center/sign-in-throttle.ts';
import { createTestUser, USER_PASSWORD as PASSWORD, UserBrowser, type Page } from './support/user-client.ts';

let now = new Date('2026-11-25T01:00:00Z');
const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
const MINUTE = 60_000;
let app: RunningApp;
let counter = 0;
let addresses = 0;

const newUser = (tag: string) => createTestUser(app, `${tag}-${++counter}@example.jp`);
/** A fresh client address for each call: every test starts from clients nobody has counted yet. */
const freshIp = () => `203.0.113.${++addresses}`;

/** A browser at a client address, on the sign-in page. `deviceCookie`: a device cookie copied into it. */
async function client(ip = freshIp(), deviceCookie?: string): Promise<UserBrowser> {
  const b = new UserBrowser(app, () => now, undefined, { 'x-forwarded-for': ip });
  if (deviceCookie !== undefined) b.cookies.set(DEVICE_COOKIE, deviceCookie);
  await b.get('/account/login');
  return b;
}

const tryPassword = (b: UserBrowser, email: string, password: string) => b.post('/account/login', { email, password });

/** Wrong passwords; returns the statuses. */
async function guess(b: UserBrowser, email: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await tryPassword(b, email, `guess number ${i}`)).status);
  return statuses;
}

/** The wait the refusal states, in minutes. */
const statedMinutes = (page: Page): number => {
  const found = /(\d+)分ほど待って/.exec(plain(page.body));
  assert.ok(found, `a wait is stated: ${plain(page.body).slice(0, 200)}`);
  return Number(found[1]);
};

/** Signs out from the security center and opens the sign-in page again (the device cookie stays). */
async function signOut(b: UserBrowser): Promise<void> {
  assert.equal((await b.get('/account')).status, 200);
  assert.equal((await b.post('/account/logout', {})).location, '/account/login');
  await b.get('/account/login');
}

/** Signs in (the right password, no second factor) and signs out again: the browser keeps its device cookie. */
async function knownDevice(email: string, ip = freshIp()): Promise<UserBrowser> {
  const b = await client(ip);
  const r = await tryPassword(b, email, PASSWORD);
  assert.equal(r.location, '/account', r.body.slice(0, 300));
  assert.ok(b.cookies.get(DEVICE_COOKIE), 'a completed sign-in sets the device cookie');
  await signOut(b);
  return b;
}

before(async () => {
  app = await startApp({ clock: () => now, config: { trustProxy: true } });
});
after(() => app.stop());

describe('fifty wrong passwords from one client', () => {
  test('the owner signs in at once on a known device and on a new one; the attacker\'s client stays throttled', async () => {
    const { email } = await newUser('fifty');
    const phone = await knownDevice(email);
    const attackerIp = freshIp();
    const attacker = await client(attackerIp);

    const statuses = await guess(attacker, email, 50);
    const perClient = SIGN_IN_LIMITS.failuresPerClientAndAccount.limit;
    assert.deepEqual(statuses, [...Array(perClient).fill(401), ...Array(50 - perClient).fill(429)], 'the client is stopped after its 8 guesses');

    // The known device: at once, from its own address, and even from the attacker's (a shared carrier or café address).
    assert.equal((await tryPassword(phone, email, PASSWORD)).location, '/account');
    const sameAddress = await client(attackerIp, phone.cookies.get(DEVICE_COOKIE));
    assert.equal((await tryPassword(sameAddress, email, PASSWORD)).location, '/account');
    // A new device elsewhere: one client's guesses stay below the account's own limit, so no wait at all.
    const newPhone = await client();
    assert.equal((await tryPassword(newPhone, email, PASSWORD)).location, '/account');

    // The attacker is still refused, and its wait doubles when it starts again.
    const refused = await tryPassword(attacker, email, 'one more guess');
    assert.equal(refused.status, 429);
    assert.match(plain(refused.body), /試行回数が多すぎます/);
    advance(16 * MINUTE);
    const again = await guess(attacker, email, 3);
    assert.equal(again[0], 401, 'after its wait the client may guess again…');
    assert.equal(again.at(-1), 429, '…a few times only (the account\'s own limit is reached)');
    advance(16 * MINUTE);
    const third = await guess(attacker, email, perClient);
    assert.equal(third.at(-1), 429);
    assert.equal(statedMinutes(await tryPassword(attacker, email, 'x')), 30, 'the client\'s second wait is twice the first');

    const [fails] = await app.db.query<{ n: number; rate_limited: number }>(
      `SELECT count(*) FILTER (WHERE data->>'reason' = 'password')::int AS n, count(*) FILTER (WHERE data->>'reason' = 'rate_limited')::int AS rate_limited
         FROM account_events WHERE ip = $1 AND kind = 'sign_in_failed'`,
      [attackerIp],
    );
    assert.ok(fails!.n >= perClient && fails!.rate_limited >= 50 - perClient, 'every refused attempt is on record with its reason');
  });
});

describe('guesses from many clients', () => {
  test('a new device waits at most the account\'s pause: 15 minutes, doubling, never more than an hour; a known device never waits', async () => {
    const { email } = await newUser('spread');
    const phone = await knownDevice(email);
    const { waitMs, maxWaitMs } = SIGN_IN_LIMITS.untrustedFailuresPerAccount;
    const stated: number[] = [];
    for (let round = 0; round < 4; round++) {
      // Guesses spread over several addresses until the account pauses for clients without its device cookie.
      let refused = false;
      for (let i = 0; i < 10 && !refused; i++) refused = (await guess(await client(), email, 4)).includes(429);
      assert.ok(refused, 'the account pauses after its limit of guesses');
      const newDevice = await client();
      const waiting = await tryPassword(newDevice, email, PASSWORD);
      assert.equal(waiting.status, 429, 'a new device waits while the account pauses');
      stated.push(statedMinutes(waiting));
      assert.equal((await tryPassword(phone, email, PASSWORD)).location, '/account', 'the known device signs in at once');
      await signOut(phone);
      advance(stated.at(-1)! * MINUTE);
      assert.equal((await tryPassword(await client(), email, PASSWORD)).location, '/account', `after the stated ${stated.at(-1)} minutes a new device gets in`);
    }
    assert.deepEqual(stated, [waitMs / MINUTE, (2 * waitMs) / MINUTE, maxWaitMs / MINUTE, maxWaitMs / MINUTE]);
  });
});

describe('device cookies that prove nothing', () => {
  test('a forged or altered cookie, or another account\'s, counts as no cookie', async () => {
    const a = await newUser('cookie-a');
    const b = await newUser('cookie-b');
    const phoneA = await knownDevice(a.email);
    const genuine = phoneA.cookies.get(DEVICE_COOKIE)!;
    const attackerIp = freshIp();
    const attacker = await client(attackerIp);
    await guess(attacker, a.email, 9);
    await guess(attacker, b.email, 9);

    const [idPart, devicePart, signature] = genuine.split('.') as [string, string, string];
    const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    const cookies = {
      altered: `${idPart}.${devicePart}.${flipped}`,
      forged: `${idPart}.${'x'.repeat(22)}.${'y'.repeat(32)}`,
      'another device id': `${idPart}.${'A'.repeat(22)}.${signature}`,
      garbage: 'not-a-device-cookie',
    };
    for (const [what, cookie] of Object.entries(cookies)) {
      const r = await tryPassword(await client(attackerIp, cookie), a.email, PASSWORD);
      assert.equal(r.status, 429, `${what}: the attacker's client is still throttled`);
    }
    // Account A's genuine cookie does nothing for account B…
    assert.equal((await tryPassword(await client(attackerIp, genuine), b.email, PASSWORD)).status, 429, 'A\'s cookie for B');
    // …and for an address without an account, the answer is the one any wrong password gets (no enumeration).
    const unknown = await tryPassword(await client(freshIp(), genuine), `nobody-${counter}@example.jp`, PASSWORD);
    const wrong = await tryPassword(await client(freshIp(), genuine), a.email, 'not the password');
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    const message = (p: Page) => /<p class="error-box" role="alert">([^<]*)</.exec(p.body)?.[1];
    assert.equal(message(unknown), message(wrong));
    // The genuine cookie on A: in at once, from the throttled address.
    assert.equal((await tryPassword(await client(attackerIp, genuine), a.email, PASSWORD)).location, '/account');
  });

  test('a stolen device cookie has its own allowance: it locks itself, not the owner\'s other devices', async () => {
    const { email } = await newUser('stolen');
    const phone = await knownDevice(email);
    const laptop = await knownDevice(email);
    const thief = await client(freshIp(), phone.cookies.get(DEVICE_COOKIE));
    const allowance = SIGN_IN_LIMITS.failuresPerDevice.limit;
    const statuses = await guess(thief, email, allowance + 1);
    assert.deepEqual(statuses, [...Array(allowance).fill(401), 429]);
    const locked = await tryPassword(thief, email, PASSWORD);
    assert.equal(locked.status, 429, 'the right password does not help a locked device');
    assert.equal(statedMinutes(locked), 15);
    assert.equal((await tryPassword(laptop, email, PASSWORD)).location, '/account', 'another known device: at once');
    assert.equal((await tryPassword(await client(), email, PASSWORD)).location, '/account', 'a new device: at once (a device\'s failures are its own)');
    advance(16 * MINUTE);
    assert.equal((await tryPassword(thief, email, PASSWORD)).location, '/account', 'the device\'s own wait ends');
  });
});

describe('the second factor', () => {
  test('wrong codes from a client that knows the password do not stop the owner\'s known device', async () => {
    const { email } = await newUser('codes');
    const owner = await client();
    assert.equal((await tryPassword(owner, email, PASSWORD)).location, '/account');
    await owner.get('/account');
    await owner.stepUp(email);
    const setup = await owner.get('/account/2fa');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    assert.equal((await owner.post('/account/2fa', { code: totpCode(secret, now), current: PASSWORD })).status, 303);
    advance(30_000);
    await signOut(owner);

    const attacker = await client();
    assert.equal((await tryPassword(attacker, email, PASSWORD)).location, '/account/login/2fa');
    await attacker.get('/account/login/2fa');
    const valid = [-30_000, 0, 30_000].map((d) => totpCode(secret, new Date(now.getTime() + d)));
    const wrongCode = ['000000', '111111', '222222', '333333'].find((c) => !valid.includes(c))!;
    const codes: number[] = [];
    for (let i = 0; i < SIGN_IN_LIMITS.codeFailuresPerAccount.limit + 1; i++) codes.push((await attacker.post('/account/login/2fa', { code: wrongCode })).status);
    assert.equal(codes.at(-1), 429, 'the client without the device cookie is stopped');

    assert.equal((await tryPassword(owner, email, PASSWORD)).location, '/account/login/2fa');
    await owner.get('/account/login/2fa');
    assert.equal((await owner.post('/account/login/2fa', { code: totpCode(secret, now) })).location, '/account', 'the known device passes at once');
  });
});

describe('the emergency lock is reachable throughout', () => {
  test('from the throttled client: the help center and a lock link; from a known device: the security center\'s lock', async () => {
    const a = await newUser('lock-link');
    await knownDevice(a.email);
    const attackerIp = freshIp();
    const attacker = await client(attackerIp);
    await guess(attacker, a.email, 50);
    assert.equal((await tryPassword(attacker, a.email, PASSWORD)).status, 429);

    const lockMails = async () => app.db.query<{ text_body: string }>(`SELECT text_body FROM mail_outbox WHERE to_address = $1 AND text_body LIKE '%/lock/%' ORDER BY id DESC`, [a.email]);
    const before = (await lockMails()).length;
    const help = await attacker.post('/help/lock', { identifier: a.email });
    assert.equal(help.status, 200, 'the help center answers the throttled client');
    await eventually(async () => (await lockMails()).length > before, 5_000);
    const [mail] = await lockMails();
    const path = /(\/lock\/[\w-]+)/.exec(mail!.text_body)![1]!;
    const done = await attacker.post(path, {}, { csrf: false });
    assert.equal(done.status, 200, 'a lock link works from the throttled client');
    assert.match(plain(done.body), /ロック/);

    const b = await newUser('lock-center');
    const phone = await knownDevice(b.email, attackerIp);
    await guess(attacker, b.email, 50);
    assert.equal((await tryPassword(phone, b.email, PASSWORD)).location, '/account');
    assert.equal((await phone.get('/account/lock')).status, 200);
    const locked = await phone.post('/account/lock', {});
    assert.equal(locked.status, 200);
    assert.match(plain(locked.body), /ロックしました/);
  });
});

describe('the device cookie itself', () => {
  test('HttpOnly, SameSite=Lax, for /account only, kept a year; Secure on a site served over https', async () => {
    const { email } = await newUser('attributes');
    const signIn = async (target: RunningApp) => {
      const page = await fetch(`${target.baseUrl}/account/login`);
      const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const pre = /name="_pre" value="([^"]+)"/.exec(await page.text())![1]!;
      const res = await fetch(`${target.baseUrl}/account/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': freshIp() },
        body: new URLSearchParams({ _pre: pre, email, password: PASSWORD }).toString(),
      });
      assert.equal(res.status, 303);
      return res.headers.getSetCookie().find((c) => /^(__Secure-)?kinkyu_device=/.test(c)) ?? '';
    };
    const plainHttp = await signIn(app);
    assert.match(plainHttp, /^kinkyu_device=[^;]+;/);
    assert.match(plainHttp, /; HttpOnly/i);
    assert.match(plainHttp, /; SameSite=Lax/i);
    assert.match(plainHttp, /; Path=\/account(;|$)/);
    assert.match(plainHttp, /; Max-Age=31536000/);
    assert.doesNotMatch(plainHttp, /; Secure/i);

    const secureApp = await startApp({ db: app.db, demo: false, clock: () => now, config: { secureCookies: true } });
    try {
      const secure = await signIn(secureApp);
      assert.match(secure, /^__Secure-kinkyu_device=[^;]+;/, 'the __Secure- prefix: only a secure origin may set it');
      assert.match(secure, /; Secure/i);
    } finally {
      await secureApp.stop();
    }
  });
});
