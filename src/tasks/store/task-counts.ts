import type { TaskErrorType } from '../failures/task-error-type.js';
import type { TaskStatus } from '../lifecycle/task-status.js';
import type { RowChange } from '../lifecycle/transition-batch.js';

/** Exact counts of `background_tasks` by (task type, status, error class), kept in step with every write. */
export const TASK_COUNTS_TABLE = 'background_task_counts';

/**
 * Counter rows per (type, status, error class). Part of the schema (the migrations hash a
 * task id into one of them): changing it needs a migration that rebuilds the counters.
 */
export const TASK_COUNT_SLOTS = 16;

/** What a batch knows of a row before it changes it. */
export interface CountedRow {
  task_id: string;
  task_type: string;
  status: TaskStatus;
  error_type: TaskErrorType | null;
}

/**
 * The net change of the counts that a batch makes, as rows for `background_task_counts`
 * (`''`: no failure). Counts are sums over slots, so a batch may put its delta in any slot;
 * a random one keeps concurrent batches off each other's counter rows.
 */
export function countDeltas(rows: CountedRow[], changes: Map<string, RowChange>): unknown[][] {
  const net = new Map<string, number>();
  const add = (key: string[], delta: number) => {
    const joined = key.join('\u0000');
    net.set(joined, (net.get(joined) ?? 0) + delta);
  };
  for (const row of rows) {
    const change = changes.get(row.task_id);
    if (!change) continue;
    const oldErrorType = row.error_type ?? '';
    const newErrorType = 'errorType' in change.values ? (change.values.errorType ?? '') : oldErrorType;
    if (change.status === row.status && newErrorType === oldErrorType) continue;
    add([row.task_type, row.status, oldErrorType], -1);
    add([row.task_type, change.status, newErrorType], +1);
  }
  const slot = Math.floor(Math.random() * TASK_COUNT_SLOTS);
  return [...net].filter(([, delta]) => delta !== 0).map(([key, delta]) => [...key.split('\u0000'), slot, delta]);
}
