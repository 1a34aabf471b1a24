/**
 * Runs a benchmark's `main` (its exit code is the process's) and makes sure its children and throwaway servers
 * go away however it ends: done, failed, or interrupted (Ctrl-C / SIGTERM).
 */
export function runBench(main: () => Promise<number>, cleanUp: () => Promise<void>): void {
  const t0 = Date.now();
  main().then(
    (code) => {
      console.log(`Done in ${((Date.now() - t0) / 1000).toFixed(0)} s.`);
      process.exit(code);
    },
    async (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      await cleanUp().catch(() => undefined);
      process.exit(1);
    },
  );
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      void cleanUp().finally(() => process.exit(130));
    });
  }
}
