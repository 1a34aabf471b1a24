/**
 * Group commit: writes that arrive while earlier ones are being stored wait and then go together, as one statement.
 * A write that finds a free slot goes at once (alone, with no added delay); under a surge the writes that queue
 * behind a running statement form the next one. Each caller's promise settles only after the statement holding
 * its item has committed, so nothing is acknowledged before it is stored.
 *
 * A failed group is retried item by item, so one item the database refuses does not fail the others; each
 * caller then gets its own item's answer (and, when the database is down, its own error).
 */
export interface GroupCommitOptions<In> {
  /** Statements running at once (a database on two cores gains nothing from more). */
  maxInFlight: number;
  /** Items per statement at most. */
  maxBatch: number;
  /** Items with the same key never share a statement (it could not tell them apart); null: no key. */
  keyOf?: (item: In) => string | null;
}

interface Waiting<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (reason: unknown) => void;
}

export class GroupCommit<In, Out> {
  private readonly queue: Waiting<In, Out>[] = [];
  private inFlight = 0;

  /** `store` stores the items in one statement and answers each, in order: a value, or an Error for that item alone. */
  constructor(
    private readonly store: (items: In[]) => Promise<(Out | Error)[]>,
    private readonly options: GroupCommitOptions<In>,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const group = this.takeGroup();
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private takeGroup(): Waiting<In, Out>[] {
    const { keyOf, maxBatch } = this.options;
    if (!keyOf) return this.queue.splice(0, maxBatch);
    const group: Waiting<In, Out>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.queue.length && group.length < maxBatch; ) {
      const key = keyOf(this.queue[i]!.item);
      if (key !== null && keys.has(key)) {
        i++;
        continue;
      }
      if (key !== null) keys.add(key);
      group.push(...this.queue.splice(i, 1));
    }
    return group;
  }

  private async run(group: Waiting<In, Out>[]): Promise<void> {
    try {
      const answers = await this.store(group.map((w) => w.item));
      group.forEach((w, i) => settle(w, answers[i] ?? new Error('group commit: no answer for an item')));
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(err);
        return;
      }
      await Promise.all(group.map(async (w) => {
        try {
          const [answer] = await this.store([w.item]);
          settle(w, answer ?? new Error('group commit: no answer for an item'));
        } catch (single) {
          w.reject(single);
        }
      }));
    }
  }
}

function settle<In, Out>(w: Waiting<In, Out>, answer: Out | Error): void {
  if (answer instanceof Error) w.reject(answer);
  else w.resolve(answer);
}
