#!/usr/bin/env node
/**
 * The production build: TypeScript in src/ → JavaScript in dist/ (same tree, so paths relative to a module —
 * migrations, the triage model, ../../eval — resolve the same from both), plus the files that are not
 * TypeScript (SQL, JSON, CSS). `npm start` runs dist/, so a start does not compile anything.
 *
 *   node scripts/build.mjs            build (incremental: only what changed is compiled again)
 *   node scripts/build.mjs --if-stale build only when a file in src/ is newer than the last build
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

function newestSource() {
  let newest = 0;
  for (const path of files(src)) newest = Math.max(newest, statSync(path).mtimeMs);
  for (const extra of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) newest = Math.max(newest, statSync(join(root, extra)).mtimeMs);
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) process.exit(0);

const started = Date.now();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
} catch {
  console.error('build: TypeScript reported errors (above); dist/ was not updated');
  process.exit(1);
}
let copied = 0;
for (const path of files(src)) {
  if (path.endsWith('.ts')) continue;
  const to = join(dist, relative(src, path));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(path, to);
  copied++;
}
writeFileSync(stamp, new Date().toISOString() + '\n');
console.error(`build: dist/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${copied} data files copied)`);
