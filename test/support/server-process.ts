import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_AUDIT_KEY } from './audit-key.ts';
import { builtCli } from './built-cli.ts';

/**
 * Starts `kinkyu start` (with `--demo` when asked; the built CLI, see built-cli.ts) as a child process and resolves once it says it is up — the
 * real server, so that tests can SIGKILL it and start it again on the same data.
 */
export function startKinkyuProcess(env: NodeJS.ProcessEnv, opts: { demo?: boolean } = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = [builtCli(), 'start', ...(opts.demo ? ['--demo'] : [])];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not start:\n${out}`));
    }, 30_000);
    // The banner is on stderr (stdout carries JSON log lines only).
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('kinkyu is up')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code ?? signal}:\n${out}`));
    });
  });
}

/** The environment for such a server on a loopback port: its data, no SMTP, quiet logs, a known first admin, the test audit key. */
export function kinkyuEnv(opts: {
  port: number;
  dataDir: string;
  databaseUrl?: string | undefined;
  admin: { email: string; password: string };
  extra?: NodeJS.ProcessEnv;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: opts.dataDir,
    DATABASE_URL: opts.databaseUrl ?? '',
    SMTP_URL: '',
    PORT: String(opts.port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${opts.port}`,
    LOG_LEVEL: 'error',
    KINKYU_ADMIN_EMAIL: opts.admin.email,
    KINKYU_ADMIN_PASSWORD: opts.admin.password,
    // The same key as this test process: it may append to the same database (and several servers share one).
    AUDIT_KEY: TEST_AUDIT_KEY,
    AUDIT_KEY_FILE: '',
    // Several servers run at once in the suite: metrics on any free port, a short drain on SIGTERM.
    METRICS_PORT: '0',
    SHUTDOWN_GRACE_MS: '100',
    ...opts.extra,
  };
}

/** Stops a server started by startKinkyuProcess, killing it outright when it has not exited after `forceAfterMs`. */
export function stopKinkyu(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', forceAfterMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), forceAfterMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}
