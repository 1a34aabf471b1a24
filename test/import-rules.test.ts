/**
 * The house rules of the source tree (docs/architecture.md, "Import rules"), checked on every `npm test`:
 *  - no import cycle among modules (type-only imports do not count: they vanish at run time);
 *  - the shared foundations depend on nothing above them: `src/domain/` only on itself, `src/store/` on itself
 *    and domain, `src/web/` (HTTP helpers, layout, messages) on itself, domain and store — never on a feature
 *    (the message catalogue may gather the `messages.{ja,en}.ts` files features keep beside themselves);
 *  - the staff console's shell (`src/console/`: layout, navigation, form helpers) imports no feature, only the
 *    foundations and what a staff role may do (`src/staff/permissions.ts`);
 *  - a capability never imports another capability's routes (`routes.ts`, `*-routes.ts`) or plugin (`plugin.ts`):
 *    slices share services, repositories, types and view fragments; only the composition (`src/app/`,
 *    `src/server.ts`, the CLI) wires routes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

/** Value imports (and re-exports) of a module, as paths relative to the repository. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    if (m[2]) continue; // import type / export type
    const names = m[3] ?? '';
    // `import { type A, type B } from` is type-only too.
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    if (braces && braces[1]!.split(',').map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith('type '))) continue;
    out.push(relative(ROOT, resolve(dirname(file), m[4]!)));
  }
  for (const m of text.matchAll(/^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) out.push(relative(ROOT, resolve(dirname(file), m[1]!)));
  return out;
}

const graph = new Map<string, string[]>();
for (const file of sources(SRC)) graph.set(relative(ROOT, file), importsOf(file));

/** Strongly connected components with more than one module (Tarjan). */
function cycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the source tree has no import cycle', () => {
  assert.ok(graph.size > 100, `modules read: ${graph.size}`);
  assert.deepEqual(cycles(), []);
});

test('the foundations (domain, store, web) import no feature', () => {
  const allowed: Record<string, string[]> = {
    'src/domain/': ['src/domain/'],
    'src/store/': ['src/store/', 'src/domain/'],
    'src/web/': ['src/web/', 'src/domain/', 'src/store/'],
  };
  const broken: string[] = [];
  for (const [file, deps] of graph) {
    const layer = Object.keys(allowed).find((prefix) => file.startsWith(prefix));
    if (!layer) continue;
    for (const dep of deps) {
      if (allowed[layer]!.some((prefix) => dep.startsWith(prefix))) continue;
      // The typed catalogue gathers the messages a feature keeps beside itself (text only, no code).
      if (file.startsWith('src/web/messages/') && /\/messages(?:\.|\/[\w-]+\.)(?:ja|en)\.ts$/.test(dep)) continue;
      broken.push(`${file} → ${dep}`);
    }
  }
  assert.deepEqual(broken, []);
});

test('the check sees a cycle when there is one (a test that cannot fail is no test)', () => {
  graph.set('src/__probe/a.ts', ['src/__probe/b.ts']);
  graph.set('src/__probe/b.ts', ['src/__probe/a.ts']);
  try {
    assert.deepEqual(cycles(), [['src/__probe/a.ts', 'src/__probe/b.ts']]);
  } finally {
    graph.delete('src/__probe/a.ts');
    graph.delete('src/__probe/b.ts');
  }
});

/** The top folder of `src/` a module belongs to (`src/desk/triage/rules.ts` → `desk`); '' outside `src/`. */
const sliceOf = (file: string): string => (file.startsWith('src/') ? file.split('/')[1]! : '');
/** Not capabilities: the foundations, the shell and the composition may be imported by, or import, anything allowed above. */
const NOT_CAPABILITIES = new Set(['domain', 'store', 'web', 'console', 'app', 'cli', 'server.ts', 'config.ts']);
const isRouteModule = (file: string): boolean => /(?:^|\/|-)routes\.ts$/.test(file) || /\/plugin\.ts$/.test(file);

function shellImportingFeatures(): string[] {
  const allowed = ['src/console/', 'src/domain/', 'src/store/', 'src/web/', 'src/staff/permissions.ts'];
  const broken: string[] = [];
  for (const [file, deps] of graph) {
    if (!file.startsWith('src/console/')) continue;
    for (const dep of deps) if (!allowed.some((prefix) => dep.startsWith(prefix))) broken.push(`${file} → ${dep}`);
  }
  return broken;
}

function routesImportedAcrossSlices(): string[] {
  const broken: string[] = [];
  for (const [file, deps] of graph) {
    const from = sliceOf(file);
    if (!from || NOT_CAPABILITIES.has(from)) continue;
    for (const dep of deps) {
      const to = sliceOf(dep);
      if (to && to !== from && !NOT_CAPABILITIES.has(to) && isRouteModule(dep)) broken.push(`${file} → ${dep}`);
    }
  }
  return broken;
}

test('the console shell (src/console/) imports no feature', () => {
  assert.ok([...graph.keys()].some((file) => file.startsWith('src/console/')));
  assert.deepEqual(shellImportingFeatures(), []);
});

test("no capability imports another capability's routes or plugin (only the composition wires them)", () => {
  assert.deepEqual(routesImportedAcrossSlices(), []);
});

test('the slice rules see a broken import when there is one', () => {
  graph.set('src/console/__probe.ts', ['src/desk/desk.ts']);
  graph.set('src/notices/__probe.ts', ['src/desk/contact-routes.ts', 'src/monitors/plugin.ts', 'src/desk/desk.ts', 'src/notices/console-routes.ts']);
  try {
    assert.deepEqual(shellImportingFeatures(), ['src/console/__probe.ts → src/desk/desk.ts']);
    assert.deepEqual(routesImportedAcrossSlices(), ['src/notices/__probe.ts → src/desk/contact-routes.ts', 'src/notices/__probe.ts → src/monitors/plugin.ts']);
  } finally {
    graph.delete('src/console/__probe.ts');
    graph.delete('src/notices/__probe.ts');
  }
});
