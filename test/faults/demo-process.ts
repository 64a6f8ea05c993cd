import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';

/** The compiled demo entry point (`npm run build` makes it). */
const DEMO_MAIN = resolve(process.cwd(), 'dist/src/main.js');

/** One process of the demo application, started with its own environment. */
export class DemoProcess {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the process and resolves once its log says it is ready. */
  async start(readyLine: RegExp): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [DEMO_MAIN], {
      env: { ...process.env, ...this.env, NODE_OPTIONS: '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onData = (chunk: Buffer) => {
      // FAULT_LOG_DIR keeps every process's whole log, for a post-mortem.
      if (process.env.FAULT_LOG_DIR) appendFileSync(`${process.env.FAULT_LOG_DIR}/${this.name}.log`, chunk);
      // Keep the tail only: enough to explain a failure, bounded in memory.
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const deadline = Date.now() + 60_000;
    while (!readyLine.test(this.output)) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited during start:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not get ready:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * SIGKILL: no shutdown hook runs, as when a machine dies. Resolves with the signal the process
   * died of, or null when it was not running (a kill that hit nothing).
   */
  async kill(): Promise<string | null> {
    const child = this.child;
    if (!child || this.exited) return null;
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill('SIGKILL');
    const [, signal] = await exited;
    return signal;
  }

  /**
   * SIGTERM and wait for a clean exit (the shutdown hooks run); SIGKILL after 30 s. Resolves with
   * the signal the process died of (`SIGTERM` when Nest re-raised it after closing, `SIGKILL` when
   * it did not close in time), or null when it exited with a code or was not running.
   */
  async stop(): Promise<string | null> {
    const child = this.child;
    if (!child || this.exited) return null;
    child.kill('SIGTERM');
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [, signal] = await exited;
    clearTimeout(timer);
    return signal;
  }

  /** True once the process has exited (or was killed). */
  get exited(): boolean {
    return this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  logTail(): string {
    return this.output;
  }
}

/**
 * Starts a process as a supervisor would (systemd's Restart=always, a Kubernetes pod): one that
 * exits during its start (MySQL down at that moment) is started again a second later.
 */
export async function startSupervised(create: () => DemoProcess, readyLine: RegExp, log: (line: string) => void): Promise<void> {
  for (let tries = 1; ; tries++) {
    const child = create();
    try {
      return await child.start(readyLine);
    } catch (error) {
      if (!child.exited || tries >= 30) throw error;
      log(`${child.name} exited during its start; restarted in 1 s`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
