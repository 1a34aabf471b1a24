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

/** The model for intake: kept in memory, re-read when the active version in the database changes. */
export class TriageModelSource {
  private model: TriageModel | null = null;
  private loading: Promise<TriageModel> | null = null;
  private checkedAt = -Infinity;

  constructor(
    private readonly db: Queryable,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async current(): Promise<TriageModel> {
    const now = this.clock().getTime();
    if (this.model && now - this.checkedAt < RECHECK_MS) return this.model;
    // The tickets of a surge that arrive while the model loads wait for the same load.
    this.loading ??= this.refresh(now).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async refresh(now: number): Promise<TriageModel> {
    const version = await activeModelVersion(this.db);
    if (!this.model || (version ?? (await committedModelAsync()).version) !== this.model.version) {
      this.model = version ? await readActiveModel(this.db) : await committedModelAsync();
    }
    this.checkedAt = now;
    return this.model;
  }

  /** After a retrain in this process: the next ticket uses the new model at once. */
  invalidate(): void {
    this.checkedAt = -Infinity;
  }
}
