#!/usr/bin/env node
/**
 * The built test files for `npm test`, the slowest first: with a few files at a time, a long file started last
 * leaves one core idle while it finishes alone. The order comes from the last run's times
 * (.tmp/test-file-times.txt, written by test/support/file-times-reporter.mjs) when there is one, else from
 * test/slow-first.txt; files in neither follow alphabetically.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './build-stamp.mjs';
import { readTestTimes } from './test-times.mjs';

const built = readdirSync(join(ROOT, 'test-dist')).filter((f) => f.endsWith('.test.js')).sort();
const lastRuns = readTestTimes(ROOT);
const names = lastRuns.size > 0
  ? [...lastRuns.keys()].map((file) => file.replace(/^test\/(.*)\.js$/, '$1'))
  : readFileSync(join(ROOT, 'test', 'slow-first.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const first = names.map((n) => `${n}.js`).filter((f) => built.includes(f));
const order = [...new Set([...first, ...built])];
process.stdout.write(order.map((f) => `test-dist/${f}`).join('\n') + '\n');
