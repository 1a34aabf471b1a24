/**
 * `npm test`'s runner (scripts/run-tests.mjs): the files run in the order given — Node 20's `node --test FILE…`
 * sorts them by name, which silently undid "slowest first" — a failing test makes the exit code 1, and the times
 * table keeps the files a partial run did not touch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../scripts/run-tests.mjs', import.meta.url));
/** This file's own environment without the marker node:test gives its child processes (the runner is a top level). */
const { NODE_TEST_CONTEXT: _child, ...ENV } = process.env;

/** A test file (CommonJS, so it needs no package.json) that appends its name to `log` when it runs. */
const testFile = (name: string, log: string, passes = true) =>
  `const { test } = require('node:test');\n` +
  `test('${name}', () => { require('node:fs').appendFileSync(${JSON.stringify(log)}, '${name}\\n'); ${passes ? '' : "throw new Error('fails on purpose');"} });\n`;

test('files run in the order given, a failure is exit code 1, and the times table keeps earlier files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-runner-'));
  try {
    mkdirSync(join(dir, 'test'));
    mkdirSync(join(dir, '.tmp'));
    const log = join(dir, 'ran.txt');
    writeFileSync(join(dir, 'test', 'zeta.test.js'), testFile('zeta', log));
    writeFileSync(join(dir, 'test', 'alpha.test.js'), testFile('alpha', log));
    writeFileSync(join(dir, 'test', 'mid.test.js'), testFile('mid', log, false));
    // A file of an earlier run that this one does not run.
    writeFileSync(join(dir, '.tmp', 'test-file-times.txt'), 'earlier\n   42.0 s  test/untouched.test.js\n');

    const run = (files: string[]) =>
      spawnSync(process.execPath, [RUNNER, ...files.map((f) => join(dir, 'test', f))], { cwd: dir, env: { ...ENV, TEST_CONCURRENCY: '1' }, encoding: 'utf8' });

    const ok = run(['zeta.test.js', 'alpha.test.js']);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['zeta', 'alpha'], 'zeta was given first and ran first');
    assert.match(ok.stdout, /ℹ pass 2/);
    const table = readFileSync(join(dir, '.tmp', 'test-file-times.txt'), 'utf8');
    for (const file of ['test/zeta.test.js', 'test/alpha.test.js', 'test/untouched.test.js']) assert.match(table, new RegExp(` s {2}${file}$`, 'm'), table);
    assert.match(table, /^ {3}42\.0 s {2}test\/untouched\.test\.js$/m, 'the earlier time is kept as it was');

    const failing = run(['mid.test.js', 'alpha.test.js']);
    assert.equal(failing.status, 1, failing.stdout);
    assert.match(failing.stdout, /ℹ fail 1/);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n').slice(2), ['mid', 'alpha'], 'a failure does not stop the other files');

    const none = spawnSync(process.execPath, [RUNNER], { cwd: dir, encoding: 'utf8', env: { ...ENV, TEST_CONCURRENCY: '0' } });
    assert.equal(none.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
