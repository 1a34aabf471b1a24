import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { builtCli } from './built-cli.ts';

const run = promisify(execFile);

export interface CliResult { code: number; stdout: string; stderr: string }

/** `kinkyu <args>` as a real child process (the built CLI) with exactly `env`: the exit code and output an operator sees. */
export async function kinkyuProcess(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [builtCli(), ...args], { env, cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
