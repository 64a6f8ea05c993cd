import { spawn } from 'node:child_process';

/** Runs a Node script of the repository with extra environment; resolves with its output and how it ended. */
export function runScript(script: string, env: Record<string, string>): Promise<{ stdout: string; code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env, NODE_OPTIONS: '' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code, signal) => resolve({ stdout, code, signal }));
  });
}

/**
 * Runs ES module code (importing the built library from `./dist`) in a child process with
 * nothing else to do; resolves with its exit code, or null when it was still alive after
 * 20 s and killed: for tests that a process is not held open.
 */
export function exitCodeOfModuleCode(code: string): Promise<number | null> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const held = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return exited.finally(() => clearTimeout(held));
}
