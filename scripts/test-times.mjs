/**
 * The table of each test file's time (`.tmp/test-file-times.txt` under a checkout): written after every run by
 * test/support/file-times-reporter.mjs, read by scripts/test-files.mjs to start the slowest files first.
 * One line per file, slowest first: `   71.4 s  test/lock-crash-matrix.test.js`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const timesTable = (root) => join(root, '.tmp', 'test-file-times.txt');

/** File (`test/x.test.js`) → milliseconds, from the table under `root`; empty when there is none. */
export function readTestTimes(root) {
  const table = timesTable(root);
  if (!existsSync(table)) return new Map();
  const rows = [...readFileSync(table, 'utf8').matchAll(/^\s*([\d.]+) s {2}(test\/\S+\.test\.js)$/gm)];
  return new Map(rows.map((m) => [m[2], Number(m[1]) * 1000]));
}

export const formatTestTime = ([file, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`;

/** Writes the table under `root`: `heading`, then every file of `times`, slowest first. */
export function writeTestTimes(root, heading, times) {
  const table = timesTable(root);
  const rows = [...times].sort((a, b) => b[1] - a[1]);
  mkdirSync(dirname(table), { recursive: true });
  writeFileSync(table, `${heading}\n${rows.map(formatTestTime).join('\n')}\n`);
}
