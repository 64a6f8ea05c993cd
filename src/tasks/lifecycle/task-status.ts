/** Every state a task row can be in. The values are the ENUM of `background_tasks.status`. */
export enum TaskStatus {
  Pending = 'pending',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
  Cancelled = 'cancelled',
}

/** The states a task never leaves on its own (only an explicit user retry starts a new round). */
export const FINAL_STATUSES: readonly TaskStatus[] = [
  TaskStatus.Completed,
  TaskStatus.Failed,
  TaskStatus.Cancelled,
];

/**
 * The named moves of the lifecycle, as the state writer is asked for them. A failed attempt
 * that is retried is a `requeue` (the worker's); a user's retry of a finished task is a
 * `resubmit` (the retry route's).
 */
export type TaskTransition = 'start' | 'complete' | 'requeue' | 'fail' | 'abandon' | 'cancel' | 'resubmit';

interface TransitionRule {
  readonly from: readonly TaskStatus[];
  readonly to: TaskStatus;
}

/**
 * The lifecycle, in one place. The mirror writes every transition as
 * `UPDATE … WHERE status IN (from)`, and the entity subscriber refuses any status change
 * through TypeORM that no rule allows.
 *
 * `start` also accepts `running`: BullMQ delivers at least once, so a job whose worker lost
 * its lock is handed out again while its row still says `running`.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskTransition, TransitionRule>> = {
  start: { from: [TaskStatus.Pending, TaskStatus.Running], to: TaskStatus.Running },
  complete: { from: [TaskStatus.Running], to: TaskStatus.Completed },
  /** The attempt failed and another follows, or it was interrupted (shutdown, stalled worker). */
  requeue: { from: [TaskStatus.Running], to: TaskStatus.Pending },
  fail: { from: [TaskStatus.Running], to: TaskStatus.Failed },
  /** The queue gave up on a job whose row says it has not started (the reconciler records it). */
  abandon: { from: [TaskStatus.Pending], to: TaskStatus.Failed },
  cancel: { from: [TaskStatus.Pending, TaskStatus.Running], to: TaskStatus.Cancelled },
  /** A user's retry of a finished task (`POST /:task_id/retry`): a new round of attempts. */
  resubmit: { from: [TaskStatus.Failed, TaskStatus.Cancelled], to: TaskStatus.Pending },
};

/** True when some transition of the table moves a task from `from` to `to`. */
export function isAllowedTransition(from: TaskStatus, to: TaskStatus): boolean {
  if (from === to) return true;
  return Object.values(TASK_TRANSITIONS).some(
    (rule) => rule.to === to && rule.from.includes(from),
  );
}

/**
 * True when one row write may move a task from `from` to `to`: one transition, or an attempt's
 * start written together with its outcome (a handler that ended before its `running` was
 * written: `pending -> completed|failed`, or `pending` again for a retry).
 */
export function isAllowedWrite(from: TaskStatus, to: TaskStatus): boolean {
  if (isAllowedTransition(from, to)) return true;
  return TASK_TRANSITIONS.start.from.includes(from) && [TASK_TRANSITIONS.complete, TASK_TRANSITIONS.fail].some((rule) => rule.to === to);
}

/** True for the states a task never leaves on its own. */
export function isFinalStatus(status: TaskStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
