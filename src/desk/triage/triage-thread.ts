/**
 * Where the desk triages a contact-form ticket: on a thread of its own (the server) or on the calling thread (tests,
 * the CLI, `TRIAGE_THREAD=main`, and whenever the thread is gone). Measured under a surge of submissions
 * (bench:intake): triage was ~20 % of the serving thread's work per ticket; on its own thread it runs beside it.
 * Memory: the thread's V8 isolate with a small young generation costs less than loading the model on the serving
 * thread, whose young generation the load grew (+9 MB instead of +24 MB on the first ticket, measured).
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from '../../store/module-worker.ts';
import type { Queryable } from '../../store/db.ts';
import { triageCombined, type CombinedTriage } from './combined.ts';
import { readActiveModelText, type TriageModelSource } from './model-store.ts';
import type { TriageInput } from './rules.ts';
import type { TriageReply, TriageRequest } from './triage-protocol.ts';

export interface Triage {
  triage(input: TriageInput): Promise<CombinedTriage>;
}

/** On the calling thread. */
export class TriageHere implements Triage {
  constructor(private readonly models: TriageModelSource) {}

  async triage(input: TriageInput): Promise<CombinedTriage> {
    return triageCombined(input, await this.models.current());
  }
}

/** The thread's JavaScript is small and short-lived per message: a small young generation keeps it light. */
const YOUNG_GENERATION_MB = 4;

class ThreadGone extends Error {}

type Unsent = TriageRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * One thread per process, shared by every desk in it (tests start many apps in one process): it holds each model it
 * was given by version, and a version names one model whatever database it came from.
 */
class TriageWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: TriageReply) => void; reject: (err: Error) => void }>();
  /** Active version asked for → the version of the model the thread was sent for it (it keeps the last two). */
  private readonly held = new Map<string, string>();
  private readonly sending = new Map<string, Promise<string>>();

  private start(): Worker {
    const worker = startModuleWorker(siblingModule(import.meta.url, 'triage-worker'), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    // Kept alive only while a reply is awaited: an idle thread never holds a finished process open.
    worker.unref();
    worker.on('message', (reply: TriageReply) => {
      const entry = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      entry?.resolve(reply);
    });
    const gone = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.held.clear();
      const err = new ThreadGone(`the triage thread stopped: ${why}`);
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.reject(err);
      }
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`exit ${code}`));
    return worker;
  }

  private call(request: Unsent): Promise<TriageReply> {
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /**
   * Makes sure the thread holds the active retrained model (its text read from `db` once); returns the version the
   * thread knows it by (a newer one, when another retrain was activated between the check and the read).
   */
  private ensure(version: string, db: Queryable): Promise<string> {
    const held = this.held.get(version);
    if (held) return Promise.resolve(held);
    let sending = this.sending.get(version);
    if (!sending) {
      sending = (async () => {
        const text = await readActiveModelText(db);
        if (text === null) throw new Error(`no active triage model (expected ${version})`);
        const reply = await this.call({ op: 'model', text });
        if (reply.error !== undefined) throw new Error(reply.error);
        const loaded = 'loaded' in reply && reply.loaded ? reply.loaded : version;
        this.held.set(version, loaded);
        while (this.held.size > 2) this.held.delete(this.held.keys().next().value!);
        return loaded;
      })().finally(() => this.sending.delete(version));
      this.sending.set(version, sending);
    }
    return sending;
  }

  /** Ends the thread (what a crash of it does); the next ticket starts a new one. */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  async triage(input: TriageInput, version: string | null, db: Queryable): Promise<CombinedTriage> {
    let reply = await this.call({ op: 'triage', input, model: version === null ? null : await this.ensure(version, db) });
    if (reply.error !== undefined && version !== null) {
      // The thread no longer holds that model (it keeps two): send it again, once.
      this.held.delete(version);
      reply = await this.call({ op: 'triage', input, model: await this.ensure(version, db) });
    }
    if (reply.error !== undefined) throw new Error(reply.error);
    if (!reply.result) throw new Error('the triage thread answered without a result');
    return reply.result;
  }
}

let shared: TriageWorker | null = null;

/** Ends the process's triage thread as a crash would (tests: tickets in flight are triaged here instead). */
export async function terminateTriageThread(): Promise<void> {
  await shared?.terminate();
}

/** On the process's triage thread; on the calling thread if that thread is gone or cannot start. */
export class TriageOnThread implements Triage {
  private readonly here: TriageHere;

  constructor(
    private readonly db: Queryable,
    private readonly models: TriageModelSource,
    private readonly log: (msg: string, err?: unknown) => void = () => undefined,
  ) {
    this.here = new TriageHere(models);
  }

  async triage(input: TriageInput): Promise<CombinedTriage> {
    const version = await this.models.activeVersion();
    try {
      return await (shared ??= new TriageWorker()).triage(input, version, this.db);
    } catch (err) {
      if (!(err instanceof ThreadGone)) throw err;
      // A ticket is never lost to the thread: triaged here instead (the next ticket starts a new thread).
      this.log('triage thread stopped; triaged on the serving thread', err);
      return this.here.triage(input);
    }
  }
}
