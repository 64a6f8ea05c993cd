import { AttemptAbort } from './attempt-abort.js';

/** The attempts running in this process, by task id, each with what aborts it. */
export class RunningAttempts {
  private readonly attempts = new Map<string, { attempt: Promise<unknown>; abort: AttemptAbort }>();

  /** Runs `attempt` with an abort of its own, tracked under `taskId` until it settles. */
  async run<T>(taskId: string, attempt: (abort: AttemptAbort) => Promise<T>): Promise<T> {
    const abort = new AttemptAbort();
    const running = attempt(abort);
    this.attempts.set(taskId, { attempt: running, abort });
    try {
      return await running;
    } finally {
      this.attempts.delete(taskId);
    }
  }

  /** Aborts the attempt at `taskId` with `reason` if it runs here; says whether it does. */
  abort(taskId: string, reason: unknown): boolean {
    const running = this.attempts.get(taskId);
    running?.abort.abort(reason);
    return running !== undefined;
  }

  abortAll(reason: unknown): void {
    for (const { abort } of this.attempts.values()) abort.abort(reason);
  }

  taskIds(): string[] {
    return [...this.attempts.keys()];
  }

  /** Resolves when every attempt running now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.attempts.values()].map(({ attempt }) => attempt));
  }
}
