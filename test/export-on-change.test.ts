import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startApp } from './support/app.ts';

test('with EXPORT_DIR set, the static copy follows every change on its own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-live-export-'));
  const app = await startApp({ config: { exportDir: dir } });
  try {
    await eventually(async () => existsSync(join(dir, 'index.html')), 10_000);
    await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'outage', severity: 'SEV1', nameJa: '取引所全体の障害', nameEn: 'Exchange-wide outage', bodyJa: '全サービスを停止しています。',
      componentStatuses: { pairbtcjpy00: 'major_outage' },
    });
    const ms = await eventually(async () => {
      // The first export may still be writing its files: a missing one just means "not yet".
      if (!existsSync(join(dir, 'api/v2/summary.json')) || !existsSync(join(dir, 'en/index.html'))) return false;
      const page = readFileSync(join(dir, 'index.html'), 'utf8');
      const summary = JSON.parse(readFileSync(join(dir, 'api/v2/summary.json'), 'utf8'));
      return page.includes('取引所全体の障害') && summary.status.indicator === 'critical'
        && readFileSync(join(dir, 'en/index.html'), 'utf8').includes('Exchange-wide outage');
    }, 10_000);
    console.log(`# static copy updated ${ms} ms after the change`);
    await app.stop(); // waits for the export in progress
    const leftovers = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
    assert.deepEqual(leftovers, [], 'no half-written files are left behind');
  } finally {
    await app.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
