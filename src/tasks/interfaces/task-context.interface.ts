/** Progress a handler reports: a percentage and, optionally, what it is doing. */
export interface TaskProgress {
  percent: number;
  message?: string;
}

/** The second argument of every task handler. */
export interface TaskContext {
  /** The task's UUID (also its BullMQ job id). */
  readonly taskId: string;
  readonly taskName: string;
  /** 1 on the first attempt, 2 on the first retry, … */
  readonly attempt: number;
  /** Attempts this task may make in all (`max_retries + 1`). */
  readonly maxAttempts: number;
  /**
   * Fires when the task is cancelled (reason `'cancelled'`), the worker shuts down (`'worker
   * shutdown'`), the attempt reaches its time limit (a TaskTimeoutError) or this worker lost the
   * job's lock to another attempt (`'job lock lost'`); stop work and return or throw.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress (percent 0..100, message up to 500 characters). Returns at once; the row
   * keeps the latest report, written at most once per `progressIntervalMs`.
   */
  progress(percent: number, message?: string): Promise<void>;
  /**
   * In a workflow: the previous step's result (a chain), or the members' results in order (a
   * chord's callback, or a step after a group). Undefined for a task outside a workflow and
   * for a workflow's first step.
   */
  readonly previousResult?: unknown;
}

/** The shape of a task handler method. */
export type TaskHandlerFn<P = Record<string, unknown>, R = unknown> = (
  params: P,
  context: TaskContext,
) => Promise<R> | R;
