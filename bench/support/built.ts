/**
 * The benchmarks measure the application as `npm start` runs it: the built JavaScript in dist/ (and the test
 * harness in test-dist/, which imports dist/), not the TypeScript sources compiled on the fly by tsx, whose
 * transform adds helpers (a `__name(fn)` call for every closure) that cost the server CPU in a hot path.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds dist/ (when a source changed) and test-dist/, as `npm test` does. In the benchmark's parent, once. */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-tests.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The built copy of a module given by its source path from the repository root ('src/x/y.ts' → dist/x/y.js,
 * 'test/support/app.ts' → test-dist/support/app.js). Type it with `typeof import('<source>')` at the call.
 */
export async function importBuilt<T>(source: string): Promise<T> {
  const built = source.replace(/^src\//, 'dist/').replace(/^test\//, 'test-dist/').replace(/\.ts$/, '.js');
  if (built === source) throw new Error(`importBuilt: not a src/ or test/ module: ${source}`);
  return (await import(pathToFileURL(join(ROOT, built)).href)) as T;
}
