/**
 * Named crash points for fault-injection tests (as etcd's gofail or TiKV's fail points): when the process was
 * started with `KINKYU_CRASH_AT=<name>`, reaching that point kills the process at once with SIGKILL — no
 * clean-up, no flushed buffers, exactly what a power cut or the OOM killer does. Without the variable (always
 * in production) a fault point costs one comparison.
 */
const armed = process.env.KINKYU_CRASH_AT ?? '';

export function faultPoint(name: string): void {
  if (armed !== '' && armed === name) process.kill(process.pid, 'SIGKILL');
}
