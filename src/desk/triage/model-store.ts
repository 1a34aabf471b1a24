/**
 * Where the triage model in use lives: the active row of `triage_models` (written by a retrain), else the model
 * committed with the code. Every process reads it from the database, so a retrain reaches them all.
 */
import type { Queryable } from '../../store/db.ts';
import { committedModelAsync, parseModelTextAsync } from './model-file.ts';
import type { TriageModel } from './model.ts';

/** How often a process checks whether another one replaced the model. */
const RECHECK_MS = 30_000;

export async function activeModelVersion(q: Queryable): Promise<string | null> {
  const [row] = await q.query<{ version: string }>(`SELECT version FROM triage_models WHERE active`);
  return row?.version ?? null;
}

export async function readActiveModel(q: Queryable): Promise<TriageModel> {
  const [row] = await q.query<{ model: string }>(`SELECT model FROM triage_models WHERE active`);
  return row ? parseModelTextAsync(row.model) : committedModelAsync();
}

/** What the active model was trained from (RetrainInputs digest), or null: none active, or saved without one. */
export async function activeInputsDigest(q: Queryable): Promise<string | null> {
  const [row] = await q.query<{ inputs_digest: string | null }>(`SELECT inputs_digest FROM triage_models WHERE active`);
  return row?.inputs_digest ?? null;
}

export async function saveActiveModel(
  tx: Queryable,
  m: { version: string; text: string; figures: unknown; corrections: number; staffId: string | null; inputsDigest?: string },
): Promise<void> {
  await tx.query(`UPDATE triage_models SET active = false WHERE active`);
  await tx.query(
    `INSERT INTO triage_models (version, model, figures, corrections, active, created_by, inputs_digest) VALUES ($1, $2, $3::jsonb, $4, true, $5, $6)
     ON CONFLICT (version) DO UPDATE SET active = true, inputs_digest = EXCLUDED.inputs_digest`,
    [m.version, m.text, JSON.stringify(m.figures), m.corrections, m.staffId, m.inputsDigest ?? null],
  );
}

/** The text of the active model in the database, or null when none is active (the committed model is in use). */
export async function readActiveModelText(q: Queryable): Promise<string | null> {
  const [row] = await q.query<{ model: string }>(`SELECT model FROM triage_models WHERE active`);
  return row?.model ?? null;
}

/**
 * The model for intake: which one is active (re-checked every 30 s, or at once after a retrain in this process),
 * and, for triage on this thread, the model itself, kept in memory.
 */
export class TriageModelSource {
  private model: TriageModel | null = null;
  /** The active version the model in memory was read for (null: the committed model). */
  private modelFor: string | null | undefined = undefined;
  private loading: Promise<TriageModel> | null = null;
  private version: string | null = null;
  private checkedAt = -Infinity;
  private checking: Promise<string | null> | null = null;

  constructor(
    private readonly db: Queryable,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The active model's version, or null for the committed model. */
  async activeVersion(): Promise<string | null> {
    const now = this.clock().getTime();
    if (now - this.checkedAt < RECHECK_MS) return this.version;
    // The tickets of a surge that arrive meanwhile wait for the same check.
    this.checking ??= activeModelVersion(this.db).then((version) => {
      this.version = version;
      this.checkedAt = now;
      return version;
    }).finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  async current(): Promise<TriageModel> {
    const version = await this.activeVersion();
    if (this.model && this.modelFor === version) return this.model;
    // The tickets of a surge that arrive while the model loads wait for the same load.
    this.loading ??= (version ? readActiveModel(this.db) : committedModelAsync()).then((model) => {
      this.model = model;
      this.modelFor = version;
      return model;
    }).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** After a retrain in this process: the next ticket uses the new model at once. */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }
}
