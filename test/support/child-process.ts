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
