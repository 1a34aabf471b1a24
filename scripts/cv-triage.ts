/**
 * Cross-validation of the combined triage over the corpus's train ∪ dev splits (the test split is never read):
 * `npm run cv:triage -- [options]`. The messages are dealt into k folds by a hash of their text (so adding
 * messages never moves old ones), a model is trained on k − 1 folds and the held-out fold is triaged (rules +
 * that model + the thresholds); the figures are over every message, each triaged by a model that never saw it.
 *
 * Model options (default: the committed ones, DEFAULT_OPTIONS): --grams 1-5, --words / --no-words, --signals X,
 * --tf binary|log, --min-df N, --epochs N, --rate X, --l2 X, --security-weight X.
 * --k N (folds, default 5). --tune also searches the combination's thresholds on the out-of-fold predictions and
 * prints the best settings (a missed security report or an incident below high costs five wrongly typed messages).
 * --mistakes lists the out-of-fold type mistakes. --th key=value,… also reports other thresholds on the same folds.
 */
import { createHash } from 'node:crypto';
import { readCorpus, splitCorpus, type CorpusSample } from '../src/desk/triage/corpus.ts';
import { combineTriage, THRESHOLDS, type RuleVerdictWithType, type TriageThresholds } from '../src/desk/triage/combined.ts';
import { DEFAULT_OPTIONS, predict, trainModel, type ModelOptions, type ModelPrediction } from '../src/desk/triage/model.ts';
import { loadModel } from '../src/desk/triage/model-file.ts';
import { triageRules } from '../src/desk/triage/rules.ts';
import { evaluateTriage, parseTriageJsonl } from '../src/desk/triage/eval.ts';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, fallback: number): number => (value(name) === undefined ? fallback : Number(value(name)));

function optionsFromArgs(): ModelOptions {
  const d = DEFAULT_OPTIONS;
  const grams = value('grams')?.split('-').map(Number) as [number, number] | undefined;
  return {
    features: { grams: grams ?? d.features.grams, words: flag('words') ? true : flag('no-words') ? false : d.features.words, signals: num('signals', d.features.signals) },
    tf: value('tf') === 'log' ? 'log' : value('tf') === 'binary' ? 'binary' : d.tf,
    minDocFreq: num('min-df', d.minDocFreq),
    training: { epochs: num('epochs', d.training.epochs), rate: num('rate', d.training.rate), l2: num('l2', d.training.l2), seed: num('seed', d.training.seed) },
    securityWeight: num('security-weight', d.securityWeight),
  };
}

/** The fold of a message: a hash of its text (not the one that chose its split). */
function foldOf(text: string, k: number): number {
  const digest = createHash('sha256').update(`triage-cv\u0000${text}`, 'utf8').digest();
  return digest.readUInt32BE(0) % k;
}

interface OutOfFold {
  sample: CorpusSample;
  rules: RuleVerdictWithType;
  pred: ModelPrediction;
}

function crossValidate(samples: readonly CorpusSample[], options: ModelOptions, k: number): { oof: OutOfFold[]; msPerMessage: number } {
  const folds = samples.map((s) => foldOf(s.text, k));
  const rules = samples.map((s) => triageRules({ text: s.text }));
  const oof: OutOfFold[] = [];
  let predictMs = 0;
  for (let fold = 0; fold < k; fold++) {
    const train = [
      ...samples.flatMap((s, i) => (folds[i] !== fold ? [{ text: s.text, category: s.category, priority: s.priority, signals: rules[i]!.signals }] : [])),
      ...extra.map((s) => ({ text: s.text, category: s.category, priority: s.priority, signals: triageRules({ text: s.text }).signals })),
    ];
    const model = loadModel(trainModel(train, { corpus: train.length, corrections: 0 }, options));
    samples.forEach((s, i) => {
      if (folds[i] !== fold) return;
      const t0 = performance.now();
      const pred = predict(model, s.text, rules[i]!.signals);
      predictMs += performance.now() - t0;
      oof.push({ sample: s, rules: rules[i]!, pred });
    });
  }
  return { oof, msPerMessage: predictMs / samples.length };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

interface Figures {
  count: number;
  accuracy: number;
  securityRecall: number;
  belowHigh: number;
  priority: number;
  modelAccuracy: number;
}

function figures(oof: readonly OutOfFold[], th: TriageThresholds): Figures {
  const results = new Map(oof.map((o) => [o.sample.text, combineTriage(o.rules, o.pred, 'cv', th)]));
  const e = evaluateTriage(oof.map((o) => o.sample), (text) => results.get(text)!);
  const modelRight = oof.filter((o) => o.pred.ranked[0]?.type === o.sample.category).length;
  return { count: e.count, accuracy: e.accuracy, securityRecall: e.securityRecall, belowHigh: e.securityIncidentBelowHigh, priority: e.priorityAccuracy, modelAccuracy: modelRight / Math.max(1, oof.length) };
}

function line(name: string, f: Figures): string {
  return `  ${name.padEnd(4)} ${String(f.count).padStart(5)}  category ${pct(f.accuracy).padStart(6)}  security recall ${pct(f.securityRecall).padStart(6)}  below high ${String(f.belowHigh).padStart(2)}  priority ${pct(f.priority).padStart(6)}  (model alone ${pct(f.modelAccuracy)})`;
}

/**
 * Where the combination types a message differently from the model's own best guess, by which branch of
 * combineTriage() decided (the first that applies, in its order), and who was right: the combination or the model.
 */
function overrides(oof: readonly OutOfFold[], th: TriageThresholds): string {
  const branches = new Map<string, { combined: number; model: number; neither: number }>();
  for (const o of oof) {
    const modelType = o.pred.ranked[0]?.type ?? 'other';
    const type = combineTriage(o.rules, o.pred, 'cv', th).type;
    if (type === modelType) continue;
    const branch = o.rules.incident ? 'rules detect an incident'
      : o.pred.security >= th.strongSecurity ? 'model leans security'
        : o.pred.margin < th.rulesDecideMargin ? 'model unsure: rules decide'
          : 'strong rule evidence';
    const b = branches.get(branch) ?? { combined: 0, model: 0, neither: 0 };
    if (type === o.sample.category) b.combined++;
    else if (modelType === o.sample.category) b.model++;
    else b.neither++;
    branches.set(branch, b);
  }
  return [...branches].map(([branch, b]) => `  overrides of the model, ${branch}: combination right ${b.combined}, model right ${b.model}, neither ${b.neither}`).join('\n');
}

function report(oof: readonly OutOfFold[], th: TriageThresholds): string {
  return [line('all', figures(oof, th)), ...(['ja', 'en'] as const).map((lang) => line(lang, figures(oof.filter((o) => o.sample.lang === lang), th))), overrides(oof, th)].join('\n');
}

/**
 * What a setting costs, in wrongly typed messages: a missed security report or an incident below high costs five
 * (it is wrong, and guide rule 5: missing a takeover is far worse than a false alarm).
 */
export const MISSED_SECURITY_COST = 5;
function score(f: Figures, securityCount: number): number {
  const missed = Math.round((1 - f.securityRecall) * securityCount);
  return f.accuracy * f.count - (MISSED_SECURITY_COST - 1) * (missed + f.belowHigh);
}

function tune(oof: readonly OutOfFold[]): TriageThresholds {
  const securityCount = oof.filter((o) => o.sample.category === 'security').length;
  let best = THRESHOLDS;
  let bestScore = score(figures(oof, THRESHOLDS), securityCount);
  const grid: { [K in keyof TriageThresholds]: number[] } = {
    strongSecurity: [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6],
    possibleSecurity: [0.03, 0.05, 0.1, 0.15, 0.2],
    possibleIncident: [0.02, 0.05, 0.1, 0.2],
    rulesDecideMargin: [0, 0.05, 0.1, 0.15, 0.2],
    strongRulesScore: [4, 6, 8, 100],
    strongRulesMargin: [0.2, 0.3, 0.4],
    needsHumanMargin: [0.2],
  };
  // One threshold at a time, twice round (a full grid is thousands of evaluations).
  for (let round = 0; round < 2; round++) {
    for (const key of Object.keys(grid) as (keyof TriageThresholds)[]) {
      for (const v of grid[key]) {
        const th = { ...best, [key]: v };
        const s = score(figures(oof, th), securityCount);
        if (s > bestScore + 1e-9) {
          bestScore = s;
          best = th;
        }
      }
    }
  }
  return best;
}

const extra = (value('extra') ?? '').split(',').filter(Boolean).flatMap((f) => parseTriageJsonl(readFileSync(f, 'utf8')));
const k = num('k', 5);
const options = optionsFromArgs();
const { train, dev } = splitCorpus(readCorpus());
const samples = [...train, ...dev];
const t0 = performance.now();
const { oof, msPerMessage } = crossValidate(samples, options, k);
console.log(`cv:triage — ${k}-fold over train ∪ dev (${samples.length} messages), options ${JSON.stringify(options)}`);
console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s; model prediction ${msPerMessage.toFixed(3)} ms per message)`);
console.log(report(oof, THRESHOLDS));
// --th key=value,…: the same out-of-fold predictions combined with other thresholds (e.g. --th strongRulesScore=100).
const thArg = value('th');
if (thArg) {
  const th: TriageThresholds = { ...THRESHOLDS };
  for (const pair of thArg.split(',')) {
    const [key, v] = pair.split('=');
    if (!key || !(key in th) || v === undefined || !Number.isFinite(Number(v))) throw new Error(`--th: unknown or bad setting ${pair}`);
    th[key as keyof TriageThresholds] = Number(v);
  }
  console.log(`with ${JSON.stringify(th)}`);
  console.log(report(oof, th));
}
if (flag('tune')) {
  const th = tune(oof);
  console.log(`tuned thresholds: ${JSON.stringify(th)}`);
  console.log(report(oof, th));
}
if (flag('mistakes')) {
  for (const o of oof) {
    const r = combineTriage(o.rules, o.pred, 'cv');
    if (r.type !== o.sample.category) console.log(`- expected ${o.sample.category}/${o.sample.priority}, got ${r.type}/${r.priority} (model ${o.pred.ranked[0]?.type} ${pct(o.pred.ranked[0]?.p ?? 0)}): ${o.sample.text.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
}
if (flag('breakdown')) {
  const kinds = new Map<string, number>();
  for (const o of oof) {
    const r = combineTriage(o.rules, o.pred, 'cv');
    const modelType = o.pred.ranked[0]?.type;
    const why = o.rules.incident ? 'rules-incident' : r.reasons.some((x) => x.rule === 'model.strong_security') ? 'model-strong-security' : r.type === modelType ? 'model' : 'rules';
    const right = r.type === o.sample.category;
    const key = `${why} ${right ? 'right' : 'WRONG'}${!right && modelType === o.sample.category ? ' (model was right)' : ''}${!right && o.rules.result.type === o.sample.category ? ' (rules were right)' : ''}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  for (const [k, n] of [...kinds].sort()) console.log(`  ${k}: ${n}`);
}
if (value('dump')) {
  const { writeFileSync } = await import('node:fs');
  const rows = oof.map((o) => ({
    category: o.sample.category, priority: o.sample.priority, lang: o.sample.lang, text: o.sample.text,
    p: Object.fromEntries(o.pred.ranked.map((r) => [r.type, r.p])), pp: Object.fromEntries(o.pred.priorities.map((r) => [r.priority, r.p])),
    incident: o.rules.incident, rulesType: o.rules.result.type, rulesPriority: o.rules.result.priority, scores: o.rules.scores, signals: o.rules.signals,
  }));
  writeFileSync(value('dump')!, rows.map((r) => JSON.stringify(r)).join('\n'));
}
