import type { Queryable } from '../store/db.ts';
import type { AuditKey } from './audit-key.ts';
import { takeCheckpoint, type AuditCheckpoint } from './checkpoint.ts';

export interface CheckpointLogOptions {
  db: Queryable;
  key: AuditKey;
  clock: () => Date;
  /** Every this many minutes; 0: only at stop. */
  minutes: number;
  /** Where each checkpoint goes: a structured log line (shipped off-host), and the static export when there is one. */
  record: (checkpoint: AuditCheckpoint) => Promise<void> | void;
  log: (msg: string, err?: unknown) => void;
}

export function parseCheckpointMinutes(value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`AUDIT_CHECKPOINT_MINUTES must be a number of minutes, 0 or more (got ${value}) / AUDIT_CHECKPOINT_MINUTES は 0 以上の分数で指定してください`);
  }
  return value;
}

const STOP_DEADLINE_MS = 3000;

/** Records a signed checkpoint of the audit chain periodically and once more at stop. */
export function startCheckpointLog(opts: CheckpointLogOptions): { stop(): Promise<void> } {
  const once = async () => {
    try {
      await opts.record(await takeCheckpoint(opts.db, opts.key, opts.clock()));
    } catch (err) {
      opts.log('audit checkpoint failed', err);
    }
  };
  const timer = opts.minutes > 0 ? setInterval(() => void once(), opts.minutes * 60_000) : null;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      // A database that stopped answering must not hold the shutdown: the last checkpoint is then skipped.
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([once(), new Promise<void>((r) => (deadline = setTimeout(r, STOP_DEADLINE_MS)))]);
      clearTimeout(deadline);
    },
  };
}
