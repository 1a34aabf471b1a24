/**
 * The triage thread (triage-thread.ts): triages on its own thread, so the rules' regular expressions and the
 * model's look-ups (a fifth of the server's work per contact-form ticket) run beside the thread that serves a surge.
 * It holds the committed model and the last retrained ones it was sent, by version.
 */
import { parentPort } from 'node:worker_threads';
import { triageCombined } from './combined.ts';
import { committedModel, parseModelText } from './model-file.ts';
import type { TriageModel } from './model.ts';
import type { TriageReply, TriageRequest } from './triage-protocol.ts';

/** Retrained models kept (a retrain replaces the active one; the one before may still be asked for meanwhile). */
const KEPT_MODELS = 2;
const retrained = new Map<string, TriageModel>();

const port = parentPort!;
const reply = (message: TriageReply) => port.postMessage(message);

port.on('message', (request: TriageRequest) => {
  try {
    if (request.op === 'model') {
      const model = parseModelText(request.text);
      retrained.delete(model.version);
      retrained.set(model.version, model);
      while (retrained.size > KEPT_MODELS) retrained.delete(retrained.keys().next().value!);
      reply({ id: request.id, loaded: model.version });
      return;
    }
    const model = request.model === null ? committedModel() : retrained.get(request.model);
    if (!model) throw new Error(`model ${request.model} was not sent to the triage thread`);
    reply({ id: request.id, result: triageCombined(request.input, model) });
  } catch (err) {
    reply({ id: request.id, error: err instanceof Error ? err.message : String(err) });
  }
});
