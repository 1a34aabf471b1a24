import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../src/web/rate-limit.ts';

test('a limiter flooded with distinct keys stays bounded and keeps limiting recent keys', () => {
  let now = 0;
  const limiter = new RateLimiter(2, 600_000, () => now);
  for (let i = 0; i < RateLimiter.MAX_KEYS + 20_000; i++) {
    limiter.take(`user-${i}@example.jp`);
    now += 1;
  }
  const size = (limiter as unknown as { hits: Map<string, unknown> }).hits.size;
  assert.ok(size <= RateLimiter.MAX_KEYS * 1.2, `kept ${size} keys`);
  const recent = `user-${RateLimiter.MAX_KEYS + 19_999}@example.jp`;
  assert.equal(limiter.take(recent), true, 'second attempt of a recent key is allowed');
  assert.equal(limiter.take(recent), false, 'third attempt of a recent key is refused');
});

test('a window ends: the key may try again', () => {
  let now = 0;
  const limiter = new RateLimiter(1, 1000, () => now);
  assert.equal(limiter.take('a'), true);
  assert.equal(limiter.take('a'), false);
  now = 1000;
  assert.equal(limiter.take('a'), true);
});
