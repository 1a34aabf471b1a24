/**
 * The server triages contact-form tickets on a thread of its own (src/desk/triage/triage-thread.ts): the same
 * verdicts as on the serving thread, the retrained model when one is active, and no ticket lost when the thread dies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openMigratedDb } from './support/test-db.ts';
import type { Db } from '../src/store/db.ts';
import { readCorpus, splitCorpus } from '../src/desk/triage/corpus.ts';
import { trainModel } from '../src/desk/triage/model.ts';
import { serializeModel } from '../src/desk/triage/model-file.ts';
import { saveActiveModel, TriageModelSource } from '../src/desk/triage/model-store.ts';
import { terminateTriageThread, TriageHere, TriageOnThread } from '../src/desk/triage/triage-thread.ts';

const { dev } = splitCorpus(readCorpus());
/** Dev-split messages in both languages (never the test split). */
const messages = dev.filter((_, i) => i % 6 === 0).map((s) => s.text);

let db: Db;
before(async () => {
  db = await openMigratedDb();
});
after(async () => {
  await db.close();
});

describe('triage on its own thread', () => {
  test('the same verdicts as on the serving thread: type, priority, needs-a-human, reasons and the model version', async () => {
    const models = new TriageModelSource(db);
    const [thread, here] = [new TriageOnThread(db, models), new TriageHere(models)];
    assert.ok(messages.length > 150, `${messages.length} messages`);
    const onThread = await Promise.all(messages.map((text) => thread.triage({ text })));
    for (const [i, text] of messages.entries()) assert.deepEqual(onThread[i], await here.triage({ text }), text);
    const withFields = { text: '注文が約定しない', category: 'trading' as const, fields: { orderId: '12345', amount: '2000000' } };
    assert.deepEqual(await thread.triage(withFields), await here.triage(withFields));
  });

  test('a retrained model, once active, is the one the thread uses', async () => {
    const file = trainModel(
      [
        { text: 'ZQX社のウィジェットが壊れた', category: 'regulatory', priority: 'high', keepAllGrams: true },
        { text: 'サーバーが落ちてる', category: 'outage', priority: 'normal', keepAllGrams: true },
      ],
      { corpus: 2, corrections: 0 },
    );
    const models = new TriageModelSource(db);
    const thread = new TriageOnThread(db, models);
    const before = await thread.triage({ text: 'ZQX社のウィジェットが壊れた' });
    assert.notEqual(before.modelVersion, file.version);
    await db.transaction((tx) => saveActiveModel(tx, { version: file.version, text: serializeModel(file), figures: {}, corrections: 0, staffId: null }));
    models.invalidate();
    const afterRetrain = await thread.triage({ text: 'ZQX社のウィジェットが壊れた' });
    assert.equal(afterRetrain.modelVersion, file.version);
    assert.deepEqual(afterRetrain, await new TriageHere(models).triage({ text: 'ZQX社のウィジェットが壊れた' }));
    await db.exec('UPDATE triage_models SET active = false');
    models.invalidate();
  });

  test('the thread dies with tickets in flight: each is still triaged, and the next ticket gets a new thread', async () => {
    const logged: string[] = [];
    const models = new TriageModelSource(db);
    const thread = new TriageOnThread(db, models, (msg) => logged.push(msg));
    const here = new TriageHere(models);
    await thread.triage({ text: '起動' }); // the thread is up
    const inFlight = messages.slice(0, 40).map((text) => thread.triage({ text }));
    await terminateTriageThread();
    const results = await Promise.all(inFlight);
    for (const [i, text] of messages.slice(0, 40).entries()) assert.deepEqual(results[i], await here.triage({ text }), text);
    assert.ok(logged.some((m) => /triage thread stopped/.test(m)), 'said so in the log');
    assert.deepEqual(await thread.triage({ text: messages[50]! }), await here.triage({ text: messages[50]! }));
  });
});
