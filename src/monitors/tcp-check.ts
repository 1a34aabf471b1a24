import { connect } from 'node:net';
import type { CheckResult, TcpCheckConfig } from './types.ts';

/** Opens a TCP connection and closes it at once. A host that drops the SYN fails at `timeoutMs`. */
export function checkTcp(config: TcpCheckConfig, opts: { timeoutMs: number }): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: config.host, port: config.port });
    const finish = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A timer of our own: socket.setTimeout only measures idleness, which is not the same as a deadline.
    const timer = setTimeout(() => {
      finish({ ok: false, health: 'down', latencyMs: elapsed(), detail: `no TCP connection to ${config.host}:${config.port} within ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    socket.once('connect', () => {
      const ms = elapsed();
      finish({ ok: true, health: 'up', latencyMs: ms, detail: `TCP ${config.host}:${config.port} connected in ${ms} ms` });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, health: 'down', latencyMs: elapsed(), detail: `TCP ${config.host}:${config.port}: ${err.code ?? err.message}` });
    });
  });
}
