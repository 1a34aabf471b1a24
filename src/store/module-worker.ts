import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running one of our modules: the built `.js` beside the caller, or, run from the TypeScript
 * sources (tsx: a single test file, the benchmarks' parents), the `.ts` with tsx registered first (Node 20 does not
 * pass `--import` hooks on to worker threads). `moduleUrl` is the caller's `new URL('./x.js', import.meta.url)`.
 * Only the process's flags that describe it as a whole (profiling, inspection) are passed on: `-e`/`--input-type`
 * (a one-line script) would stop the thread from starting.
 */
export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const execArgv = process.execArgv.filter((a) => /^--(cpu-prof|heap-prof|inspect)/.test(a));
  const full = { ...options, execArgv };
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, full);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl.href)}); });`, { ...full, eval: true });
}

/** The URL of a module beside the caller, as built (`.js`) or as source (`.ts`), from the caller's own URL. */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}
