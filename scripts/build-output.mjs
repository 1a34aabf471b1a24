/**
 * What the two builds share (scripts/build.mjs: src/ → dist/, scripts/build-tests.mjs: test/ → test-dist/): the
 * files of a tree and writing each output atomically (a temporary name, then a rename: a process loading the tree
 * while a build runs never reads half a file); and, for the tests' build, esbuild's settings for one ES module per
 * source (the application's build bundles instead).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/** esbuild: bundle mode with every import external (a plugin decides) = one output per module, for Node 20. */
export const ONE_MODULE_PER_SOURCE = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', write: false };

/** Writes files atomically, skipping those already identical, and remembers every path it was given. */
export function atomicWriter() {
  const written = new Set();
  return {
    written,
    write(path, contents) {
      written.add(path);
      if (existsSync(path) && readFileSync(path).equals(contents)) return;
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, contents);
      renameSync(temporary, path);
    },
  };
}
