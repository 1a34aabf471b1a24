import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { applyComponentConfig, parseComponentConfig } from '../src/status/component-config.ts';
import { listComponents } from '../src/status/repository.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import './support/audit-key.ts'; // appends to the audit log on a bare database: the test process's audit key
import { builtCli } from './support/built-cli.ts';

const run = promisify(execFile);
const example = JSON.parse(readFileSync(new URL('../examples/components.bitbank.json', import.meta.url), 'utf8'));
const refused = (fn: () => unknown, code: string) => assert.throws(fn, (e: unknown) => e instanceof KinkyuError && e.code === code);

describe('component configuration', () => {
  let db: Db;
  before(async () => {
    db = await openMigratedDb();
    await migrate(db);
  });
  after(async () => db.close());

  test('the shipped example describes a bitbank-like exchange', () => {
    const entries = parseComponentConfig(example);
    assert.ok(entries.some((e) => e.group && e.nameEn === 'Spot trading'));
    assert.deepEqual(entries.find((e) => e.id === 'pairbtcjpy00')?.metadata, { pairs: ['btc_jpy'] });
  });

  test('applying is idempotent, keeps status and history, and records one audit entry per real change', async () => {
    const entries = parseComponentConfig(example);
    const first = await db.transaction((tx) => applyComponentConfig(tx, SYSTEM_ACTOR, entries, new Date()));
    assert.equal(first.added.length, entries.length);
    await db.query("UPDATE components SET status = 'major_outage' WHERE id = 'restapi00000'");
    const again = await db.transaction((tx) => applyComponentConfig(tx, SYSTEM_ACTOR, entries, new Date()));
    assert.deepEqual(again, { added: [], updated: [], notInFile: [] });

    const renamed = structuredClone(example);
    renamed.components.find((c: { id: string }) => c.id === 'restapi00000').nameEn = 'REST API (v1)';
    renamed.components = renamed.components.filter((c: { id: string }) => c.id !== 'signin000000');
    renamed.components.push({ id: 'solusdt', groupId: 'grptrading00', nameJa: 'SOL/JPY', nameEn: 'SOL/JPY', metadata: { pairs: ['sol_jpy'] } });
    const third = await db.transaction((tx) => applyComponentConfig(tx, SYSTEM_ACTOR, parseComponentConfig(renamed), new Date()));
    assert.deepEqual(third.added, ['solusdt']);
    assert.ok(third.updated.includes('restapi00000'));
    assert.deepEqual(third.notInFile, ['signin000000'], 'a component left out is kept and reported, never deleted');
    const rest = (await listComponents(db)).find((c) => c.id === 'restapi00000');
    assert.equal(rest?.nameEn, 'REST API (v1)');
    assert.equal(rest?.status, 'major_outage', 'configuration never changes a live status');
    const audits = await db.query<{ action: string }>("SELECT action FROM audit_log WHERE action = 'components.apply'");
    assert.equal(audits.length, 2);
    assert.equal((await verifyAudit(db)).ok, true);
  });

  test('bad files are refused with the field named', () => {
    refused(() => parseComponentConfig({}), 'VALIDATION');
    refused(() => parseComponentConfig({ components: [{ id: 'Bad Id!', nameJa: 'a', nameEn: 'a' }] }), 'VALIDATION');
    refused(() => parseComponentConfig({ components: [{ id: 'a', nameJa: 'a', nameEn: 'a' }, { id: 'a', nameJa: 'b', nameEn: 'b' }] }), 'CONFLICT');
    refused(() => parseComponentConfig({ components: [{ id: 'a', groupId: 'nogroup', nameJa: 'a', nameEn: 'a' }] }), 'VALIDATION');
    refused(() => parseComponentConfig({ components: [{ id: 'a', nameJa: '', nameEn: 'a' }] }), 'VALIDATION');
    refused(() => parseComponentConfig({ components: [{ id: 'a', nameJa: '<b>'.repeat(100), nameEn: 'a' }] }), 'VALIDATION');
    refused(() => parseComponentConfig({ components: [{ id: 'a', nameJa: 'a', nameEn: 'a', metadata: [1] }] }), 'VALIDATION');
  });
});

describe('kinkyu components apply / export', () => {
  test('round trip through the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-components-'));
    const env = { ...process.env, DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };
    try {
      const cli = (...args: string[]) => run(process.execPath, [builtCli(), ...args], { env });
      const applied = await cli('components', 'apply', '--file', 'examples/components.bitbank.json');
      assert.match(applied.stdout, /17 added, 0 updated/);
      const exported = JSON.parse((await cli('components', 'export')).stdout);
      assert.deepEqual(parseComponentConfig(exported), parseComponentConfig(example));
      writeFileSync(join(dir, 'bad.json'), '{"components": [{"id": "x"}]}');
      await assert.rejects(cli('components', 'apply', '--file', join(dir, 'bad.json')), (err: { stderr: string; code: number }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr, /nameJa/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
