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
 * esbuild bundles (no type check: `npm run typecheck` does that, and `npm test` runs it first): every module in
 * src/ is an entry point, so dist/ keeps the tree (dist/x/y.js for src/x/y.ts, each exporting what its source
 * exports), while the code itself, with the npm packages it uses, lives in shared chunks (dist/chunks/, code
 * splitting: one copy of each module however many entry points reach it). Importing the server then loads ~460
 * files instead of ~1,500 (the application's modules and its packages'): resolving, reading and linking them cost
 * ~0.6 s of CPU at every start of a server, a CLI command or a test file. Packages that find files beside their
 * own code at run time (PGlite's WebAssembly, kuromoji's dictionary, argon2's native binary, pg's optional
 * native binding) stay ordinary imports from node_modules (RUNTIME_PACKAGES).
 *
 * A module's `import.meta.url` is rewritten to the URL its own output file has in dist/ (not the chunk's), so
 * paths relative to a module (migrations, the triage model, ../../eval) resolve the same from src/ and dist/.
 * Each file is written to a temporary name and renamed, so a process loading dist/ while another build runs (two
 * test files finding it stale at once) never reads half a file.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { dirname, join, relative, sep } from 'node:path';
import { distIsCurrent, ROOT as root, STAMP as stamp } from './build-stamp.mjs';
import { atomicWriter, files } from './build-output.mjs';

if (process.argv.includes('--if-stale') && distIsCurrent()) process.exit(0);

const { build } = await import('esbuild');
const src = join(root, 'src');
const dist = join(root, 'dist');

const started = new Date();
const sources = [...files(src)];

/**
 * Imported from node_modules at run time, not bundled: PGlite, kuromoji, argon2 and pg read files that sit beside
 * their own code (WebAssembly, a dictionary, native binaries); @fastify/cookie, a CommonJS package, import()s
 * `cookie`, which a bundle would answer with other export names than Node does (the check after the build finds
 * any other such import).
 */
const RUNTIME_PACKAGES = ['@electric-sql/pglite', 'kuromoji', '@node-rs/argon2', 'pg', '@fastify/cookie'];

/** Stands for dist/'s URL in a module whose import.meta.url was rewritten; each output file gets its own below. */
const DIST_URL = '__KINKYU_DIST_URL__';

/** `import.meta.url` → the URL of the module's own output file (its code may end up in a chunk elsewhere). */
const moduleUrls = {
  name: 'module-urls',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(src + sep)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const own = relative(src, args.path).split(sep).join('/').replace(/\.ts$/, '.js');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, ${DIST_URL}).href`), loader: 'ts' };
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
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: RUNTIME_PACKAGES,
    metafile: true,
    // Bundled CommonJS packages call require() for Node's own modules; an ES module has none of its own.
    banner: { js: "import { createRequire as __kinkyuCreateRequire } from 'node:module'; const require = __kinkyuCreateRequire(import.meta.url);" },
    plugins: [moduleUrls],
    tsconfig: join(root, 'tsconfig.json'),
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
} catch {
  console.error('build: esbuild reported errors (above); dist/ was not updated');
  process.exit(1);
}

// A CommonJS package that import()s another bundled package gets esbuild's view of its exports, not Node's:
// such a package must stay a run-time import.
const bundledDynamicImports = Object.entries(result.metafile.inputs).flatMap(([path, input]) =>
  path.includes('node_modules/') ? input.imports.filter((i) => i.kind === 'dynamic-import' && !i.external).map((i) => `${path} → ${i.path}`) : []);
if (bundledDynamicImports.length > 0) {
  console.error(`build: a package import()s another that would be bundled; add it to RUNTIME_PACKAGES:\n  ${bundledDynamicImports.join('\n  ')}`);
  process.exit(1);
}

const { written, write: writeAtomically } = atomicWriter();
for (const out of result.outputFiles) {
  let contents = Buffer.from(out.contents);
  if (out.path.endsWith('.js') && contents.includes(DIST_URL)) {
    const up = relative(dirname(out.path), dist).split(sep).join('/');
    contents = Buffer.from(contents.toString('utf8').replaceAll(DIST_URL, `new URL(${JSON.stringify(up ? `${up}/` : './')}, import.meta.url)`));
  }
  writeAtomically(out.path, contents);
}
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
