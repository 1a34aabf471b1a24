/**
 * A second reporter for `npm test`: the time of each test file (the sum of its top-level tests, which run one
 * after another in the file's own process), slowest first — where the suite's minutes go. The table in .tmp/
 * (scripts/test-times.mjs) keeps every file, those of earlier runs that this run did not touch included (the next
 * run's order); this run's five slowest go to this reporter's destination (stderr in `npm test`).
 */
import { formatTestTime, readTestTimes, writeTestTimes } from '../../scripts/test-times.mjs';

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
  const heading = `test files in this run: ${sorted.length}, their tests took ${(total / 1000).toFixed(0)} s in all`;
  try {
    const root = process.cwd();
    writeTestTimes(root, heading, new Map([...readTestTimes(root), ...perFile]));
  } catch {
    // Only a report: a read-only checkout still gets the summary below.
  }
  yield `${heading}; slowest:\n${sorted.slice(0, 5).map(formatTestTime).join('\n')}\n`;
}
