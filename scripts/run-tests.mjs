#!/usr/bin/env node
/**
 * Runs the built test files three at a time, in the order given (`npm test` gives the slowest first, see
 * test-files.mjs). Node 20's `node --test FILE…` sorts the files by name before running them, so a long file whose
 * name comes late (triage-model, support-durability) used to start near the end and finish alone on one core; the
 * runner's API keeps the order. Reporters as `npm test` had them: spec on stdout, each file's time on stderr
 * (test/support/file-times-reporter.mjs). Exit code 1 when a test failed, as with `node --test`.
 */
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import fileTimes from '../test/support/file-times-reporter.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('run-tests: no test files given');
  process.exit(2);
}
/**
 * Three files at a time on the 2-core machine this is written for: with two, the cores were busy ~70 % of the time
 * (896 s of CPU in 629 s; the rest is files waiting on a browser, a child process's start, a timer), and the suite
 * took 607–629 s; with three, 555–579 s for 844 s of CPU (2026-12-08). `TEST_CONCURRENCY=N` to measure another.
 */
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 3);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error('run-tests: TEST_CONCURRENCY must be a whole number of files, 1 or more');
  process.exit(2);
}
const stream = run({ files, concurrency });
stream.on('test:fail', (event) => {
  if (!event.todo) process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
stream.compose(fileTimes).pipe(process.stderr);
