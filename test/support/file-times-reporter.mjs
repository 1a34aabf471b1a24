/**
 * A second reporter for `npm test`: the time of each test file (the sum of its top-level tests, which run one
 * after another in the file's own process), slowest first — where the suite's minutes go. The whole table goes
 * to .tmp/test-file-times.txt; the five slowest to this reporter's destination (stderr in `npm test`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const TABLE = '.tmp/test-file-times.txt';

/** The times of the last runs, so that running a few files does not forget the others' (the order of the next run). */
function earlierTimes() {
  if (!existsSync(TABLE)) return new Map();
  const rows = [...readFileSync(TABLE, 'utf8').matchAll(/^\s*([\d.]+) s {2}(test\/\S+\.test\.js)$/gm)];
  return new Map(rows.map((m) => [m[2], Number(m[1]) * 1000]));
}

export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      const file = (event.data.file ?? '(unknown)').replace(/^.*\/test(-dist)?\//, 'test/');
      perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  const line = ([file, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`;
  const sorted = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = sorted.reduce((sum, [, ms]) => sum + ms, 0);
  const lines = sorted.map(line);
  const heading = `test files: ${sorted.length}, their tests took ${(total / 1000).toFixed(0)} s in all (files run two at a time)`;
  try {
    const merged = [...new Map([...earlierTimes(), ...perFile])].sort((a, b) => b[1] - a[1]);
    mkdirSync('.tmp', { recursive: true });
    writeFileSync(TABLE, `${heading}\n${merged.map(line).join('\n')}\n`);
  } catch {
    // Only a report: a read-only checkout still gets the summary below.
  }
  yield `${heading}; slowest:\n${lines.slice(0, 5).join('\n')}\n`;
}
