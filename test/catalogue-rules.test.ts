/**
 * The typed catalogue's house rule (common rules; issue 12 point 5): user-facing words come from
 * `t(lang, key, params)` and the `messages*.{ja,en}.ts` files, never from a choice made inline. This test reads
 * every src/**\/*.ts (the catalogue itself and the message files aside) and fails on:
 *  - a language ternary (`lang === 'ja' ? … : …`, `x.lang !== 'en' ? …`) or `if (lang === 'en') { … }` with a string
 *    or template literal holding words (letters or Japanese, HTML tags aside) in a branch;
 *  - `as MessageKey` (a key built from data goes through `known()`, a view's key part is typed with `KeysUnder`);
 *  - a `{ ja: …, en: … }` table whose values hold words.
 * What a language legitimately chooses that is not words is let through by pattern (NOT_WORDS, isKey), words that
 * are data of a language by file (LANGUAGE_DATA); files still being split are counted in ALLOWLIST.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { hasMessage } from '../src/web/i18n.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

/** The catalogue and the message files are where the words live. */
const isCatalogue = (path: string): boolean =>
  path === 'src/web/i18n.ts' || /(^|\/)messages(\/[^/]+|[^/]*)\.(ja|en)\.ts$/.test(path) || /^src\/web\/messages\//.test(path);

/**
 * Words in a language that are data, not text shown as ours: what the search folds together, what simulated users
 * write in a drill. They are chosen by language on purpose and never go through t().
 */
const LANGUAGE_DATA: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /^src\/help\/search\//, reason: 'search vocabulary (synonyms, spelling variants) of each language' },
  { pattern: /^src\/drills\/synthetic\.ts$/, reason: 'what the synthetic users of a drill write, in their language' },
];

/**
 * Files allowed a number of inline choices while they move into the catalogue (empty: every file is clean). A
 * new entry needs a reason and a plan to empty it again.
 */
const ALLOWLIST: Readonly<Record<string, number>> = {};

/**
 * Literal text a language may choose that is not words: language and locale codes, Intl option values, the
 * static export's path prefixes and `?lang=en` links.
 */
const NOT_WORDS: ReadonlyArray<{ pattern: RegExp; reason: string }> = [
  { pattern: /^(ja|en)$/, reason: 'a language code (parsing a stored or sent language)' },
  { pattern: /^(ja-JP|en-US)$/, reason: 'a BCP 47 locale for Intl' },
  { pattern: /^(long|short|narrow|numeric|2-digit)$/, reason: 'an Intl option value' },
  { pattern: /^[\w\-./?#&=%]*[/?=][\w\-./?#&=%]*$/, reason: 'a path, path prefix (static export: en/) or a ?lang=en link' },
  { pattern: /^(checked|selected)$/, reason: 'an HTML attribute (the language radio button chosen)' },
  { pattern: /^lang$/, reason: 'the name of the ?lang= query parameter' },
];

/** A catalogue key chosen by language (`t(lang, a.lang === 'ja' ? 'kb.inJapanese' : 'kb.inEnglish')`): the words stay in the catalogue. */
const isKey = (part: string): boolean => /^\w+(\.[\w-]+)+$/.test(part) && hasMessage(part);

/** Letters, kana, kanji or Japanese punctuation: words or the separators joinList() gives. */
const WORDS = /[A-Za-z\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]/;

interface Finding {
  line: number;
  rule: 'ternary' | 'if' | 'cast' | 'table';
  text: string;
}

function literalText(node: ts.Node): string | null {
  const n = skipParens(node);
  if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) return n.text;
  if (ts.isTemplateExpression(n)) return [n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join(' ');
  if (ts.isTaggedTemplateExpression(n)) return literalText(n.template);
  return null;
}

function skipParens(node: ts.Node): ts.Node {
  return ts.isParenthesizedExpression(node) ? skipParens(node.expression) : node;
}

/** Holds words: HTML tags and the NOT_WORDS patterns aside. */
function isWords(text: string): boolean {
  const bare = text.replace(/<[^>]*>/g, ' ').trim();
  if (!WORDS.test(bare)) return false;
  return !bare.split(/\s+/).every((part) => isKey(part) || NOT_WORDS.some((x) => x.pattern.test(part)));
}

/** `… === 'ja'`, `'en' !== …`: a choice by language. */
function isLanguageTest(node: ts.Node): boolean {
  const n = skipParens(node);
  if (!ts.isBinaryExpression(n)) return false;
  const op = n.operatorToken.kind;
  if (op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsEqualsToken
    && op !== ts.SyntaxKind.EqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsToken) return false;
  return [n.left, n.right].some((side) => ts.isStringLiteral(side) && (side.text === 'ja' || side.text === 'en'));
}

/**
 * Any string or template literal with words, however deep in the expression (function bodies aside; calls' arguments
 * aside too when `intoCalls` is false: a table of calls, `{ ja: parse(o.ja, 'x.ja') }`, computes, it does not word).
 */
function holdsWords(node: ts.Node, intoCalls = true): boolean {
  const text = literalText(node);
  if (text !== null && isWords(text)) return true;
  if (!intoCalls && ts.isCallExpression(node)) return false;
  let found = false;
  node.forEachChild((child) => {
    if (!found && !ts.isFunctionLike(child)) found = holdsWords(child, intoCalls);
  });
  return found;
}

function propertyName(p: ts.ObjectLiteralElementLike): string | null {
  if (!ts.isPropertyAssignment(p)) return null;
  return ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : null;
}

/** The inline language choices of words in one source text. */
function scan(source: string, fileName = 'probe.ts'): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const out: Finding[] = [];
  const at = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isConditionalExpression(node) && isLanguageTest(node.condition) && (holdsWords(node.whenTrue) || holdsWords(node.whenFalse))) {
      out.push({ line: at(node), rule: 'ternary', text: node.getText(file).slice(0, 120) });
    }
    if (ts.isIfStatement(node) && isLanguageTest(node.expression) && (holdsWords(node.thenStatement) || (node.elseStatement && holdsWords(node.elseStatement)))) {
      out.push({ line: at(node), rule: 'if', text: node.getText(file).slice(0, 120) });
    }
    if (ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(file) === 'MessageKey') {
      out.push({ line: at(node), rule: 'cast', text: node.getText(file).slice(0, 120) });
    }
    if (ts.isObjectLiteralExpression(node)) {
      const byName = new Map(node.properties.map((p) => [propertyName(p), p] as const));
      const ja = byName.get('ja');
      const en = byName.get('en');
      if (ja && en && ts.isPropertyAssignment(ja) && ts.isPropertyAssignment(en) && (holdsWords(ja.initializer, false) || holdsWords(en.initializer, false))) {
        out.push({ line: at(node), rule: 'table', text: node.getText(file).slice(0, 120) });
      }
    }
    node.forEachChild(visit);
  };
  visit(file);
  return out;
}

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

function findings(): Map<string, Finding[]> {
  const all = new Map<string, Finding[]>();
  for (const path of sources(SRC)) {
    const rel = relative(ROOT, path).split('\\').join('/');
    if (isCatalogue(rel) || LANGUAGE_DATA.some((x) => x.pattern.test(rel))) continue;
    const found = scan(readFileSync(path, 'utf8'), rel);
    if (found.length) all.set(rel, found);
  }
  return all;
}

test('the scan catches an inline choice of words, a cast and a word table, and lets codes, paths and data through', () => {
  const caught = scan([
    "const a = lang === 'ja' ? 'こんにちは' : 'Hello';",
    "const b = c.lang !== 'en' ? `${n} 件` : `${n} items`;",
    "const c = (x.lang === 'en') ? html`<p>Sign in</p>` : html`<p>ログイン</p>`;",
    "const d = lang === 'ja' ? '、' : ', ';",
    "const e = `help.${x}` as MessageKey;",
    "const f = { ja: '秘密鍵', en: 'private key' };",
    "const g = { new_sign_in: { ja: 'ログイン', en: 'Sign-in' } };",
    "const h = lang === 'en' ? shown.join(', ') : shown.join('、');",
    "if (c.lang === 'en') {\n  return { subject: `[${x}] Password changed` };\n}",
  ].join('\n'));
  assert.deepEqual(caught.map((f) => [f.line, f.rule]), [[1, 'ternary'], [2, 'ternary'], [3, 'ternary'], [4, 'ternary'], [5, 'cast'], [6, 'table'], [7, 'table'], [8, 'ternary'], [9, 'if']]);

  const allowed = scan([
    "const a = value === 'en' ? 'en' : 'ja';",
    "const b = lang === 'ja' ? 'ja-JP' : 'en-US';",
    "const c = { month: lang === 'ja' ? 'long' : 'short' };",
    "const d = lang === 'en' ? 'en/' : '';",
    "const e = lang === 'en' ? `/en${path}` : path;",
    "const f = lang === 'en' ? `${path}?lang=en&saved=1` : `${path}?saved=1`;",
    "const g = lang === 'en' ? html`<input type=\"hidden\" name=\"lang\" value=\"en\">` : '';",
    "const h = lang === 'en' ? i.nameEn ?? i.nameJa : i.nameJa;",
    "const i = t(lang, lang === 'ja' ? 'kb.inJapanese' : 'kb.inEnglish');",
    "const j = { ja: config.exchangeNameJa, en: config.exchangeNameEn };",
    "const k = { ja: 1, en: 2 };",
    "const l = { ja: this.string(o.ja, `${path}.ja`), en: this.string(o.en, `${path}.en`) };",
    "if (lang === 'en') params.set('lang', 'en');",
  ].join('\n'));
  assert.deepEqual(allowed, []);
});

test('no inline choice of words outside the catalogue (allowlisted files: at most their count)', () => {
  const problems: string[] = [];
  for (const [file, found] of findings()) {
    const allowed = ALLOWLIST[file] ?? 0;
    if (found.length > allowed) {
      problems.push(`${file}: ${found.length} inline choice(s) (allowed ${allowed}):\n${found.map((f) => `  ${f.line} [${f.rule}] ${f.text}`).join('\n')}`);
    }
  }
  assert.deepEqual(problems, [], 'move the words into the feature\'s messages.{ja,en}.ts and call t()');
});

test('the allowlist is tight: every allowlisted file still has exactly its count', () => {
  const all = findings();
  const stale = Object.entries(ALLOWLIST)
    .filter(([file, count]) => (all.get(file)?.length ?? 0) !== count)
    .map(([file, count]) => `${file}: allowed ${count}, found ${all.get(file)?.length ?? 0}`);
  assert.deepEqual(stale, [], 'lower the count (or remove the line) in ALLOWLIST');
});
