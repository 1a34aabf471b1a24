/**
 * A benchmark's child server stops when its parent says so (SIGTERM/SIGINT) or goes away (stdin closes):
 * `stop` runs once, and the process exits after at most `graceMs` whatever `stop` does.
 */
export function exitWithParent(stop: () => Promise<unknown> | void, graceMs = 1000): void {
  let stopping = false;
  const exit = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), graceMs).unref();
    Promise.resolve()
      .then(stop)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  process.stdin.resume();
}
