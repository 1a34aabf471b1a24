import { resolve } from 'node:path';

/** `--name N` from the command line, or `fallback`; a value that is not a positive number stops the run. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

/**
 * `--profile DIR`: node flags that make a child process write a V8 CPU profile into DIR when it exits (open it in
 * Chrome's DevTools); none without the option. A missing directory stops the run.
 */
export function cpuProfileFlags(): string[] {
  const i = process.argv.indexOf('--profile');
  if (i === -1) return [];
  const dir = process.argv[i + 1];
  if (!dir || dir.startsWith('--')) throw new Error('--profile needs a directory');
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(dir)}`];
}
