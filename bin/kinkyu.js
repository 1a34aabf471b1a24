#!/usr/bin/env node
// The `kinkyu` command: the built CLI (dist/, `npm run build`) when it is current, else the TypeScript source
// through tsx's loader, so a checkout that was never built still works.
import { distIsCurrent } from '../scripts/build-stamp.mjs';

if (distIsCurrent()) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
