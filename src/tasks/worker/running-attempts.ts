import { AttemptAbort } from './attempt-abort.js';

/** How long an abort waits for the attempt of a fetched job to begin. */
const EARLY_ABORT_TTL_MS = 60_000;

/** One fetch of a task's job by a worker: when BullMQ handed it out, and the token of its lock. */
export interface JobFetch {
  taskId: string;
  processedOn?: number;
  lockToken?: string;
}

/** The attempts running in this process, by task id, each with what aborts it. */
export class RunningAttempts {
  private readonly attempts = new Map<string, { attempt: Promise<unknown>; abort: AttemptAbort; lockToken?: string }>();
  /**
   * Aborts of jobs fetched but whose attempt had not begun when the abort came (a cancel finds
   * the job active as soon as a worker has fetched it), by task id, oldest first.
   */
  private readonly early = new Map<string, { processedOn: number; reason: unknown; at: number }>();

  /**
   * Runs `attempt` with an abort of its own, tracked under its task id until it settles; already
   * aborted when an abort came early for this fetch of the job (`processedOn`).
   */
  async run<T>(fetch: JobFetch, attempt: (abort: AttemptAbort) => Promise<T>): Promise<T> {
    const { taskId, processedOn, lockToken } = fetch;
    const abort = new AttemptAbort();
    const early = this.early.get(taskId);
    if (early && early.processedOn === processedOn) {
      this.early.delete(taskId);
      abort.abort(early.reason);
    }
    const running = attempt(abort);
    const tracked = { attempt: running, abort, lockToken };
    this.attempts.set(taskId, tracked);
    try {
      return await running;
    } finally {
      // A later fetch of the same job may have begun here meanwhile (this one's lock was lost): it stays tracked.
      if (this.attempts.get(taskId) === tracked) this.attempts.delete(taskId);
    }
  }

  /**
   * Aborts the attempt at `taskId` with `reason` if it runs here; says whether it does. Else,
   * with `processedOn`, the attempt of that fetch of the job is aborted when it begins.
   */
  abort(taskId: string, reason: unknown, processedOn?: number): boolean {
    const running = this.attempts.get(taskId);
    if (running) {
      running.abort.abort(reason);
      return true;
    }
    if (processedOn !== undefined) this.abortEarly(taskId, processedOn, reason);
    return false;
  }

  /**
   * Aborts the attempt at `taskId` with `reason` unless it holds the job's lock: `holder` is
   * the lock's token as Redis has it now (null: no lock). Says whether it aborted one; not for
   * an attempt aborted already (a shutdown hands its job back, and its lock goes with it).
   */
  abortUnlessLockedBy(taskId: string, holder: string | null, reason: unknown): boolean {
    const running = this.attempts.get(taskId);
    if (!running || running.abort.aborted || running.lockToken === undefined || running.lockToken === holder) return false;
    running.abort.abort(reason);
    return true;
  }

  /** The lock token of the attempt at `taskId`, unless it was aborted (or none runs here). */
  lockTokenOf(taskId: string): string | undefined {
    const running = this.attempts.get(taskId);
    return running && !running.abort.aborted ? running.lockToken : undefined;
  }

  abortAll(reason: unknown): void {
    for (const { abort } of this.attempts.values()) abort.abort(reason);
  }

  private abortEarly(taskId: string, processedOn: number, reason: unknown): void {
    const now = Date.now();
    for (const [id, { at }] of this.early) {
      if (now - at < EARLY_ABORT_TTL_MS) break;
      this.early.delete(id);
    }
    this.early.delete(taskId);
    this.early.set(taskId, { processedOn, reason, at: now });
  }

  taskIds(): string[] {
    return [...this.attempts.keys()];
  }

  /** Ids of the tasks whose attempts run here and were not aborted. */
  unabortedTaskIds(): string[] {
    const ids: string[] = [];
    for (const [taskId, { abort }] of this.attempts) if (!abort.aborted) ids.push(taskId);
    return ids;
  }

  /** Resolves when every attempt running now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.attempts.values()].map(({ attempt }) => attempt));
  }
}
