import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { distIsCurrent, ROOT } from '../../scripts/build-stamp.mjs';

/**
 * The built CLI (`node dist/cli/main.js`, what `npm start` and bin/kinkyu.js run): tests that start real server
 * processes or run the command spawn it rather than the TypeScript source through tsx, which compiles ~380 modules
 * at every start. It is never stale: each call checks dist/ against src/ (a few milliseconds) and builds when a
 * source is newer (`npm test` builds once before the tests; a lone test file run builds here the first time).
 */
export function builtCli(): string {
  if (!distIsCurrent()) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return join(ROOT, 'dist/cli/main.js');
}
