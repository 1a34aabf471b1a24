/** The messages between the embedded database's thread (pglite-worker.ts) and the `Db` that talks to it (pglite.ts). */

/** Every request has an id; its reply carries the same. Statements of a transaction carry the id of its 'begin'. */
export type WorkerRequest =
  | { id: number; op: 'open'; dataDir: string | undefined; loadDataDir: ArrayBuffer | undefined; preparedStatements: boolean; tx?: undefined }
  | { id: number; op: 'query'; sql: string; params: unknown[] | undefined; tx?: number }
  | { id: number; op: 'exec'; sql: string; tx?: undefined }
  | { id: number; op: 'begin'; tx?: undefined }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'listen'; channel: string; tx?: undefined }
  | { id: number; op: 'unlisten'; listen: number; tx?: undefined }
  | { id: number; op: 'dump'; tx?: undefined }
  | { id: number; op: 'close'; tx?: undefined };

/** A database error as the application reads it: PostgreSQL's fields (code '23505', …) kept. */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  severity?: string;
  where?: string;
  position?: string;
}

export type WorkerReply =
  | { id: number; value: unknown; error?: undefined; notify?: undefined }
  | { id: number; error: WorkerError; value?: undefined; notify?: undefined }
  /** A NOTIFY on the channel of the 'listen' request `notify`. */
  | { notify: number; payload: string; id?: undefined };
