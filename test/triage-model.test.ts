import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kinkyuProcess } from './support/cli-process.ts';
import { TEST_AUDIT_KEY } from './support/audit-key.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../src/store/db.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { CORPUS_PATH, readCorpus, splitCorpus, splitOf } from '../src/desk/triage/corpus.ts';
import { predict, trainModel, trainModelAsync, type TrainingExample } from '../src/desk/triage/model.ts';
import { committedModel, DEFAULT_MODEL_PATH, loadModel, parseModelText, parseModelTextAsync, readModelFile, serializeModel } from '../src/desk/triage/model-file.ts';
import { triageCombined } from '../src/desk/triage/combined.ts';
import { buildModel, retrain } from '../src/desk/triage/retrain.ts';
import { saveActiveModel } from '../src/desk/triage/model-store.ts';
import { makeStaff, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { emailFactory } from './support/text.ts';

const newEmail = emailFactory();
const corpus = readCorpus();
/** Only the train and dev splits are read by these tests (the test split is for the aggregate figures alone). */
const { train, dev } = splitCorpus(corpus);


async function fileTicket(app: RunningApp, text: string): Promise<{ ticketId: string; type: string; priority: string }> {
  const res = await fetch(`${app.baseUrl}/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ body: text, email: newEmail('user') }),
  });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  return JSON.parse(body) as { ticketId: string; type: string; priority: string };
}

async function staffTicket(client: StaffClient, id: string): Promise<{ type: string; priority: string; needsHuman: boolean; triageModelVersion: string | null }> {
  const res = await fetch(`${client.baseUrl}/staff/tickets/${id}`, { headers: { cookie: client.cookie, accept: 'application/json' } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { ticket: { type: string; priority: string; needsHuman: boolean; triageModelVersion: string | null } }).ticket;
}

describe('the corpus split and training', () => {
  test('the split follows sha256 of the text: about 70/15/15, and the same text always lands in the same split', () => {
    const s = splitCorpus(corpus);
    assert.equal(s.train.length + s.dev.length + s.test.length, corpus.length);
    assert.ok(Math.abs(s.train.length / corpus.length - 0.7) < 0.05, `train ${s.train.length}`);
    assert.ok(Math.abs(s.test.length / corpus.length - 0.15) < 0.04, `test ${s.test.length}`);
    // First byte of sha256: "abc" → 0xba (dev), "" → 0xe3 (test), "a" → 0xca (dev), "hello" → 0x2c (train).
    assert.equal(splitOf('hello'), 'train');
    assert.equal(splitOf('abc'), 'dev');
    assert.equal(splitOf(''), 'test');
  });

  test('training is deterministic: the same corpus gives a byte-identical model, the committed one', async () => {
    // The committed file was written by `npm run train:triage` in another process: the same bytes again here is the
    // determinism (two trainings in this process would only repeat it).
    const a = serializeModel(buildModel(readCorpus(CORPUS_PATH), []));
    assert.equal(a, readFileSync(DEFAULT_MODEL_PATH, 'utf8'), 'the committed model is what `npm run train:triage` makes from the corpus');
    const file = JSON.parse(a) as { version: string; trainedOn: { corpus: number } };
    assert.equal(file.version, committedModel().version);
    assert.equal(file.trainedOn.corpus, train.length, 'trained on the train split only');
    // The retrain in a server trains in steps (trainModelAsync): the same bytes as the script's training.
    const small: TrainingExample[] = train.slice(0, 60).map((x) => ({ text: x.text, category: x.category, priority: x.priority }));
    assert.equal(serializeModel(await trainModelAsync(small, { corpus: 60, corrections: 0 })), serializeModel(trainModel(small, { corpus: 60, corrections: 0 })));
    // Different data, a different version.
    const smallModel = trainModel(small, { corpus: 60, corrections: 0 });
    const other = trainModel([...small, { text: 'ポンコツZQX社のウィジェット', category: 'regulatory' }], { corpus: 60, corrections: 1 });
    assert.notEqual(other.version, smallModel.version);
  });
});

describe('the safety net', () => {
  test('a security incident is never below high: every train-split report labelled security urgent/high, and calm wordings of a secret that is out', () => {
    const model = committedModel();
    const incidents = train.filter((s) => s.category === 'security' && (s.priority === 'urgent' || s.priority === 'high')).map((s) => s.text);
    assert.ok(incidents.length > 200, `incidents in the train split: ${incidents.length}`);
    const guideCases = [
      // docs/triage-guide.md §2.2 and H5: calm wording, the secret is out.
      'お忙しいところ恐れ入ります。昨日、サポートを名乗る方に認証コードをお伝えしたのですが、問題ないでしょうか。お手すきの際で結構です。',
      'I think I typed my seed phrase into a website yesterday. Probably nothing, just letting you know.',
      'Committed my API key to a public repo, deleted it 10 minutes later. Nothing has happened.',
    ];
    const below = [...incidents, ...guideCases].filter((text) => {
      const r = triageCombined({ text }, model);
      return r.priority !== 'urgent' && r.priority !== 'high';
    });
    assert.deepEqual(below, []);
    for (const text of guideCases) assert.equal(triageCombined({ text }, model).type, 'security', text);
  });

  test('a security report that is no incident (a phishing mail not opened) may stay normal, but a security ticket is never low', () => {
    const model = committedModel();
    for (const s of train.filter((x) => x.category === 'security')) {
      assert.notEqual(triageCombined({ text: s.text }, model).priority, 'low', s.text);
    }
  });

  test('a possible security incident the model sees and the rules do not is security and at least high, and says the model decided', () => {
    // A model that has learnt "ウィジェット" only from urgent security reports; the rules know nothing of it.
    const examples: TrainingExample[] = [
      ...Array.from({ length: 4 }, (_, i) => ({ text: `ウィジェットが勝手に動いた ${i}`, category: 'security' as const, priority: 'urgent' as const })),
      ...Array.from({ length: 4 }, (_, i) => ({ text: `チャートの色を変えたい ${i}`, category: 'other' as const, priority: 'low' as const })),
    ];
    const model = loadModel(trainModel(examples, { corpus: 8, corrections: 0 }));
    const r = triageCombined({ text: 'ウィジェットの件' }, model);
    assert.equal(r.type, 'security', JSON.stringify(r));
    assert.ok(r.priority === 'urgent' || r.priority === 'high', JSON.stringify(r));
    assert.ok(r.reasons.some((x) => x.rule === 'model.strong_security'), JSON.stringify(r.reasons));
    assert.equal(r.modelVersion, model.version);
  });

  test('an ambiguous message needs a human and is not silently filed as other / low', () => {
    const examples: TrainingExample[] = [
      { text: '例の件', category: 'outage', weight: 3 },
      { text: '例の件', category: 'trading', weight: 3 },
      { text: 'サーバーが落ちてる', category: 'outage', weight: 3 },
      { text: '注文が約定しない', category: 'trading', weight: 3 },
    ];
    const model = loadModel(trainModel(examples, { corpus: 4, corrections: 0 }));
    const r = triageCombined({ text: '例の件' }, model);
    assert.equal(r.needsHuman, true, JSON.stringify(r));
    assert.match(r.reasons[0]?.effect ?? '', /unsure/);
  });
});

describe('needs a human in the staff queue', () => {
  let app: RunningApp;
  let admin: StaffClient;
  before(async () => {
    app = await startApp({ demo: false });
    admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  });
  after(() => app.stop());

  test('an unsure ticket comes right after urgent security reports, with its flag and the model version; confirming clears it', async () => {
    // A model in the database (as a retrain leaves it) that cannot tell outage from trading for 「例の件」.
    // (It also knows no serious priority, so the retrain below finds it worse on every figure.)
    const file = trainModel(
      [
        { text: '例の件', category: 'outage', priority: 'normal', weight: 3 },
        { text: '例の件', category: 'trading', priority: 'low', weight: 3 },
        { text: 'サーバーが落ちてる', category: 'outage', priority: 'normal', weight: 3 },
        { text: '注文が約定しない', category: 'trading', priority: 'low', weight: 3 },
      ],
      { corpus: 4, corrections: 0 },
    );
    await app.db.transaction((tx) => saveActiveModel(tx, { version: file.version, text: serializeModel(file), figures: {}, corrections: 0, staffId: null }));
    const plain = await fileTicket(app, 'サーバーが落ちてる');
    const unsure = await fileTicket(app, '例の件');
    const takeover = await fileTicket(app, '身に覚えのないログイン通知が来て、確認したらBTCが全部出金されていました。');
    const flagged = await staffTicket(admin, unsure.ticketId);
    assert.equal(flagged.needsHuman, true);
    assert.equal(flagged.triageModelVersion, file.version);
    assert.equal((await staffTicket(admin, plain.ticketId)).needsHuman, false);

    const queue = async () => {
      const res = await fetch(`${app.baseUrl}/staff/tickets`, { headers: { cookie: admin.cookie, accept: 'application/json' } });
      return ((await res.json()) as { tickets: { id: string }[] }).tickets.map((t) => t.id);
    };
    assert.deepEqual((await queue()).slice(0, 3), [takeover.ticketId, unsure.ticketId, plain.ticketId]);
    const page = await fetch(`${app.baseUrl}/staff/tickets`, { headers: { cookie: admin.cookie, 'accept-language': 'ja' } });
    assert.match(await page.text(), /要確認/);

    // Staff keep the type and priority: that confirms the triage, and the ticket leaves the top.
    const res = await admin.postForm(`/staff/tickets/${unsure.ticketId}/triage`, { type: flagged.type, priority: flagged.priority, note: '' });
    assert.equal(res.status, 303, await res.text());
    assert.equal((await staffTicket(admin, unsure.ticketId)).needsHuman, false);
  });

  test('an admin retrains from the console and sees the figures; the next ticket uses the new model; agents may not', async () => {
    const agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
    const denied = await agent.postForm('/staff/triage/retrain', {});
    assert.equal(denied.status, 403);
    const queuePage = await (await fetch(`${app.baseUrl}/staff/tickets`, { headers: { cookie: admin.cookie, 'accept-language': 'ja' } })).text();
    assert.match(queuePage, /判定モデルを再学習する/);

    // The model in use is the four-message one of the test above: the corpus model does better and replaces it.
    const res = await admin.postForm('/staff/triage/retrain', {});
    const page = await res.text();
    assert.equal(res.status, 200, page);
    assert.match(page, /新しいモデル (\w+) を使い始めました/);
    assert.match(page, /テスト用メッセージ \d+ 件での成績/);
    assert.match(page, /再学習前 \(\w+\)/);
    const version = /新しいモデル (\w+) を使い始めました/.exec(page)![1]!;
    const next = await fileTicket(app, 'サーバーが落ちてる');
    assert.equal((await staffTicket(admin, next.ticketId)).triageModelVersion, version);
    const [row] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM triage_models WHERE active`);
    assert.equal(row!.n, 1);
  });
});

describe('learning from staff: kinkyu triage retrain', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kinkyu-triage-'));
    env = { ...process.env, DATA_DIR: join(dir, 'data'), PUBLIC_URL: 'https://status.example.jp', DATABASE_URL: '', AUDIT_KEY: TEST_AUDIT_KEY, AUDIT_KEY_FILE: '' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const text = 'ポンコツZQX社のウィジェット連携の件、例の書類はどうなりましたか';

  test('a staff correction changes the next prediction after the retrain, which shows the test-split figures', async () => {
    let db: Db = await openDb({ dataDir: join(dir, 'data') });
    let app = await startApp({ db, demo: false });
    let corrected: string;
    try {
      const admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
      const first = await fileTicket(app, text);
      corrected = first.type === 'trading' ? 'outage' : 'trading';
      const res = await admin.postForm(`/staff/tickets/${first.ticketId}/triage`, { type: corrected, priority: 'normal', note: '連携の件は取引の問題' });
      assert.equal(res.status, 303, await res.text());
    } finally {
      await app.stop();
      await db.close();
    }

    const out = await kinkyuProcess(env, 'triage', 'retrain');
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /test split \(\d+ messages\), staff corrections learned: 1/);
    assert.match(out.stdout, /before \(model \w+\)\s+category\s+[\d.]+%\s+security recall\s+[\d.]+%/);
    assert.match(out.stdout, /is now in use/);
    const version = /after \(model (\w+)\)/.exec(out.stdout)?.[1];
    assert.ok(version, out.stdout);

    db = await openDb({ dataDir: join(dir, 'data') });
    app = await startApp({ db, demo: false });
    try {
      const again = await fileTicket(app, text);
      assert.equal(again.type, corrected);
      const [row] = await db.query<{ triage_model_version: string }>(`SELECT triage_model_version FROM tickets WHERE id = $1`, [again.ticketId]);
      assert.equal(row!.triage_model_version, version);
    } finally {
      await app.stop();
      await db.close();
    }

    // Nothing new: the model stays.
    const same = await kinkyuProcess(env, 'triage', 'retrain');
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /unchanged/);
    assert.match(same.stdout, /not trained again/, 'the digest of what the model in use was trained from answered, not a training');
    db = await openDb({ dataDir: join(dir, 'data') });
    try {
      const [saved] = await db.query<{ inputs_digest: string | null }>(`SELECT inputs_digest FROM triage_models WHERE active`);
      assert.match(saved?.inputs_digest ?? '', /^[0-9a-f]{64}$/, 'the retrained model keeps the digest of its inputs');
    } finally {
      await db.close();
    }
  });

  test('a retrain that would lower the test-split figures is refused with the figures, and the model stays', async () => {
    const db = await openMigratedDb();
    const app = await startApp({ db, demo: false, config: { contactRateLimit: 1000 } });
    try {
      const admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
      // Careless corrections: 120 takeover reports filed as "other / low". From the dev split, which the model has
      // not learnt from, so nothing in the corpus speaks against them (corrections of train-split texts, each
      // outweighed by its own corpus label, no longer moved the test-split figures once the corpus passed 7,000).
      const reports = dev.filter((s) => s.category === 'security' && s.priority === 'urgent').slice(0, 120);
      assert.equal(reports.length, 120);
      for (const s of reports) {
        const filed = await fileTicket(app, s.text);
        const res = await admin.postForm(`/staff/tickets/${filed.ticketId}/triage`, { type: 'other', priority: 'low', note: '' });
        assert.equal(res.status, 303);
      }
      const result = await retrain(db, SYSTEM_ACTOR, corpus);
      assert.equal(result.outcome, 'refused', JSON.stringify(result));
      assert.ok(result.outcome === 'refused');
      assert.ok(result.worse.length > 0);
      // Every figure named as worse is worse in the numbers shown.
      for (const figure of result.worse) {
        if (figure === 'securityIncidentBelowHigh') assert.ok(result.after[figure] > result.before[figure], figure);
        else assert.ok(result.after[figure] < result.before[figure], figure);
      }
      const [active] = await db.query(`SELECT version FROM triage_models WHERE active`);
      assert.equal(active, undefined, 'the committed model is still the one in use');
      const next = await fileTicket(app, reports[0]!.text);
      const ticket = await staffTicket(admin, next.ticketId);
      assert.equal(ticket.triageModelVersion, committedModel().version);
      const [audit] = await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'triage.%' ORDER BY seq DESC LIMIT 1`);
      assert.equal(audit!.action, 'triage.retrain_refused');
    } finally {
      await app.stop();
      await db.close();
    }
  });
});

describe('the feature index', () => {
  test('finds exactly the features featuresOf() names that the model knows, in the same order', async () => {
    const { featuresOf, forEachWord, gramText, normalizeForModel } = await import('../src/desk/triage/features.ts');
    const model = committedModel();
    const texts = [...train.slice(0, 400).map((s) => s.text), '', ' ', 'ｶﾀｶﾅ and ＦＵＬＬＷＩＤＴＨ', 'x'.repeat(5000), '絵文字😀のある文', "didn't work – again"];
    for (const text of texts) {
      const expected = [...featuresOf(text, model.spec).keys()].map((f) => model.index.rowOf(f)).filter((r) => r >= 0);
      const seen: number[] = [];
      const normalized = normalizeForModel(text);
      model.index.forEachGram(gramText(normalized), model.spec.grams[0], model.spec.grams[1], (r) => seen.push(r));
      if (model.spec.words) forEachWord(normalized, (key) => { const r = model.index.rowOf(key); if (r >= 0) seen.push(r); });
      assert.deepEqual([...new Set(seen)], expected, text.slice(0, 60));
    }
  });

  test('a name outside the model is not found; every feature of the model file is', () => {
    const file = JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8')) as { features: Record<string, unknown> };
    const model = committedModel();
    Object.keys(file.features).forEach((name, row) => assert.equal(model.index.rowOf(name), row, name));
    for (const absent of ['never-a-feature-zzzq', '\u0001zzzqx', '鬱鬱鬱鬱鬱']) assert.equal(model.index.rowOf(absent), -1, absent);
  });
});

describe('reading a model file', () => {
  test('line by line gives the model JSON.parse gives: the committed file, and names that need escaping', () => {
    const text = readFileSync(DEFAULT_MODEL_PATH);
    const fast = parseModelText(text);
    const slow = loadModel(JSON.parse(text.toString('utf8')));
    assert.equal(fast.version, slow.version);
    assert.deepEqual([fast.index.size, fast.width, fast.spec, fast.tf], [slow.index.size, slow.width, slow.spec, slow.tf]);
    assert.ok(fast.weights.every((w, i) => Object.is(w, slow.weights[i])), 'every weight the same number');
    // Names with a quote, a backslash, "]," and a control character (word features start with one), in several scripts.
    const odd = ['say "hi"', 'back\\slash', 'a], [b', '出金\u0001', 'ｶﾀｶﾅ', '😀 emoji', "didn't"];
    const examples: TrainingExample[] = [];
    for (let i = 0; i < 4; i++) {
      for (const t of odd) examples.push({ text: `${t} ${i}`, category: i % 2 ? 'security' : 'outage', priority: i % 2 ? 'urgent' : 'normal', keepAllGrams: true });
    }
    const file = trainModel(examples, { corpus: examples.length, corrections: 0 });
    const written = serializeModel(file);
    const [a, b] = [parseModelText(written), loadModel(JSON.parse(written))];
    assert.ok(a.index.size > 100 && a.index.size === b.index.size);
    for (const t of [...odd, 'say "hi" back\\slash', 'nothing known']) assert.deepEqual(predict(a, t), predict(b, t), t);
  });

  test('weights kept as 32-bit floats decide as the file\'s numbers do: every dev-split message, type, priority and flag', () => {
    const model = committedModel();
    assert.ok(model.weights instanceof Float32Array);
    // The file's numbers as 64-bit floats, row by row in the file's order (the order the rows are numbered in).
    const file = JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8')) as { features: Record<string, number[]> };
    const wide = { ...model, weights: Float64Array.from(Object.values(file.features).flat()) } as unknown as typeof model;
    assert.equal(wide.weights.length, model.weights.length);
    let differ = 0;
    for (const s of dev) {
      const [a, b] = [triageCombined({ text: s.text }, model), triageCombined({ text: s.text }, wide)];
      if (a.type !== b.type || a.priority !== b.priority || a.needsHuman !== b.needsHuman) differ++;
    }
    assert.equal(differ, 0, `${differ} of ${dev.length} dev-split messages triaged otherwise`);
  });

  test('read from disk in chunks: the same model, also with a line longer than a chunk', () => {
    const fromDisk = readModelFile(DEFAULT_MODEL_PATH);
    const whole = parseModelText(readFileSync(DEFAULT_MODEL_PATH));
    assert.equal(fromDisk.index.size, whole.index.size);
    assert.ok(fromDisk.weights.every((w, i) => Object.is(w, whole.weights[i])), 'every weight the same number');
    const long = 'あ'.repeat(50_000); // 150,000 bytes of UTF-8: longer than the 64 KB the reader starts with
    const written = serializeModel(trainModel([{ text: `${long} 障害`, category: 'outage', keepAllGrams: true }, { text: '乗っ取られた', category: 'security', keepAllGrams: true }], { corpus: 2, corrections: 0 }));
    const path = join(mkdtempSync(join(tmpdir(), 'kinkyu-model-')), 'model.json');
    writeFileSync(path, written);
    const [a, b] = [readModelFile(path), loadModel(JSON.parse(written))];
    assert.equal(a.index.size, b.index.size);
    for (const t of ['障害', '乗っ取られた', long.slice(0, 10)]) assert.deepEqual(predict(a, t), predict(b, t), t);
  });

  test('the first ticket of a surge loads it without holding up the server: other work runs while it is read', async () => {
    const text = readFileSync(DEFAULT_MODEL_PATH);
    let turns = 0;
    const other = setInterval(() => turns++, 0);
    try {
      const model = await parseModelTextAsync(text);
      assert.ok(turns >= 3, `other work had ${turns} turns while ${model.index.size} features were read`);
      assert.ok(model.weights.every((w, i) => Object.is(w, committedModel().weights[i])), 'the same model');
    } finally {
      clearInterval(other);
    }
  });

  test('a damaged line is refused with what is wrong; another layout of the same JSON still reads', () => {
    const written = serializeModel(trainModel([{ text: 'サイトが開かない', category: 'outage', keepAllGrams: true }, { text: '乗っ取られた', category: 'security', keepAllGrams: true }], { corpus: 2, corrections: 0 }));
    const lines = written.split('\n');
    const at = lines.indexOf('  "features": {') + 1;
    assert.ok(lines[at]!.startsWith('    "'), 'a feature line to damage');
    const broken = [...lines.slice(0, at), lines[at]!.replace(/\[.*\]/, '[1,2]'), ...lines.slice(at + 1)].join('\n');
    assert.throws(() => parseModelText(broken), /has the wrong length/);
    // Fields that are no JSON numbers are refused as JSON.parse refuses them (Number() would take '' as 0, 0x10 as 16).
    for (const bad of ['[x,', '[,', '[0x10,', '[1e,', '[01,', '[-,', '[1.,', '[+1,', '[.5,']) {
      const damaged = [...lines.slice(0, at), lines[at]!.replace(/\[[^,]*,/, bad), ...lines.slice(at + 1)].join('\n');
      assert.throws(() => parseModelText(damaged), SyntaxError, bad);
    }
    // The same JSON laid out otherwise (compact, or indented by JSON.stringify) still reads.
    const version = loadModel(JSON.parse(written)).version;
    assert.equal(parseModelText(JSON.stringify(JSON.parse(written))).version, version);
    const indented = JSON.stringify(JSON.parse(written), null, 2);
    assert.ok(indented.includes(',\n  "features": {\n'), 'the layout that looks like ours at first');
    assert.equal(parseModelText(indented).version, version);
  });
});
