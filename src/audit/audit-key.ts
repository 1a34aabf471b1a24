import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { t, type Lang } from '../web/i18n.ts';

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


/** A key that is missing, malformed or not the one the log was written with: never "a broken chain". */
export class AuditKeyError extends Error {
  constructor(
    readonly problem: AuditKeyProblem,
    readonly params: Record<string, string> = {},
  ) {
    super(auditKeyMessage('en', problem, params));
    this.name = 'AuditKeyError';
  }

  localized(lang: Lang): string {
    return auditKeyMessage(lang, this.problem, this.params);
  }
}

function auditKeyMessage(lang: Lang, problem: AuditKeyProblem, params: Record<string, string>): string {
  return t(lang, `auditKey.${problem}`, { where: '', min: MIN_AUDIT_KEY_BYTES, ...params });
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
