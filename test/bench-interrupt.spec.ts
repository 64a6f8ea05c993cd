import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';

/** A process that registers undos with the built bench's interrupt handler, then waits to be stopped. */
const PROCESS = `
import { undoOnInterrupt } from './dist/bench/interrupt.js';
undoOnInterrupt(() => new Promise((resolve) => setTimeout(() => { console.log('first undone'); resolve(); }, 50)));
const done = undoOnInterrupt(() => console.log('finished work undone'));
undoOnInterrupt(() => { throw new Error('a server that went away'); });
undoOnInterrupt(() => console.log('last undone'));
done();
console.log('ready');
setInterval(() => undefined, 1000);
`;

function interruptedWith(signal: 'SIGINT' | 'SIGTERM'): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROCESS], { env: { ...process.env, NODE_OPTIONS: '' } });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const waiting = !stdout.includes('ready\n');
    stdout += chunk.toString();
    // One signal: a second one ends the process at once, as a second Ctrl-C should.
    if (waiting && stdout.includes('ready\n')) child.kill(signal);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ stdout, code })));
}

describe("the bench's undo on interrupt", () => {
  it.each<['SIGINT' | 'SIGTERM', number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('on %s runs every undo still registered, newest first, past one that fails, then exits %i', async (signal, status) => {
    const { stdout, code } = await interruptedWith(signal);
    expect(stdout.trim().split('\n')).toEqual(['ready', 'last undone', 'first undone']);
    expect(code).toBe(status);
  });
});
