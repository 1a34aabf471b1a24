/**
 * Issue 11, point 5: an audit chain that someone with write access to the database, but not to the audit key,
 * cannot rewrite or cut back without `kinkyu audit verify` saying so. The attacks are done the way such a person
 * would: SQL on the real database (PGlite on disk, and a real PostgreSQL server), with the published hashing
 * rules; every verdict comes from the real `kinkyu` command run as a child process.
 */
import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { appendAudit, auditRowHash, canonicalJson, rotateAuditKey, type AuditRow } from '../src/audit/audit-log.ts';
import { AuditKey, configureAuditKey, loadAuditKey, parseAuditKey } from '../src/audit/audit-key.ts';
import { TEST_AUDIT_KEY } from './support/audit-key.ts';
import { runCli } from '../src/cli/commands.ts';
import { kinkyuProcess } from './support/cli-process.ts';
import { StaffClient, makeStaff, startApp } from './support/app.ts';
import { freePort } from './support/net.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { builtCli } from './support/built-cli.ts';

const TEST_KEY_ID = parseAuditKey(TEST_AUDIT_KEY).id;

interface Result { code: number; stdout: string; stderr: string }


/**
 * The same command run in this process (`runCli`, what `src/cli/main.ts` calls), with exactly `env` as its
 * environment: a child process costs seconds of start-up, and this file runs some fifty commands. A few checks
 * above use `kinkyuProcess` so that the real exit codes stay covered.
 */
async function kinkyu(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> {
  const saved = { ...process.env };
  let stdout = '';
  let stderr = '';
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, { out: (t) => { stdout += t; }, err: (t) => { stderr += t; } });
    return { code, stdout, stderr };
  } finally {
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, saved);
    // A command configures the process's audit key; this file's own appends use the test key.
    configureAuditKey(parseAuditKey(TEST_AUDIT_KEY));
  }
}

const newKeyHex = () => randomBytes(32).toString('hex');

/** The CLI's environment: an embedded database in `dataDir` (or a server), and exactly the audit key given. */
function cliEnv(opts: { dataDir?: string; databaseUrl?: string; key?: string; keyFile?: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: opts.dataDir ?? join(tmpdir(), 'kinkyu-audit-unused'),
    DATABASE_URL: opts.databaseUrl ?? '',
    AUDIT_KEY: opts.key ?? '',
    AUDIT_KEY_FILE: opts.keyFile ?? '',
    LOG_LEVEL: 'error',
  };
}

/** A stack trace in the output means the command crashed instead of explaining itself. */
function assertNoCrash(res: Result): void {
  assert.doesNotMatch(res.stderr + res.stdout, /\n\s+at .+:\d+:\d+/, 'a clear message, not a stack trace');
}

/** Rows from `fromSeq` on, the way they are stored. */
async function rowsFrom(db: Db, fromSeq: number): Promise<AuditRow[]> {
  return db.query<AuditRow>('SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq', [fromSeq]);
}

/**
 * The rewrite-and-rehash attack: edit entry `seq`, then recompute that entry's hash and every later one, either
 * with plain SHA-256 or with a key of the attacker's own, re-linking each entry to the new hash before it and
 * moving the head. `relabel` also rewrites each entry's alg/key_id to match what the attacker computed.
 */
async function rewriteAndRehash(db: Db, seq: number, opts: { rehashWith: 'sha256' | AuditKey; relabel: boolean; edit?: (row: AuditRow) => void }): Promise<void> {
  await db.exec('ALTER TABLE audit_log DISABLE TRIGGER USER');
  const rows = await rowsFrom(db, seq);
  let prevHash = rows[0]!.prev_hash;
  const key = opts.rehashWith === 'sha256' ? null : opts.rehashWith;
  for (const row of rows) {
    if (row.seq === seq) (opts.edit ?? ((r) => (r.data = { ...(r.data as object), forged: true })))(row);
    row.prev_hash = prevHash;
    if (opts.relabel) {
      row.alg = key ? 'hmac-sha256' : 'sha256';
      row.key_id = key ? key.id : null;
    }
    row.hash = auditRowHash({ ...row, at: new Date(row.at) }, key);
    await db.query('UPDATE audit_log SET actor_id = $2, data = $3, prev_hash = $4, hash = $5, alg = $6, key_id = $7 WHERE seq = $1',
      [row.seq, row.actor_id, JSON.stringify(row.data), row.prev_hash, row.hash, row.alg, row.key_id]);
    prevHash = row.hash;
  }
  const last = rows[rows.length - 1]!;
  await db.query('UPDATE audit_head SET seq = $1, hash = $2, key_id = $3 WHERE id = 1', [last.seq, last.hash, last.key_id]);
  await db.exec('ALTER TABLE audit_log ENABLE TRIGGER USER');
}

/** Removes the last `count` entries and points the head at the one left: the chain itself stays consistent. */
async function cutBack(db: Db, count: number): Promise<number> {
  await db.exec('ALTER TABLE audit_log DISABLE TRIGGER USER');
  const [{ max }] = (await db.query<{ max: number }>('SELECT max(seq)::int AS max FROM audit_log')) as [{ max: number }];
  await db.query('DELETE FROM audit_log WHERE seq > $1', [max - count]);
  const [last] = await db.query<{ seq: number; hash: string; key_id: string | null }>('SELECT seq, hash, key_id FROM audit_log ORDER BY seq DESC LIMIT 1');
  await db.query('UPDATE audit_head SET seq = $1, hash = $2, key_id = $3 WHERE id = 1', [last!.seq, last!.hash, last!.key_id]);
  await db.exec('ALTER TABLE audit_log ENABLE TRIGGER USER');
  return max;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kinkyu-audit-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let logCounter = 0;
let template: string | null = null;
/**
 * A fresh embedded database whose demo data (10 entries) was written with this test process's key: a copy of one
 * made once (a new cluster, its migrations and the demo data cost seconds of CPU; a copy of the closed directory
 * is the same database).
 */
async function freshEmbeddedLog(): Promise<{ dataDir: string; env: NodeJS.ProcessEnv; open: () => Promise<Db> }> {
  if (!template) {
    const made = join(dir, 'template');
    const db = await openDb({ dataDir: made });
    await migrate(db);
    await seedDemoData(db);
    await db.close();
    template = made;
  }
  const dataDir = join(dir, `log${++logCounter}`);
  cpSync(template, dataDir, { recursive: true });
  return { dataDir, env: cliEnv({ dataDir, key: TEST_AUDIT_KEY }), open: () => openDb({ dataDir }) };
}

async function withDb<T>(open: () => Promise<Db>, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('audit verify finds a rewritten chain (embedded database)', () => {
  test('an intact keyed log verifies, naming its key id', async () => {
    const log = await freshEmbeddedLog();
    const res = await kinkyuProcess(log.env, 'audit', 'verify');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`audit log OK: 10 entries, chain intact \\(10 keyed, key id ${TEST_KEY_ID}\\)`));
  });

  test('an edited entry whose hash and every later hash were recomputed with plain SHA-256 is found', async () => {
    const log = await freshEmbeddedLog();
    await withDb(log.open, (db) => rewriteAndRehash(db, 4, { rehashWith: 'sha256', relabel: false }));
    const res = await kinkyuProcess(log.env, 'audit', 'verify');
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /audit log BROKEN/);
    assert.match(res.stdout, /entry #4: modified/);
  });

  test('relabelling the re-hashed tail as unkeyed (a downgrade) is found', async () => {
    const log = await freshEmbeddedLog();
    await withDb(log.open, (db) => rewriteAndRehash(db, 4, { rehashWith: 'sha256', relabel: true }));
    const res = await kinkyu(log.env, 'audit', 'verify');
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /entry #4: downgraded/);
    assert.doesNotMatch(res.stdout, /entry #3:/, 'the entries before the rewrite are fine');
  });

  test('an edited entry re-hashed with a key of the attacker\'s own is found, with or without its key id', async () => {
    const attacker = new AuditKey(randomBytes(32));
    const keepsId = await freshEmbeddedLog();
    await withDb(keepsId.open, (db) => rewriteAndRehash(db, 4, { rehashWith: attacker, relabel: false }));
    const modified = await kinkyu(keepsId.env, 'audit', 'verify');
    assert.equal(modified.code, 1, modified.stdout + modified.stderr);
    assert.match(modified.stdout, /entry #4: modified/);

    const ownId = await freshEmbeddedLog();
    await withDb(ownId.open, (db) => rewriteAndRehash(db, 4, { rehashWith: attacker, relabel: true }));
    const switched = await kinkyu(ownId.env, 'audit', 'verify');
    assert.equal(switched.code, 1, switched.stdout + switched.stderr);
    assert.match(switched.stdout, /entry #4: key_switched/);
    assert.match(switched.stdout, new RegExp(`entries #4–#10: written with key id ${attacker.id}, not checked`));
  });
});

describe('checkpoints kept outside the database', () => {
  test('cutting the last entries off is found against a checkpoint, and only there', async () => {
    const log = await freshEmbeddedLog();
    const file = join(log.dataDir + '-checkpoint.json');
    const taken = await kinkyu(log.env, 'audit', 'checkpoint', '--out', file);
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(taken.stdout, /checkpoint of entry #10 written/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const checkpoint = JSON.parse(readFileSync(file, 'utf8')) as { seq: number; key_id: string; sig: string };
    assert.equal(checkpoint.seq, 10);
    assert.equal(checkpoint.key_id, TEST_KEY_ID);

    const before = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stdout, /checkpoint matches: entry #10/);

    await withDb(log.open, (db) => cutBack(db, 2));
    const alone = await kinkyu(log.env, 'audit', 'verify');
    assert.equal(alone.code, 0, 'the chain alone is consistent after a cut at the end (why checkpoints exist)');
    const found = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(found.code, 1, found.stdout + found.stderr);
    assert.match(found.stdout, /entry #10: removed_since_checkpoint/);
  });

  test('a log re-hashed as unkeyed from its first entry on is found against a checkpoint', async () => {
    const log = await freshEmbeddedLog();
    const file = join(log.dataDir + '-checkpoint.json');
    assert.equal((await kinkyu(log.env, 'audit', 'checkpoint', '--out', file)).code, 0);
    await withDb(log.open, (db) => rewriteAndRehash(db, 1, { rehashWith: 'sha256', relabel: true }));
    const res = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(res.code, 1, res.stdout + res.stderr);
    assert.match(res.stdout, /entry #10: differs_from_checkpoint/);
  });

  test('an altered checkpoint is rejected; a checkpoint of another key, or a file that is none, is a clear usage error', async () => {
    const log = await freshEmbeddedLog();
    const file = join(log.dataDir + '-checkpoint.json');
    assert.equal((await kinkyu(log.env, 'audit', 'checkpoint', '--out', file)).code, 0);
    const checkpoint = JSON.parse(readFileSync(file, 'utf8')) as { seq: number };
    writeFileSync(file, JSON.stringify({ ...checkpoint, seq: 5 }));
    const altered = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(altered.code, 1);
    assert.match(altered.stdout, /checkpoint REJECTED: its signature does not match/);

    const otherKey = newKeyHex();
    const other = join(log.dataDir + '-other.json');
    const otherDir = join(dir, 'other-log');
    const otherEnv = cliEnv({ dataDir: otherDir, key: otherKey });
    assert.equal((await kinkyu(otherEnv, 'seed-demo')).code, 0);
    assert.equal((await kinkyu(otherEnv, 'audit', 'checkpoint', '--out', other)).code, 0);
    const wrong = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', other);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, new RegExp(`this checkpoint was signed with key id ${parseAuditKey(otherKey).id}; the key given has id ${TEST_KEY_ID}`));
    assertNoCrash(wrong);

    writeFileSync(file, 'not json at all\n');
    const garbage = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, /not a kinkyu audit checkpoint/);
    const missing = await kinkyu(log.env, 'audit', 'verify', '--checkpoint', join(dir, 'no-such-file.json'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the checkpoint file .*ENOENT/);
    assertNoCrash(missing);
  });
});

describe('keys', () => {
  test('verifying with the wrong key, or none, is a clear error with exit code 2, not "broken chain"', async () => {
    const log = await freshEmbeddedLog();
    const wrongKey = newKeyHex();
    const wrong = await kinkyuProcess(cliEnv({ dataDir: log.dataDir, key: wrongKey }), 'audit', 'verify');
    assert.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
    assert.match(wrong.stderr, new RegExp(`this audit log was written with key id ${TEST_KEY_ID}; the key given has id ${parseAuditKey(wrongKey).id}`));
    assert.match(wrong.stderr, /この監査ログは鍵 ID/);
    assert.doesNotMatch(wrong.stdout, /BROKEN/);
    assertNoCrash(wrong);

    const none = await kinkyu(cliEnv({ dataDir: log.dataDir }), 'audit', 'verify');
    assert.equal(none.code, 2);
    assert.match(none.stderr, new RegExp(`written with key id ${TEST_KEY_ID}, and no audit key was given`));

    const short = await kinkyu(cliEnv({ dataDir: log.dataDir, key: 'abcd' }), 'audit', 'verify');
    assert.equal(short.code, 2);
    assert.match(short.stderr, /at least 32 bytes/);
    assertNoCrash(short);
  });

  test('a command that would append with another key is refused and writes nothing', async () => {
    const log = await freshEmbeddedLog();
    const count = () => withDb(log.open, async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0]!.n);
    const before = await count();
    const res = await kinkyu(cliEnv({ dataDir: log.dataDir, key: newKeyHex() }), 'staff', 'create', '--email', 'x@example.jp', '--name', 'x', '--role', 'viewer');
    assert.equal(res.code, 2, res.stdout + res.stderr);
    assert.match(res.stderr, new RegExp(`this audit log was written with key id ${TEST_KEY_ID}`));
    assert.equal(await count(), before);
  });

  test('in the app: an append with another key than the head\'s is refused, and so is a start with it', async () => {
    const db = await openMigratedDb();
    try {
      await migrate(db);
      await seedDemoData(db);
      const otherKey = new AuditKey(randomBytes(32));
      await db.transaction((tx) => rotateAuditKey(tx, otherKey, null, new Date('2026-03-01T00:00:00Z')));
      const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')) as [{ n: number }];
      await assert.rejects(
        db.transaction((tx) => appendAudit(tx, { actorType: 'system', actorId: null, action: 'test.append' })),
        new RegExp(`written with key id ${otherKey.id}; the key given has id ${TEST_KEY_ID}`),
      );
      assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0]!.n, n, 'nothing appended');
      await assert.rejects(startApp({ db, demo: false }), /this audit log was written with key id/);
    } finally {
      await db.close();
    }
  });

  test('after a rotation, the staff console\'s check names the entries written with a key the server does not hold', async () => {
    const db = await openMigratedDb();
    const newKey = newKeyHex();
    try {
      await migrate(db);
      await seedDemoData(db);
      await db.transaction((tx) => rotateAuditKey(tx, parseAuditKey(newKey), parseAuditKey(TEST_AUDIT_KEY), new Date('2026-03-01T00:00:00Z')));
      const app = await startApp({ db, demo: false, config: { auditKey: newKey } });
      try {
        const client = await StaffClient.signIn(app.baseUrl, await makeStaff(db, 'admin'));
        const page = await (await client.get('/staff/audit?verify=1')).text();
        assert.ok(page.includes(`#1〜#10 の記録は監査鍵 ID ${TEST_KEY_ID} で書かれています`), page.slice(0, 2000));
        assert.ok(!page.includes('監査ログの連鎖に異常があります'), 'not reported as a broken chain');
      } finally {
        await app.stop();
      }
    } finally {
      configureAuditKey(parseAuditKey(TEST_AUDIT_KEY)); // the other tests of this process append with the test key
      await db.close();
    }
  });

  test('AUDIT_KEY and AUDIT_KEY_FILE take hex or base64; the key id never shows the key', () => {
    const bytes = randomBytes(32);
    const hex = parseAuditKey(bytes.toString('hex'));
    assert.equal(parseAuditKey(bytes.toString('base64')).id, hex.id);
    assert.equal(parseAuditKey(` ${bytes.toString('base64url')}\n`).id, hex.id);
    assert.ok(!bytes.toString('hex').includes(hex.id) && JSON.stringify(hex) === JSON.stringify({ id: hex.id }));
    assert.throws(() => parseAuditKey(randomBytes(16).toString('hex')), /at least 32 bytes/);
    assert.throws(() => parseAuditKey('not a key!'), /neither hex nor base64/);
  });

  test('where the key comes from: never generated for a server, generated once for the embedded database', () => {
    const keyFile = join(dir, 'conf', 'kinkyu', 'audit.key');
    const server = { auditKey: undefined, auditKeyFile: undefined, databaseUrl: 'postgres://db.example/kinkyu', dataDir: join(dir, 'srv') };
    assert.throws(() => loadAuditKey(server, { generate: true }), /with DATABASE_URL the audit key must be given/);
    assert.throws(() => loadAuditKey({ ...server, auditKeyFile: keyFile }, { generate: true }), /does not exist \(make one with `kinkyu audit new-key/);
    assert.equal(existsSync(keyFile), false, 'no key is made up for a server');
    assert.throws(() => loadAuditKey({ ...server, auditKey: newKeyHex(), auditKeyFile: keyFile }, { generate: true }), /not both/);

    const embedded = { ...server, databaseUrl: undefined, auditKeyFile: keyFile };
    const first = loadAuditKey(embedded, { generate: true });
    assert.equal(first.generated, true);
    assert.equal(first.source, keyFile);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const second = loadAuditKey(embedded, { generate: true });
    assert.deepEqual([second.generated, second.key.id], [false, first.key.id], 'the same key on every later start');
    assert.equal(loadAuditKey({ ...server, auditKeyFile: keyFile }, { generate: false }).key.id, first.key.id, 'a server reads the file it is given');
  });

  test('rotation: a new key continues from the head; verify takes the old key too, or reports the entries it could not check', async () => {
    const log = await freshEmbeddedLog();
    const oldFile = join(dir, 'old.key');
    writeFileSync(oldFile, TEST_AUDIT_KEY + '\n', { mode: 0o600 });
    const newFile = join(dir, 'new.key');
    const made = await kinkyu(cliEnv({}), 'audit', 'new-key', '--out', newFile);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(statSync(newFile).mode & 0o777, 0o600);
    const again = await kinkyu(cliEnv({}), 'audit', 'new-key', '--out', newFile);
    assert.equal(again.code, 2, 'an existing key file is never overwritten');
    const newId = parseAuditKey(readFileSync(newFile, 'utf8')).id;
    const withNew = cliEnv({ dataDir: log.dataDir, keyFile: newFile });

    const rotated = await kinkyu(withNew, 'audit', 'rotate-key', '--old-key-file', oldFile);
    assert.equal(rotated.code, 0, rotated.stdout + rotated.stderr);
    assert.match(rotated.stdout, new RegExp(`rotated at entry #11: key id ${TEST_KEY_ID} → ${newId}`));
    assert.equal((await kinkyu(withNew, 'staff', 'create', '--email', 'r@example.jp', '--name', 'r', '--role', 'viewer')).code, 0);

    const both = await kinkyu(withNew, 'audit', 'verify', '--old-key-file', oldFile);
    assert.equal(both.code, 0, both.stdout + both.stderr);
    assert.match(both.stdout, /audit log OK: 12 entries/);
    const onlyNew = await kinkyu(withNew, 'audit', 'verify');
    assert.equal(onlyNew.code, 2);
    assert.match(onlyNew.stderr, new RegExp(`written with key id ${TEST_KEY_ID}; the key given has id ${newId} \\(entries #1–#10\\)`));
    const oldOnly = await kinkyu(log.env, 'staff', 'create', '--email', 'o@example.jp', '--name', 'o', '--role', 'viewer');
    assert.equal(oldOnly.code, 2, 'the old key no longer appends');

    // The old key lost: a rotation says so; the entries before it are reported as not checked, the rest verify.
    const thirdFile = join(dir, 'third.key');
    assert.equal((await kinkyu(cliEnv({}), 'audit', 'new-key', '--out', thirdFile)).code, 0);
    const withThird = cliEnv({ dataDir: log.dataDir, keyFile: thirdFile });
    const lost = await kinkyu(withThird, 'audit', 'rotate-key', '--old-key-lost');
    assert.equal(lost.code, 0, lost.stdout + lost.stderr);
    const afterLoss = await kinkyu(withThird, 'audit', 'verify');
    assert.equal(afterLoss.code, 2, 'the first key was never declared lost: its entries still need it');
    const withFirst = await kinkyu(withThird, 'audit', 'verify', '--old-key-file', oldFile);
    assert.equal(withFirst.code, 0, withFirst.stdout + withFirst.stderr);
    assert.match(withFirst.stdout, new RegExp(`note: entries #11–#12 \\(key id ${newId}\\) were not checked: that key was declared lost at entry #13`));
  });
});

describe('upgrade', () => {
  test('entries written before keyed hashes still verify after migration 024; new ones are keyed; a rewrite of an old one is found', async () => {
    const dataDir = join(dir, 'upgrade');
    const db = await openDb({ dataDir });
    await migrate(db, { through: '023' });
    // Appended the way kinkyu did before keyed hashes (plain SHA-256 over the entry; no alg/key_id columns yet).
    let prev = '0'.repeat(64);
    for (let seq = 1; seq <= 3; seq++) {
      const at = new Date(Date.UTC(2026, 0, seq, 3, 0, 0));
      const content = { seq, at: at.toISOString(), actor_type: 'staff', actor_id: `s${seq}`, action: 'incident.declare', target_type: 'incident', target_id: `i${seq}`, data: { severity: 'SEV2' }, ip: '192.0.2.1', prev_hash: prev };
      const hash = createHash('sha256').update(canonicalJson(content)).digest('hex');
      await db.query(
        `INSERT INTO audit_log (seq, at, actor_type, actor_id, action, target_type, target_id, data, ip, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
        [seq, at, content.actor_type, content.actor_id, content.action, content.target_type, content.target_id, JSON.stringify(content.data), content.ip, prev, hash],
      );
      await db.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [seq, hash]);
      prev = hash;
    }
    await db.close();
    const env = cliEnv({ dataDir, key: TEST_AUDIT_KEY });
    const migrated = await kinkyu(env, 'migrate');
    assert.match(migrated.stdout, /024_keyed_audit_chain/);
    const legacyOnly = await kinkyu(cliEnv({ dataDir }), 'audit', 'verify');
    assert.equal(legacyOnly.code, 0, 'a log of old entries only verifies without any key');
    assert.equal((await kinkyu(env, 'staff', 'create', '--email', 'u@example.jp', '--name', 'u', '--role', 'viewer')).code, 0);
    const ok = await kinkyu(env, 'audit', 'verify');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /audit log OK: 4 entries, chain intact \(1 keyed, key id [0-9a-f]{16}; 3 from before keyed hashes\)/);
    const [keyed] = await withDb(() => openDb({ dataDir }), (d) => d.query<{ alg: string; key_id: string }>('SELECT alg, key_id FROM audit_log WHERE seq = 4'));
    assert.deepEqual(keyed, { alg: 'hmac-sha256', key_id: TEST_KEY_ID });

    // The old entries are only plain SHA-256, but the first keyed entry pins the hash of the last old one.
    await withDb(() => openDb({ dataDir }), (d) => rewriteAndRehash(d, 2, { rehashWith: 'sha256', relabel: false }));
    const broken = await kinkyu(env, 'audit', 'verify');
    assert.equal(broken.code, 1, broken.stdout + broken.stderr);
    assert.match(broken.stdout, /entry #4: modified/);
    assert.doesNotMatch(broken.stdout, /entry #[123]:/, 'old entries re-hashed with SHA-256 pass on their own: the keyed entry after them does not');
  });
});

describe('the server and the static export', () => {
  test('a fresh `kinkyu start` makes its key beside the data directory (0600), says where, and logs a signed checkpoint at shutdown', async () => {
    const dataDir = join(dir, 'served');
    const port = await freePort();
    const child = spawn(process.execPath, [builtCli(), 'start', '--demo'], {
      env: { ...cliEnv({ dataDir }), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // 'close', not 'exit': the process may have exited before the last of its output (the checkpoint logged at
    // shutdown) has been read from the pipes.
    const exited = new Promise((r) => child.once('close', r));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('kinkyu is up') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      assert.match(output, /kinkyu is up/, output);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const keyFile = `${dataDir}.audit-key`;
    assert.ok(existsSync(keyFile), 'the key file is beside the data directory, not in it');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const keyText = readFileSync(keyFile, 'utf8').trim();
    assert.ok(output.includes(`Audit key generated: ${keyFile} (key id ${parseAuditKey(keyText).id})`), output);
    assert.ok(!output.includes(keyText), 'the key itself is never printed');
    assert.match(output, /"auditCheckpoint":\{/, 'a checkpoint is logged at shutdown');

    const logFile = join(dir, 'served.log');
    writeFileSync(logFile, output);
    const env = cliEnv({ dataDir });
    const res = await kinkyu(env, 'audit', 'verify', '--checkpoint', logFile);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /checkpoint matches: entry #\d+/);

    const out = join(dir, 'export');
    assert.equal((await kinkyu(env, 'export-status', '--out', out)).code, 0);
    const exported = await kinkyu(env, 'audit', 'verify', '--checkpoint', join(out, 'audit-checkpoint.json'));
    assert.equal(exported.code, 0, exported.stdout + exported.stderr);
  });
});

describe('on a PostgreSQL server', { skip: postgresAvailable() ? undefined : 'initdb not found' }, () => {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.destroy());

  test('no key is a refusal; a rewritten, re-hashed and cut-back log is found', async () => {
    const noKey = await kinkyu(cliEnv({ databaseUrl: pg.url }), 'seed-demo');
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /with DATABASE_URL the audit key must be given/);
    assertNoCrash(noKey);

    const env = cliEnv({ databaseUrl: pg.url, key: TEST_AUDIT_KEY });
    assert.equal((await kinkyu(env, 'seed-demo')).code, 0);
    const file = join(dir, 'pg-checkpoint.json');
    assert.equal((await kinkyu(env, 'audit', 'checkpoint', '--out', file)).code, 0);
    assert.equal((await kinkyu(env, 'audit', 'verify', '--checkpoint', file)).code, 0);

    await withDb(() => openDb({ databaseUrl: pg.url }), (db) => cutBack(db, 1));
    const cut = await kinkyu(env, 'audit', 'verify', '--checkpoint', file);
    assert.equal(cut.code, 1, cut.stdout + cut.stderr);
    assert.match(cut.stdout, /entry #10: removed_since_checkpoint/);

    await withDb(() => openDb({ databaseUrl: pg.url }), (db) => rewriteAndRehash(db, 3, { rehashWith: 'sha256', relabel: false, edit: (r) => (r.actor_id = 'someone-else') }));
    const rewritten = await kinkyu(env, 'audit', 'verify');
    assert.equal(rewritten.code, 1, rewritten.stdout + rewritten.stderr);
    assert.match(rewritten.stdout, /entry #3: modified/);
  });
});
