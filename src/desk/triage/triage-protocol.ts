import type { CombinedTriage } from './combined.ts';
import type { TriageInput } from './rules.ts';

/** Messages between the desk (triage-thread.ts) and the triage thread (triage-worker.ts). */
export type TriageRequest =
  /** Triage `input` with the model of `model`: the committed one (null), or a retrained one by its version. */
  | { id: number; op: 'triage'; input: TriageInput; model: string | null }
  /** A retrained model's text, to be known by its version from now on. */
  | { id: number; op: 'model'; text: string };

export type TriageReply =
  | { id: number; result: CombinedTriage; error?: undefined }
  | { id: number; loaded: string; result?: undefined; error?: undefined }
  | { id: number; error: string; result?: undefined };
