/**
 * Triage figures on a labelled JSONL set: `npm run eval:triage [file.jsonl]`.
 * Default: the shared dev set (../shared/data/triage-dev.jsonl next to the repo), else the fixture copy in
 * test/fixtures (CI clones the repo elsewhere). Exit code 1 when category accuracy < 90 % or security recall < 100 %.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateTriage, formatTriageReport, parseTriageJsonl } from '../src/support/triage-eval.ts';
import { triage } from '../src/support/triage.ts';

const MIN_ACCURACY = 0.9;
const MIN_SECURITY_RECALL = 1;

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = resolve(root, '../shared/data/triage-dev.jsonl');
const fixture = resolve(root, 'test/fixtures/triage-dev.jsonl');
const file = process.argv[2] ? resolve(process.argv[2]) : existsSync(shared) ? shared : fixture;

let samples;
try {
  samples = parseTriageJsonl(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`eval:triage: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const result = evaluateTriage(samples);
console.log(`file: ${file}`);
console.log(formatTriageReport(result));

// Speed: a typical message, and the slowest of a set of hostile inputs (repetition that could make a rule backtrack).
const typical = 'APIが502を返し続けています。自動売買が止まっています';
for (let i = 0; i < 50; i++) triage({ text: typical });
const rounds = 500;
const started = performance.now();
for (let i = 0; i < rounds; i++) triage({ text: typical });
console.log(`\nspeed: typical message ${((performance.now() - started) / rounds).toFixed(3)} ms each`);
const hostile = ['出金'.repeat(50_000), `${'不'.repeat(30_000)}正ログイン`, `${'知らない'.repeat(10_000)}端末`, `${'did not '.repeat(10_000)}x`, 'a1-'.repeat(30_000), '。'.repeat(50_000)];
const slowest = Math.max(...hostile.map((text) => { const t0 = performance.now(); triage({ text }); return performance.now() - t0; }));
console.log(`speed: slowest of ${hostile.length} hostile 60–100k-character inputs ${slowest.toFixed(1)} ms`);

const failures: string[] = [];
if (result.accuracy < MIN_ACCURACY) failures.push(`category accuracy ${(result.accuracy * 100).toFixed(1)}% < ${MIN_ACCURACY * 100}%`);
if (result.securityRecall < MIN_SECURITY_RECALL) failures.push(`security recall ${(result.securityRecall * 100).toFixed(1)}% < 100%`);
if (failures.length > 0) {
  console.error(`\nFAIL: ${failures.join('; ')}`);
  process.exitCode = 1;
} else console.log('\nOK');
