import { readFile, writeFile } from 'node:fs/promises';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import {
  AuditKeyError, configureAuditKey, createAuditKeyFile, isAuditKeyError, loadAuditKey, readAuditKeyFile,
  type AuditKey, type LoadedAuditKey,
} from '../audit/audit-key.ts';
import { assertAuditKeyMatches, auditHeadKeyId, rotateAuditKey, verifyAudit, type AuditProblemKind, type AuditVerification } from '../audit/audit-log.ts';
import {
  CheckpointFormatError, checkpointSignatureValid, parseCheckpoint, takeCheckpoint, verifyAgainstCheckpoint, type AuditCheckpoint,
} from '../audit/checkpoint.ts';

/** Exit codes of the audit commands: 0 intact, 1 broken or tampered, 2 usage or key problems. */
export const EXIT_OK = 0;
export const EXIT_TAMPERED = 1;
export const EXIT_USAGE = 2;

type Out = { out: (text: string) => void; err: (text: string) => void };

/**
 * For commands that append to the audit log: the key (generated for the embedded database on first use),
 * checked against the log's, configured for this process.
 */
export async function useAuditKey(config: Config, db: Db): Promise<LoadedAuditKey> {
  const loaded = loadAuditKey(config, { generate: true });
  await assertAuditKeyMatches(db, loaded.key);
  configureAuditKey(loaded.key);
  return loaded;
}

/** For reading commands: the configured key, or null when none is set up (an embedded database never started). */
function currentKeyIfAny(config: Config): AuditKey | null {
  try {
    return loadAuditKey(config, { generate: false }).key;
  } catch (err) {
    const explicit = Boolean(config.auditKey || config.auditKeyFile);
    if (isAuditKeyError(err) && !explicit && (err.problem === 'file_missing' || err.problem === 'server_needs_key')) return null;
    throw err;
  }
}

const EXPLANATIONS: Record<AuditProblemKind, string> = {
  modified: 'its content no longer matches its hash',
  missing: 'the entry is gone',
  relinked: 'it no longer points at the entry before it',
  head_mismatch: 'the chain does not reach the recorded head',
  downgraded: 'an unkeyed entry after keyed ones: re-hashed without the key',
  key_switched: 'written with another key than the entry before it, without a key rotation',
  removed_since_checkpoint: 'the checkpoint names this entry and it is gone: the log was cut back',
  differs_from_checkpoint: 'the checkpoint names this entry with another hash: the log was rewritten',
};

export async function auditVerify(db: Db, config: Config, opts: { checkpointFile?: string | undefined; oldKeyFiles: string[] }, io: Out): Promise<number> {
  const current = currentKeyIfAny(config);
  const keys = [...(current ? [current] : []), ...opts.oldKeyFiles.map(readAuditKeyFile)];
  let checkpoint: AuditCheckpoint | null = null;
  if (opts.checkpointFile) {
    checkpoint = await readCheckpointFile(opts.checkpointFile);
    const key = keys.find((k) => k.id === checkpoint!.key_id);
    if (!key) throw new AuditKeyError('checkpoint_key', { checkpointKeyId: checkpoint.key_id, givenKeyId: keys.map((k) => k.id).join(', ') || 'none' });
    if (!checkpointSignatureValid(checkpoint, key)) {
      io.out(`audit checkpoint REJECTED: its signature does not match (the file was altered, or it was not made by kinkyu with this key)\n`);
      return EXIT_TAMPERED;
    }
  }
  const result: AuditVerification = checkpoint ? await verifyAgainstCheckpoint(db, checkpoint, keys) : await verifyAudit(db, { keys });
  if (result.problems.length > 0) {
    io.out(`audit log BROKEN (${result.rows} entries read):\n`);
    for (const p of result.problems) io.out(`  entry #${p.seq}: ${p.problem} (${EXPLANATIONS[p.problem]})\n`);
    for (const r of result.unverified) io.out(`  entries #${r.firstSeq}–#${r.lastSeq}: written with key id ${r.keyId}, not checked (no such key given)\n`);
    return EXIT_TAMPERED;
  }
  const missingKey = result.unverified.find((r) => r.declaredLost === undefined);
  if (missingKey) {
    const error = current || opts.oldKeyFiles.length
      ? new AuditKeyError('mismatch', { logKeyId: missingKey.keyId, givenKeyId: keys.map((k) => k.id).join(', ') })
      : new AuditKeyError('no_key_for_log', { logKeyId: missingKey.keyId });
    io.err(`error: ${error.localized('en')} (entries #${missingKey.firstSeq}–#${missingKey.lastSeq})\n       ${error.localized('ja')}\n`);
    return EXIT_USAGE;
  }
  const unkeyed = result.rows - result.keyedRows;
  const keyed = current ? `${result.keyedRows} keyed, key id ${current.id}` : `${result.keyedRows} keyed`;
  io.out(`audit log OK: ${result.rows} entries, chain intact (${keyed}${unkeyed ? `; ${unkeyed} from before keyed hashes` : ''})\n`);
  for (const r of result.unverified) {
    io.out(`  note: entries #${r.firstSeq}–#${r.lastSeq} (key id ${r.keyId}) were not checked: that key was declared lost at entry #${r.declaredLost}\n`);
  }
  if (result.rows > 0 && result.keyedRows === 0 && current) {
    io.out('  note: no entry is keyed. Expected only before the first start after upgrading; otherwise the log may have been re-hashed without the key: verify against a checkpoint\n');
  }
  if (checkpoint) io.out(`checkpoint matches: entry #${checkpoint.seq} has the hash signed at ${checkpoint.at}\n`);
  else io.out('  (a cut-back tail is only found against a checkpoint: kinkyu audit verify --checkpoint FILE)\n');
  return EXIT_OK;
}

async function readCheckpointFile(file: string): Promise<AuditCheckpoint> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CheckpointFormatError(`cannot read the checkpoint file ${file}: ${reason}`, `チェックポイントのファイル ${file} を読めません: ${reason}`);
  }
  try {
    return parseCheckpoint(text);
  } catch (err) {
    if (err instanceof CheckpointFormatError) throw new CheckpointFormatError(`${file}: ${err.message}`, `${file}: ${err.messageJa}`);
    throw err;
  }
}

export async function auditCheckpoint(db: Db, config: Config, opts: { out?: string | undefined }, io: Out): Promise<number> {
  const key = currentKeyIfAny(config);
  if (!key) throw new AuditKeyError('not_configured');
  // A checkpoint signed with a key other than the log's would vouch for a chain it cannot check.
  await assertAuditKeyMatches(db, key);
  const checkpoint = await takeCheckpoint(db, key, new Date());
  const text = JSON.stringify(checkpoint, null, 2) + '\n';
  if (opts.out) {
    await writeFile(opts.out, text, { mode: 0o600 });
    io.out(`audit checkpoint of entry #${checkpoint.seq} written to ${opts.out}\n`);
  } else {
    io.out(text);
  }
  return EXIT_OK;
}

export function auditNewKey(out: string, io: Out): number {
  const key = createAuditKeyFile(out);
  io.out(`new audit key written to ${out} (key id ${key.id}, readable by this user only); back it up apart from the database\n`);
  return EXIT_OK;
}

/** The new key comes from AUDIT_KEY/AUDIT_KEY_FILE; the old one from --old-key-file, or --old-key-lost. */
export async function auditRotateKey(db: Db, config: Config, opts: { oldKeyFile?: string | undefined; oldKeyLost: boolean }, io: Out): Promise<number> {
  if (!opts.oldKeyFile === !opts.oldKeyLost) {
    io.err('audit rotate-key needs --old-key-file FILE (the key the log is written with now) or --old-key-lost\n');
    return EXIT_USAGE;
  }
  if (!config.auditKey && !config.auditKeyFile) {
    io.err('audit rotate-key takes the NEW key from AUDIT_KEY or AUDIT_KEY_FILE (make one with `kinkyu audit new-key --out FILE`)\n');
    return EXIT_USAGE;
  }
  const newKey = loadAuditKey(config, { generate: false }).key;
  const oldKey = opts.oldKeyFile ? readAuditKeyFile(opts.oldKeyFile) : null;
  if (oldKey) {
    // Rotating over a broken chain would seal the damage under the new key: check it first, with the old key.
    const before = await verifyAudit(db, { keys: [oldKey] });
    if (!before.ok) {
      io.out(`audit log not rotated: it does not verify with the old key (${before.problems.map((p) => `#${p.seq} ${p.problem}`).join(', ') || 'entries written with another key'})\n`);
      return EXIT_TAMPERED;
    }
  }
  const from = await auditHeadKeyId(db);
  const seq = await db.transaction((tx) => rotateAuditKey(tx, newKey, oldKey));
  io.out(`audit key rotated at entry #${seq}: key id ${from ?? '(unkeyed)'} → ${newKey.id}. Keep the old key to verify the entries before it (--old-key-file).\n`);
  return EXIT_OK;
}

/** For the static export: a checkpoint source when this log's key is at hand, else null (the export goes without). */
export async function optionalCheckpointSource(config: Config, db: Db): Promise<(() => Promise<AuditCheckpoint>) | null> {
  const key = currentKeyIfAny(config);
  if (!key || ((await auditHeadKeyId(db)) ?? key.id) !== key.id) return null;
  return () => takeCheckpoint(db, key, new Date());
}
