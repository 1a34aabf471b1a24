import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts `kinkyu start` (with `--demo` when asked) as a child process and resolves once it says it is up — the
 * real server, so that tests can SIGKILL it and start it again on the same data.
 */
export function startKinkyuProcess(env: NodeJS.ProcessEnv, opts: { demo?: boolean } = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'start', ...(opts.demo ? ['--demo'] : [])];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not start:\n${out}`));
    }, 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('kinkyu is up')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code ?? signal}:\n${out}`));
    });
  });
}
