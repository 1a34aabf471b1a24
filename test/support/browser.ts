import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PASSWORD, type RunningApp } from './app.ts';

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
  return Promise.all([launchChromium(), startApp()]);
}

/** Stops what startBrowserAndApp started, also when it only half started. */
export async function stopBrowserAndApp(browser: Browser | undefined, app: RunningApp | undefined): Promise<void> {
  await browser?.close();
  await app?.stop();
}

/** Signs a staff member in through the real sign-in form (Japanese labels) and waits for the dashboard. */
export async function signInStaff(page: Page, baseUrl: string, email: string): Promise<void> {
  await page.getByRole('heading', { name: 'ログイン', level: 1 }).waitFor();
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL((u) => u.origin === new URL(baseUrl).origin && u.pathname === '/staff');
  await page.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
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
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations)`,
  );
  return found.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
}
