/**
 * When dist/ is current: its stamp (written by scripts/build.mjs with the time the build started) is at least as
 * new as every file in src/ and every file the build's output depends on. Shared by the build (`--if-stale`) and
 * the tests that run the built CLI (test/support/built-cli.ts), so both agree on what "stale" means.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const STAMP = join(ROOT, 'dist', '.built');
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/build-stamp.mjs', 'scripts/build-output.mjs'];

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function distIsCurrent() {
  if (!existsSync(STAMP)) return false;
  let newest = newestIn(join(ROOT, 'src'));
  for (const input of BUILD_INPUTS) newest = Math.max(newest, statSync(join(ROOT, input)).mtimeMs);
  return statSync(STAMP).mtimeMs >= newest;
}
