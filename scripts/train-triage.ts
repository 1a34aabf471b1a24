/**
 * Rebuilds the committed triage model from the corpus's train split: `npm run train:triage`.
 * Deterministic: the same corpus gives a byte-identical src/desk/triage/model.json.
 * (Staff corrections are added by `kinkyu triage retrain`, which stores its model in the database.)
 */
import { writeFileSync } from 'node:fs';
import { DEFAULT_MODEL_PATH, serializeModel } from '../src/desk/triage/model-file.ts';
import { readCorpus } from '../src/desk/triage/corpus.ts';
import { buildModel } from '../src/desk/triage/retrain.ts';

const file = buildModel(readCorpus(), []);
writeFileSync(DEFAULT_MODEL_PATH, serializeModel(file));
console.log(`wrote ${DEFAULT_MODEL_PATH}: model ${file.version}, ${Object.keys(file.features).length} n-gram features, trained on ${file.trainedOn.corpus} corpus messages (train split)`);
