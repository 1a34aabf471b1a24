/**
 * A second reporter for `npm test`: the time of each test file (the sum of its top-level tests, which run one
 * after another in the file's own process), slowest first — where the suite's minutes go. The whole table goes
 * to .tmp/test-file-times.txt; the five slowest to this reporter's destination (stderr in `npm test`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';

export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      const file = (event.data.file ?? '(unknown)').replace(/^.*\/test(-dist)?\//, 'test/');
      perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const sorted = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = sorted.reduce((sum, [, ms]) => sum + ms, 0);
  const lines = sorted.map(([file, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
  const heading = `test files: ${sorted.length}, their tests took ${(total / 1000).toFixed(0)} s in all (files run two at a time)`;
  try {
    mkdirSync('.tmp', { recursive: true });
    writeFileSync('.tmp/test-file-times.txt', `${heading}\n${lines.join('\n')}\n`);
  } catch {
    // Only a report: a read-only checkout still gets the summary below.
  }
  yield `${heading}; slowest:\n${lines.slice(0, 5).join('\n')}\n`;
}
