#!/usr/bin/env node
/**
 * The production build: TypeScript in src/ → JavaScript in dist/ (same tree, so paths relative to a module —
 * migrations, the triage model, ../../eval — resolve the same from both), plus the files that are not
 * TypeScript (SQL, JSON, CSS, the passkey page script). `npm start` runs dist/, so a start compiles nothing.
 *
 *   node scripts/build.mjs            build
 *   node scripts/build.mjs --if-stale build only when a file in src/ (or package.json, tsconfig.json, the build
 *                                     scripts) is newer than the last build (scripts/build-stamp.mjs)
 *
 * esbuild transpiles each module on its own (no bundling, no type check: `npm run typecheck` does that, and
 * `npm test` runs it first); a relative `./x.ts` import becomes `./x.js`. A whole build takes about a second, so
 * every build is a full one. Each file is written to a temporary name and renamed, so a process loading dist/
 * while another build runs (two test files finding it stale at once) never reads half a file.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { distIsCurrent, ROOT as root, STAMP as stamp } from './build-stamp.mjs';
import { atomicWriter, files, ONE_MODULE_PER_SOURCE } from './build-output.mjs';

if (process.argv.includes('--if-stale') && distIsCurrent()) process.exit(0);

const { build } = await import('esbuild');
const src = join(root, 'src');
const dist = join(root, 'dist');

const started = new Date();
const sources = [...files(src)];

/** Every import stays an import (nothing is bundled); relative TypeScript specifiers are renamed to the emitted `.js`. */
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relativeTs = /^\.\.?\//.test(args.path) && args.path.endsWith('.ts');
      return { path: relativeTs ? args.path.slice(0, -3) + '.js' : args.path, external: true };
    });
  },
};

let result;
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: sources.filter((p) => p.endsWith('.ts')),
    outbase: src,
    outdir: dist,
    // bundle + every import external = one output per module, with esbuild (not a regex) finding the specifiers.
    ...ONE_MODULE_PER_SOURCE,
    plugins: [keepImports],
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: true,
  });
} catch {
  console.error('build: esbuild reported errors (above); dist/ was not updated');
  process.exit(1);
}

const { written, write: writeAtomically } = atomicWriter();
for (const out of result.outputFiles) writeAtomically(out.path, Buffer.from(out.contents));
let copied = 0;
for (const path of sources) {
  if (path.endsWith('.ts')) continue;
  writeAtomically(join(dist, relative(src, path)), readFileSync(path));
  copied++;
}
// kuromoji's dictionary, decompressed once here rather than in every process that searches Japanese, and without
// the zero padding its byte buffers carry (39 of 100 MB; kuromoji reads a byte past a buffer's end as 0).
// src/help/search/kuromoji-loader.ts reads these when manifest.json matches the package's files.
const kuromojiDict = join(dirname(dirname(createRequire(import.meta.url).resolve('kuromoji'))), 'dict');
const PADDED = new Set(['tid', 'tid_pos', 'tid_map', 'unk', 'unk_pos', 'unk_map', 'unk_invoke']);
const dictDir = join(dist, 'kuromoji-dict');
const manifestPath = join(dictDir, 'manifest.json');
const manifest = {};
let previous = {};
try {
  previous = JSON.parse(readFileSync(manifestPath, 'utf8'));
} catch {
  // First build, or an unreadable manifest: write every file again.
}
for (const file of readdirSync(kuromojiDict).filter((n) => n.endsWith('.dat.gz'))) {
  const name = file.slice(0, -'.dat.gz'.length);
  const packed = readFileSync(join(kuromojiDict, file));
  const inflated = packed.readUInt32LE(packed.length - 4);
  const target = join(dictDir, `${name}.dat`);
  written.add(target);
  const known = previous[name];
  if (known && known.inflated === inflated && existsSync(target) && statSync(target).size === known.size) {
    manifest[name] = known;
    continue;
  }
  let bytes = gunzipSync(packed);
  if (PADDED.has(name)) {
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    bytes = bytes.subarray(0, Math.min(bytes.length, (end + 4) & ~3)); // keep int32 alignment and a zero after the data
  }
  writeAtomically(target, bytes);
  manifest[name] = { inflated, size: bytes.length };
}
written.add(manifestPath);
writeAtomically(manifestPath, Buffer.from(JSON.stringify(manifest, null, 1) + '\n'));
// The starter articles' Japanese, analysed once here so that a start need not load the dictionary
// (src/help/search/starter-analysis.ts). Optional: without it every process analyses for itself.
const analysedPieces = join(dist, 'search-cache', 'analysed-pieces.json');
written.add(analysedPieces);
rmSync(analysedPieces, { force: true });
const analysis = spawnSync(process.execPath, [join(dist, 'help', 'search', 'starter-analysis.js'), analysedPieces], { stdio: 'inherit' });
if (analysis.status !== 0) console.error('build: the starter articles could not be analysed ahead; processes will analyse them at start');
// What a source that was moved or deleted left behind (and what the tsc build used to keep).
for (const path of [...files(dist)]) {
  if (!written.has(path) && !path.endsWith('.tmp') && path !== stamp) rmSync(path, { force: true });
}
writeFileSync(stamp, started.toISOString() + '\n');
// Stamped with the start time: a source saved while this build ran is newer, so the next --if-stale builds again.
utimesSync(stamp, started, started);
const seconds = ((Date.now() - started.getTime()) / 1000).toFixed(1);
console.error(`build: dist/ ready in ${seconds} s (${result.outputFiles.length} files emitted, ${copied} data files copied)`);
