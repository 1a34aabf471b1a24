import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One process per embedded data directory. PGlite is a single-process database: a second process opening the
 * same directory (a `kinkyu staff create` while the server runs) would write into a copy the server never
 * reads, and its work would be lost at the next start. So the first process takes `kinkyu.lock` (created
 * exclusively, holding its pid); any other stops with a clear message. A lock left by a process that died
 * (kill -9, a crash) is taken over: its pid is no longer a running kinkyu.
 */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by another kinkyu process (pid ${pid}). ` +
        'PGlite serves one process at a time: stop that process first (its changes are safe), ' +
        'or run kinkyu on PostgreSQL (DATABASE_URL) to use the command line beside a running server. ' +
        'Staff accounts can also be created in the console while it runs (/staff/team).',
    );
    this.name = 'DataDirInUseError';
  }
}

const LOCK_FILE = 'kinkyu.lock';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A reused pid belongs to some other program: only a node process counts as the owner.
  try {
    return /node|kinkyu/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true; // no /proc (not Linux): trust the pid
  }
}

/** Takes the data directory for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // removed meanwhile: try again
      }
      if (owner === process.pid) throw new DataDirInUseError(dataDir, owner);
      if (alive(owner)) throw new DataDirInUseError(dataDir, owner);
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new Error(`could not take ${path}`);
}
