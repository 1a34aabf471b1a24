import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Shorter keys are refused: a keyed hash is only as strong as its key. */
export const MIN_AUDIT_KEY_BYTES = 32;

/**
 * The secret the audit chain is keyed with. It is never stored in the database: whoever can write the database
 * but has not got this key cannot forge a row hash or a checkpoint. `id` is a fingerprint that names the key
 * in the database, in checkpoints and in error messages without revealing it.
 */
export class AuditKey {
  readonly id: string;
  readonly #rowKey: Buffer;
  readonly #checkpointKey: Buffer;

  constructor(bytes: Buffer) {
    if (bytes.length < MIN_AUDIT_KEY_BYTES) throw new AuditKeyError('too_short', { bytes: String(bytes.length) });
    this.id = createHash('sha256').update('kinkyu audit key id\0').update(bytes).digest('hex').slice(0, 16);
    // One derived key per purpose: a row hash can never pass for a checkpoint signature, or the reverse.
    this.#rowKey = createHmac('sha256', bytes).update('kinkyu audit row v1').digest();
    this.#checkpointKey = createHmac('sha256', bytes).update('kinkyu audit checkpoint v1').digest();
  }

  rowMac(content: string): string {
    return createHmac('sha256', this.#rowKey).update(content).digest('hex');
  }

  checkpointMac(content: string): string {
    return createHmac('sha256', this.#checkpointKey).update(content).digest('hex');
  }

  /** Logging or serialising a key shows its id only. */
  toJSON(): { id: string } {
    return { id: this.id };
  }
}

export type AuditKeyProblem =
  | 'too_short'
  | 'malformed'
  | 'both_set'
  | 'file_unreadable'
  | 'file_missing'
  | 'server_needs_key'
  | 'not_configured'
  | 'mismatch'
  | 'file_exists'
  | 'same_key'
  | 'checkpoint_key'
  | 'no_key_for_log';

const MESSAGES: Record<AuditKeyProblem, { en: string; ja: string }> = {
  too_short: {
    en: `the audit key is {bytes} bytes long; it must be at least ${MIN_AUDIT_KEY_BYTES} bytes (64 hex characters or 44 base64 characters)`,
    ja: `監査ログの鍵が {bytes} バイトしかありません。${MIN_AUDIT_KEY_BYTES} バイト以上 (16進数 64 文字、または base64 44 文字) にしてください`,
  },
  malformed: {
    en: 'the audit key{where} is neither hex nor base64',
    ja: '監査ログの鍵{where}が16進数でも base64 でもありません',
  },
  both_set: {
    en: 'set AUDIT_KEY or AUDIT_KEY_FILE, not both',
    ja: 'AUDIT_KEY と AUDIT_KEY_FILE はどちらか一方だけを設定してください',
  },
  file_unreadable: {
    en: 'cannot read the audit key file {path}: {reason}',
    ja: '監査ログの鍵ファイル {path} を読めません: {reason}',
  },
  file_missing: {
    en: 'the audit key file {path} does not exist (make one with `kinkyu audit new-key --out {path}`)',
    ja: '監査ログの鍵ファイル {path} がありません (`kinkyu audit new-key --out {path}` で作成できます)',
  },
  server_needs_key: {
    en: 'with DATABASE_URL the audit key must be given: set AUDIT_KEY_FILE (or AUDIT_KEY) to the same key on every process; make one with `kinkyu audit new-key --out FILE`',
    ja: 'DATABASE_URL を使うときは監査ログの鍵が必要です。すべてのプロセスに同じ鍵を AUDIT_KEY_FILE (または AUDIT_KEY) で設定してください。鍵は `kinkyu audit new-key --out FILE` で作成できます',
  },
  not_configured: {
    en: 'no audit key is configured in this process (buildApp and the kinkyu command configure it)',
    ja: 'このプロセスには監査ログの鍵が設定されていません',
  },
  mismatch: {
    en: 'this audit log was written with key id {logKeyId}; the key given has id {givenKeyId}',
    ja: 'この監査ログは鍵 ID {logKeyId} で書かれています。指定された鍵の ID は {givenKeyId} です',
  },
  same_key: {
    en: 'the audit log is already written with key id {keyId}: give the NEW key in AUDIT_KEY/AUDIT_KEY_FILE and the old one with --old-key-file',
    ja: '監査ログは既に鍵 ID {keyId} で書かれています。新しい鍵を AUDIT_KEY/AUDIT_KEY_FILE に、古い鍵を --old-key-file で指定してください',
  },
  checkpoint_key: {
    en: 'this checkpoint was signed with key id {checkpointKeyId}; the key given has id {givenKeyId}',
    ja: 'このチェックポイントは鍵 ID {checkpointKeyId} で署名されています。指定された鍵の ID は {givenKeyId} です',
  },
  no_key_for_log: {
    en: 'this audit log was written with key id {logKeyId}, and no audit key was given: set AUDIT_KEY or AUDIT_KEY_FILE',
    ja: 'この監査ログは鍵 ID {logKeyId} で書かれていますが、鍵が指定されていません。AUDIT_KEY または AUDIT_KEY_FILE を設定してください',
  },
  file_exists: {
    en: '{path} already exists; an audit key is never overwritten',
    ja: '{path} は既にあります。監査ログの鍵は上書きしません',
  },
};

/** A key that is missing, malformed or not the one the log was written with: never "a broken chain". */
export class AuditKeyError extends Error {
  constructor(
    readonly problem: AuditKeyProblem,
    readonly params: Record<string, string> = {},
  ) {
    super(auditKeyMessage('en', problem, params));
    this.name = 'AuditKeyError';
  }

  localized(lang: 'ja' | 'en'): string {
    return auditKeyMessage(lang, this.problem, this.params);
  }
}

function auditKeyMessage(lang: 'ja' | 'en', problem: AuditKeyProblem, params: Record<string, string>): string {
  return MESSAGES[problem][lang].replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
}

export function isAuditKeyError(err: unknown): err is AuditKeyError {
  return err instanceof AuditKeyError;
}

/** Hex (64+ characters) or base64/base64url, surrounding whitespace ignored. */
export function parseAuditKey(text: string, where = ''): AuditKey {
  const value = text.trim();
  if (/^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 && value.length >= MIN_AUDIT_KEY_BYTES * 2) {
    return new AuditKey(Buffer.from(value, 'hex'));
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw new AuditKeyError('malformed', { where: where ? ` (${where})` : '' });
  return new AuditKey(Buffer.from(value, 'base64'));
}

export function readAuditKeyFile(path: string): AuditKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AuditKeyError('file_missing', { path });
    throw new AuditKeyError('file_unreadable', { path, reason: code ?? String(err) });
  }
  return parseAuditKey(text, path);
}

/**
 * Writes a new random key to `path`, readable by this user only. Never overwrites: when two processes race,
 * the file is linked into place whole, so the loser reads the winner's key and never a half-written one.
 */
export function createAuditKeyFile(path: string): AuditKey {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = randomBytes(MIN_AUDIT_KEY_BYTES).toString('hex') + '\n';
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  try {
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AuditKeyError('file_exists', { path });
    throw err;
  } finally {
    unlinkSync(temp);
  }
  return parseAuditKey(text, path);
}

/** The embedded database's key lives beside its data directory, never inside it: copying DATA_DIR alone copies no key. */
export function embeddedAuditKeyPath(dataDir: string): string {
  return resolve(dataDir) + '.audit-key';
}

export interface AuditKeySettings {
  /** AUDIT_KEY: the key itself, hex or base64. */
  auditKey: string | undefined;
  /** AUDIT_KEY_FILE: a file holding it. */
  auditKeyFile: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
}

export interface LoadedAuditKey {
  key: AuditKey;
  /** Where it came from: 'AUDIT_KEY' or the file's absolute path. */
  source: string;
  /** True when the key file was made just now (first start of the embedded database). */
  generated: boolean;
}

/**
 * Finds the key: AUDIT_KEY, else AUDIT_KEY_FILE, else (embedded database only) the file beside DATA_DIR.
 * With `generate`, the embedded database's key file (at AUDIT_KEY_FILE when set) is made on first start; a
 * PostgreSQL server never gets a generated key, because every process sharing it must hold the same one.
 */
export function loadAuditKey(settings: AuditKeySettings, opts: { generate: boolean }): LoadedAuditKey {
  if (settings.auditKey && settings.auditKeyFile) throw new AuditKeyError('both_set');
  if (settings.auditKey) return { key: parseAuditKey(settings.auditKey, 'AUDIT_KEY'), source: 'AUDIT_KEY', generated: false };
  if (settings.databaseUrl && !settings.auditKeyFile) throw new AuditKeyError('server_needs_key');
  const path = settings.auditKeyFile ? resolve(settings.auditKeyFile) : embeddedAuditKeyPath(settings.dataDir);
  if (existsSync(path) || !opts.generate || settings.databaseUrl) return { key: readAuditKeyFile(path), source: path, generated: false };
  try {
    return { key: createAuditKeyFile(path), source: path, generated: true };
  } catch (err) {
    if (isAuditKeyError(err) && err.problem === 'file_exists') return { key: readAuditKeyFile(path), source: path, generated: false };
    throw err;
  }
}

let configured: AuditKey | null = null;

/** Sets the key this process appends audit entries with (buildApp and the CLI, once at start). */
export function configureAuditKey(key: AuditKey | null): void {
  configured = key;
}

export function configuredAuditKey(): AuditKey | null {
  return configured;
}

export function requireAuditKey(): AuditKey {
  if (!configured) throw new AuditKeyError('not_configured');
  return configured;
}
