import { afterCommit, type Queryable } from '../store/db.ts';

/**
 * Who to wake when a job is queued: the running workers of this process, by queue name. Workers of other
 * processes hear the queue's NOTIFY (sent in the queueing transaction, so delivered at its commit) or poll.
 * A wake is only a hint — a worker that finds nothing due claims nothing — so a wake meant for another
 * database of the same process (tests run several) costs one empty claim.
 */
const workers = new Map<string, Set<() => void>>();

/** Registers a worker's wake-up for `queue`; returns the unregistration. */
export function onWake(queue: string, wake: () => void): () => void {
  let set = workers.get(queue);
  if (!set) workers.set(queue, (set = new Set()));
  set.add(wake);
  return () => {
    set.delete(wake);
  };
}

/** Wakes this process's workers of `queue` now. */
export function wakeWorkers(queue: string): void {
  for (const wake of [...(workers.get(queue) ?? [])]) {
    try {
      wake();
    } catch {
      /* a wake is a hint; the poll finds the job anyway */
    }
  }
}

/**
 * For whoever queues a job in `q`: this process's workers of `queue` wake once `q`'s transaction commits — never
 * if it rolls back — or right away outside a transaction. No caller wakes a worker by hand.
 */
export function wakeAfterCommit(q: Queryable, queue: string): void {
  afterCommit(q, () => wakeWorkers(queue));
}

/** `wakeAfterCommit`, plus a NOTIFY on `channel` for the workers of other processes (delivered at commit). */
export async function jobQueued(q: Queryable, queue: string, channel: string): Promise<void> {
  await q.query('SELECT pg_notify($1, \'\')', [channel]);
  wakeAfterCommit(q, queue);
}
