/**
 * The synchronous dictionary loader reads kuromoji's internals (a decompressed copy, the trie-id map read in
 * place): it must cut every text exactly as kuromoji's own builder does — the words, base forms, readings and
 * parts of speech search indexes by.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { IpadicFeatures, Tokenizer } from 'kuromoji';
import { loadKuromoji } from '../src/help/search/kuromoji-loader.ts';

const require = createRequire(import.meta.url);

function texts(): string[] {
  const out: string[] = [];
  const help = new URL('../content/help/', import.meta.url);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) out.push(...readFileSync(path, 'utf8').split(/\n+/));
    }
  };
  walk(help.pathname);
  const corpus = readFileSync(new URL('../eval/triage/corpus.jsonl', import.meta.url), 'utf8');
  for (const line of corpus.split('\n').filter(Boolean).slice(0, 600)) out.push((JSON.parse(line) as { text: string }).text);
  // Unknown words, odd scripts and lengths: the unknown-word dictionary and the lattice's edges.
  out.push('ｱｶｳﾝﾄがﾛｯｸされた', 'ＡＰＩキー１２３', 'しゅっきんできない', '🙏出金まだ？？', 'Binance→bitbank送金', '', 'あ', '草ｗｗｗ');
  return out.filter((t) => t.length <= 2000);
}

const shape = (tokens: IpadicFeatures[]): string[] =>
  tokens.map((t) => [t.surface_form, t.pos, t.pos_detail_1, t.pos_detail_2, t.conjugated_type, t.conjugated_form, t.basic_form, t.reading, t.pronunciation, t.word_position].join('/'));

test('the synchronous loader cuts every text as kuromoji’s own builder does', async () => {
  const ours = loadKuromoji();
  const kuromoji = require('kuromoji') as typeof import('kuromoji');
  const dicPath = join(dirname(dirname(require.resolve('kuromoji'))), 'dict');
  const theirs = await new Promise<Tokenizer<IpadicFeatures>>((resolve, reject) =>
    kuromoji.builder({ dicPath }).build((err, tokenizer) => (err ? reject(err) : resolve(tokenizer))),
  );
  const all = texts();
  assert.ok(all.length > 1000, `enough texts to compare (${all.length})`);
  let tokens = 0;
  for (const text of all) {
    const expected = shape(theirs.tokenize(text));
    tokens += expected.length;
    assert.deepEqual(shape(ours.tokenize(text)), expected, text);
  }
  assert.ok(tokens > 20_000, `enough tokens compared (${tokens})`);
});
