import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { nextStaffCode, PASSWORD, rememberStaffFactor, type RunningApp } from './app.ts';

/** Debian's Chromium (CHROMIUM_PATH to point elsewhere), quiet: no sandbox in CI, no GPU, no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Where browser tests save their screenshots (.tmp/screens at the repository root). */
export const SCREENS = new URL('../../.tmp/screens/', import.meta.url);

/** Chromium and the application, started side by side before a file's browser tests (with the screenshot folder). */
export async function startBrowserAndApp(startApp: () => Promise<RunningApp>): Promise<[Browser, RunningApp]> {
  mkdirSync(SCREENS, { recursive: true });
  return startAll([launchChromium(), startApp()] as const);
}

/**
 * Promise.all for things that must be stopped: when one fails to start (no Chromium on this machine, say), the
 * others that did start are stopped (`stop()`, else `close()`) before the error is thrown — else their timers
 * and servers keep the test process alive and the run hangs instead of failing.
 */
export async function startAll<T extends readonly unknown[]>(starts: { readonly [K in keyof T]: Promise<T[K]> }): Promise<{ -readonly [K in keyof T]: T[K] }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: T[K] };
  for (const s of settled) {
    if (s.status !== 'fulfilled') continue;
    const started = s.value as { stop?: () => Promise<unknown>; close?: () => Promise<unknown> };
    await (typeof started.stop === 'function' ? started.stop() : started.close?.())?.catch(() => undefined);
  }
  throw failed.reason;
}

/** Stops what startBrowserAndApp started, also when it only half started. */
export async function stopBrowserAndApp(browser: Browser | undefined, app: RunningApp | undefined): Promise<void> {
  await browser?.close();
  await app?.stop();
}

/**
 * Signs a staff member in through the real forms (Japanese labels) and waits for the dashboard: the password, then
 * the code from their authenticator app (makeStaff's known secret) — or, for a member without one yet, the real
 * enrolment (the key read off the page) and its recovery codes.
 */
export async function signInStaff(page: Page, baseUrl: string, email: string, password = PASSWORD): Promise<void> {
  await page.getByRole('heading', { name: 'ログイン', level: 1 }).waitFor();
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await completeStaffFactor(page, baseUrl, email);
  // A loaded CI machine can take seconds to render the first dashboard; a refused code shows its error instead.
  const dashboard = page.getByRole('heading', { name: 'ダッシュボード', level: 1 });
  const refused = page.getByRole('alert');
  await dashboard.or(refused).first().waitFor({ timeout: 30_000 });
  if (!(await dashboard.isVisible())) throw new Error(`staff sign-in for ${email} refused: ${(await refused.first().textContent())?.trim()}`);
  assertOrigin(page.url(), baseUrl);
}

function assertOrigin(url: string, baseUrl: string): void {
  const u = new URL(url);
  if (u.origin !== new URL(baseUrl).origin || u.pathname !== '/staff') throw new Error(`signed in but on ${url}, not ${baseUrl}/staff`);
}

/** After the password: the code step, or the enrolment, as the page asks. */
export async function completeStaffFactor(page: Page, baseUrl: string, email: string): Promise<void> {
  const step = page.getByRole('heading', { name: '二段階認証', level: 1, exact: true });
  const enrol = page.getByRole('heading', { name: '二段階認証の設定', level: 1 });
  await step.or(enrol).waitFor();
  if (await enrol.isVisible()) {
    const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    rememberStaffFactor(email, secret);
    await page.getByLabel('認証アプリの6桁のコード').fill(await nextStaffCode(email, baseUrl));
    await page.getByRole('button', { name: '登録する' }).click();
    await page.getByRole('heading', { name: 'リカバリーコード', level: 1 }).waitFor();
    await page.getByRole('link', { name: '保存しました。続ける' }).click();
    return;
  }
  await page.getByLabel('認証アプリの6桁のコード').fill(await nextStaffCode(email, baseUrl));
  await page.getByRole('button', { name: '確認する' }).click();
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

/** WCAG 2.1 A/AA violations found by axe-core, injected by the test (the pages themselves run no script). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const found = await page.evaluate<AxeViolation[]>(
    // resultTypes: axe still runs every rule on every node, but keeps one node per passing/inapplicable rule instead
    // of all of them (its documented speed-up); the violations are the same.
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }).then((r) => r.violations)`,
  );
  return found.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
}

/** A virtual platform authenticator on this page's browser (DevTools WebAuthn): CTAP2, built in, holds passkeys, verifies the user. */
export async function virtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}
