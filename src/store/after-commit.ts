import { AsyncLocalStorage } from 'node:async_hooks';

interface OpenTransaction {
  hooks: Array<() => void>;
  open: boolean;
}

/**
 * Work to do once a transaction has committed (waking a worker for the job it queued): kept per transaction in
 * the transaction's async context, run after COMMIT, dropped on ROLLBACK. Outside a transaction (or after its
 * end) a hook runs right away. One instance per `Db`, so a transaction of another database does not hold it.
 */
export class AfterCommitHooks {
  readonly #context = new AsyncLocalStorage<OpenTransaction>();

  /** Runs `work` (which begins and ends one transaction) and then, only if it resolved, the hooks it registered. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    const tx: OpenTransaction = { hooks: [], open: true };
    let value: T;
    try {
      value = await this.#context.run(tx, work);
    } finally {
      tx.open = false;
    }
    for (const hook of tx.hooks) runHook(hook);
    return value;
  }

  add(hook: () => void): void {
    const tx = this.#context.getStore();
    if (tx?.open) tx.hooks.push(hook);
    else runHook(hook);
  }
}

function runHook(hook: () => void): void {
  try {
    hook();
  } catch {
    /* a hook is a hint (a wake-up); the work it hints at is found by polling too */
  }
}
