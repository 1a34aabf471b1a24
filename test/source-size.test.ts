/**
 * Small modules (issue 12, docs/architecture.md "Size"): no source file over 500 lines and no function over
 * 150 lines, except data tables — the message catalogues and the triage rule table — which are long lists, not
 * long logic. Checked on every `npm test` with the TypeScript parser, so a nested arrow counts on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_FILE_LINES = 500;
const MAX_FUNCTION_LINES = 150;

/** Data tables: their length is entries, not logic. */
const DATA_TABLES = [/\/messages(?:\.|\/[\w-]+\.)(?:ja|en)\.ts$/, /^src\/web\/messages\/(?:ja|en)\.ts$/, /^src\/desk\/triage\/rule-table\.ts$/];

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

interface Oversized { file: string; lines: number; name?: string }

function measure(file: string): Oversized[] {
  const text = readFileSync(file, 'utf8');
  const rel = relative(ROOT, file);
  if (DATA_TABLES.some((table) => table.test(rel))) return [];
  const out: Oversized[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const fileLines = source.getLineAndCharacterOfPosition(text.length).line + 1;
  if (fileLines > MAX_FILE_LINES) out.push({ file: rel, lines: fileLines });
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > MAX_FUNCTION_LINES) {
        const named = (node as ts.FunctionDeclaration).name;
        out.push({ file: rel, lines, name: named ? named.getText(source) : `(function at line ${start + 1})` });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const found = [...sources(join(ROOT, 'src'))].flatMap(measure);

test(`no source file is over ${MAX_FILE_LINES} lines (data tables aside)`, () => {
  assert.deepEqual(found.filter((o) => !o.name).map((o) => `${o.file}: ${o.lines} lines`), []);
});

test(`no function is over ${MAX_FUNCTION_LINES} lines`, () => {
  assert.deepEqual(found.filter((o) => o.name).map((o) => `${o.file} ${o.name}: ${o.lines} lines`), []);
});

test('the measure sees a long function and a long file (a check that cannot fail is no check)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-size-'));
  try {
    const body = Array.from({ length: 160 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const arrow = Array.from({ length: 400 }, (_, i) => `  v${i}: ${i},`).join('\n');
    const file = join(dir, 'probe.ts');
    writeFileSync(file, `function long() {\n${body}\n}\nexport const short = () => ({\n${arrow}\n});\n`);
    const found = measure(file);
    assert.deepEqual(found.map((o) => o.name ?? 'file').sort(), ['(function at line 163)', 'file', 'long']);
    assert.ok(found.every((o) => o.lines > MAX_FUNCTION_LINES));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
