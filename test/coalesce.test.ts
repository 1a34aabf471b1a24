import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce } from '../src/jobs/coalesce.ts';

test('a burst of triggers runs the job a few times, one at a time, and once after the last trigger', async () => {
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  let seen = 0;
  let value = 0;
  const job = coalesce(async () => {
    runs++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    seen = value;
    await new Promise((r) => setTimeout(r, 5));
    concurrent--;
  }, 20);
  const waits: Promise<void>[] = [];
  for (let i = 1; i <= 50; i++) {
    value = i;
    waits.push(job.trigger());
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(waits);
  await job.settled();
  assert.equal(maxConcurrent, 1, 'never two runs at once');
  assert.ok(runs >= 2 && runs < 20, `bounded by the gap (${runs} runs for 50 triggers)`);
  assert.equal(seen, 50, 'the last run saw the newest value');
  assert.equal(job.running, false);
});
