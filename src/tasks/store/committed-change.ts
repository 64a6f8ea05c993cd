import type { TaskErrorType } from '../failures/task-error-type.js';
import { FINAL_STATUSES, TaskStatus } from '../lifecycle/task-status.js';
import type { RowChange } from '../lifecycle/transition-batch.js';
import type { CountedRow } from './task-counts.js';
import type { FinishedTask } from './task-stats.js';
import { msSince } from './task-update.statement.js';

/** A row's status or progress as a committed write left it (what live events and metrics see). */
export interface CommittedChange {
  /** A status change (a transition), or a progress report of a running attempt. */
  kind: 'status' | 'progress';
  taskId: string;
  taskType: string;
  taskName: string;
  status: TaskStatus;
  errorType: TaskErrorType | null;
  /** Set by progress reports (and 100 on completion). */
  progress?: number;
  progressMessage?: string | null;
}

/** Told of every committed batch: its changes and how long its requests waited for the commit. */
export interface CommitListener {
  (changes: CommittedChange[], waitedMs: number[]): void;
}

/** A row as a transition batch reads it under its lock. */
export interface LockedRow extends CountedRow {
  task_name: string;
  started_at: Date | null;
  attempt_token: string | null;
  /** The database's clock when the batch read the row. */
  now: Date;
}

/** The rows whose status or error class a batch changed, as they are after it. */
export function committedChanges(locked: LockedRow[], changes: Map<string, RowChange>): CommittedChange[] {
  return locked.flatMap((row) => {
    const change = changes.get(row.task_id);
    if (!change) return [];
    const errorType = 'errorType' in change.values ? (change.values.errorType ?? null) : row.error_type;
    const progress = change.status === TaskStatus.Completed ? { progress: 100 } : {};
    return [{ kind: 'status' as const, taskId: row.task_id, taskType: row.task_type, taskName: row.task_name, status: change.status, errorType, ...progress }];
  });
}

/** The committed changes that finished a task (the stats summary counts those). */
export function finishedTasks(locked: LockedRow[], committed: CommittedChange[], changes: Map<string, RowChange>, monotonicNow: number): FinishedTask[] {
  const byId = new Map(locked.map((row) => [row.task_id, row]));
  return committed
    .filter((change) => FINAL_STATUSES.includes(change.status) && byId.get(change.taskId)!.status !== change.status)
    .map((change) => {
      const row = byId.get(change.taskId)!;
      const { started, values } = changes.get(change.taskId)!;
      // An attempt that started in this very batch started now, or when its handler started.
      const msAgo = values.startedAt === undefined ? 0 : msSince(values.startedAt, monotonicNow);
      return { ...change, startedAt: started ? new Date(row.now.getTime() - msAgo) : row.started_at };
    });
}
