/**
 * Triage figures: `npm run eval:triage` (combined triage: rules + learned model + safety net).
 *
 * Default: the corpus in eval/triage/corpus.jsonl — the TEST split (held out: never trained or tuned on; only
 * aggregate figures are printed, never a message), then the dev split, each overall and for ja and en, with the
 * confusion tables, and the rules alone for comparison. `--dev-messages` also lists the dev split's mistakes;
 * `--dev-only` (while tuning) leaves the test split out entirely.
 * With a file argument (`npm run eval:triage -- some.jsonl`), that file is evaluated instead, mistakes listed.
 * Exit code 1 when the test split misses the acceptance targets (category >= 95 %, security recall 100 %, no
 * security incident below high).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCorpus, splitCorpus, type CorpusSample } from '../src/desk/triage/corpus.ts';
import { evaluateTriage, formatTriageReport, parseTriageJsonl, type Classifier } from '../src/desk/triage/eval.ts';
import { triageCombined } from '../src/desk/triage/combined.ts';
import { predict } from '../src/desk/triage/model.ts';
import { committedModel } from '../src/desk/triage/model-file.ts';
import { triage } from '../src/desk/triage/rules.ts';

const TARGET_ACCURACY = 0.95;

const args = process.argv.slice(2);
const devMessages = args.includes('--dev-messages');
/** While tuning: the dev split only, the test split not even evaluated. */
const devOnly = args.includes('--dev-only');
const fileArg = args.find((a) => !a.startsWith('--'));
const model = committedModel();
const combined: Classifier = (text) => triageCombined({ text }, model);
const rulesOnly: Classifier = (text) => triage({ text });

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

if (fileArg) {
  const file = resolve(fileArg);
  if (!existsSync(file)) {
    console.error(`eval:triage: no such file ${file}`);
    process.exit(2);
  }
  let samples;
  try {
    samples = parseTriageJsonl(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`eval:triage: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  console.log(`file: ${file} (model ${model.version})`);
  console.log(formatTriageReport(evaluateTriage(samples, combined)));
} else {
  const split = splitCorpus(readCorpus());
  console.log(`corpus: eval/triage/corpus.jsonl — train ${split.train.length}, dev ${split.dev.length}, test ${split.test.length}; model ${model.version} (trained on the train split only)\n`);
  const report = (name: string, samples: CorpusSample[], showMessages: boolean) => {
    const all = evaluateTriage(samples, combined);
    console.log(formatTriageReport(all, { title: `${name} split, combined triage`, showMessages }));
    for (const lang of ['ja', 'en'] as const) {
      const part = evaluateTriage(samples.filter((s) => s.lang === lang), combined);
      console.log(
        `  ${lang}: ${part.count} messages — category ${pct(part.accuracy)}, security recall ${pct(part.securityRecall)}, security incidents below high ${part.securityIncidentBelowHigh}, priority ${pct(part.priorityAccuracy)}, needs a human ${part.needsHuman}`,
      );
    }
    const rules = evaluateTriage(samples, rulesOnly);
    console.log(`  rules alone: category ${pct(rules.accuracy)}, security recall ${pct(rules.securityRecall)}, security incidents below high ${rules.securityIncidentBelowHigh}\n`);
    return all;
  };
  const test = devOnly ? null : report('TEST', split.test, false);
  report('dev', split.dev, devMessages);

  // Speed: a typical message, a long one, and hostile inputs (repetition that could make a rule backtrack).
  const time = (text: string, rounds: number): number => {
    for (let i = 0; i < 20; i++) triageCombined({ text }, model);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) triageCombined({ text }, model);
    return (performance.now() - t0) / rounds;
  };
  const typical = 'APIが502を返し続けています。自動売買が止まっています';
  const long = 'いつも大変お世話になっております。'.repeat(40) + '三日ほど前に見知らぬ端末からのログインのお知らせメールが届いておりました。';
  console.log(`speed (combined): typical message ${time(typical, 500).toFixed(3)} ms, ${long.length}-character message ${time(long, 100).toFixed(3)} ms`);
  const t0 = performance.now();
  for (let i = 0; i < 500; i++) predict(model, typical);
  console.log(`speed (model alone): ${((performance.now() - t0) / 500).toFixed(3)} ms`);
  const hostile = ['出金'.repeat(50_000), `${'不'.repeat(30_000)}正ログイン`, `${'知らない'.repeat(10_000)}端末`, `${'did not '.repeat(10_000)}x`, 'a1-'.repeat(30_000), '。'.repeat(50_000)];
  const slowest = Math.max(...hostile.map((text) => { const s = performance.now(); triageCombined({ text }, model); return performance.now() - s; }));
  console.log(`speed: slowest of ${hostile.length} hostile 60–100k-character inputs ${slowest.toFixed(1)} ms`);

  const failures: string[] = [];
  if (!test) process.exit(0);
  if (test.accuracy < TARGET_ACCURACY) failures.push(`category accuracy ${pct(test.accuracy)} < ${pct(TARGET_ACCURACY)}`);
  if (test.securityRecall < 1) failures.push(`security recall ${pct(test.securityRecall)} < 100%`);
  if (test.securityIncidentBelowHigh > 0) failures.push(`${test.securityIncidentBelowHigh} security incidents below high`);
  if (failures.length > 0) {
    console.error(`\nTEST split below the acceptance targets: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else console.log('\nOK: the test split meets the acceptance targets');
}
