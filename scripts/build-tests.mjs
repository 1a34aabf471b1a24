#!/usr/bin/env node
/**
 * The tests, built like the application: test/ (TypeScript) → test-dist/ (JavaScript), each module on its own, an
 * import of `…/src/x.ts` turned into `…/dist/x.js` (the application as scripts/build.mjs built it, so a test and
 * the server it starts share one copy of every module) and a relative `./x.ts` into `./x.js`; every other file
 * (fixtures, schemas, .mjs) copied. `npm test` runs test-dist/: a test process then loads plain JavaScript, no
 * TypeScript compiler hooked into each of its ~1,000 imports (~1.4 s of CPU less per test file).
 * test-dist/ sits beside test/ at the same depth, so paths relative to a test (../content, ./schemas) still hold.
 *
 * A single file still runs from source: node --import tsx --test test/foo.test.ts
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ROOT as root } from './build-stamp.mjs';
import { atomicWriter, files, ONE_MODULE_PER_SOURCE } from './build-output.mjs';

const { build } = await import('esbuild');
const testDir = join(root, 'test');
const out = join(root, 'test-dist');
const srcDir = join(root, 'src');

const started = Date.now();
const sources = [...files(testDir)];
const isModule = (p) => p.endsWith('.ts') && !p.endsWith('.d.ts');

const rewriteImports = {
  name: 'rewrite-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!/^\.\.?\//.test(args.path) || !args.path.endsWith('.ts')) return { path: args.path, external: true };
      const target = join(args.resolveDir, args.path);
      if (target.startsWith(srcDir + sep)) {
        // The importer moves from test/… to test-dist/… (same depth): the specifier keeps its ../ count.
        const inDist = relative(args.resolveDir, join(root, 'dist', relative(srcDir, target))).split(sep).join('/');
        return { path: (inDist.startsWith('.') ? inDist : `./${inDist}`).slice(0, -3) + '.js', external: true };
      }
      return { path: args.path.slice(0, -3) + '.js', external: true };
    });
  },
};

let result;
try {
  result = await build({
    absWorkingDir: root,
    entryPoints: sources.filter(isModule),
    outbase: testDir,
    outdir: out,
    ...ONE_MODULE_PER_SOURCE,
    plugins: [rewriteImports],
    tsconfig: join(root, 'tsconfig.json'),
  });
} catch {
  console.error('build-tests: esbuild reported errors (above); test-dist/ was not updated');
  process.exit(1);
}

const { written, write: writeAtomically } = atomicWriter();
for (const file of result.outputFiles) writeAtomically(file.path, Buffer.from(file.contents));
for (const path of sources) if (!isModule(path) && !path.endsWith('.d.ts')) writeAtomically(join(out, relative(testDir, path)), readFileSync(path));
if (existsSync(out)) for (const path of [...files(out)]) if (!written.has(path)) rmSync(path, { force: true });
console.error(`build-tests: test-dist/ ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${result.outputFiles.length} modules)`);
