import type { TaskErrorType } from '../failures/task-error-type.js';
import type { TaskStatus } from '../lifecycle/task-status.js';
import type { RowChange } from '../lifecycle/transition-batch.js';

/**
 * Exact counts of `background_tasks` by (task type, status, error class). The library keeps
 * them in step itself, in the same transaction as each of its writes (inserts, status changes,
 * deletes): no trigger, so no SUPER privilege is needed on servers with binary logging.
 * Writes a host makes to the table itself are not counted until `recount()`.
 */
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
  return deltaRows(net);
}

/** The counts that inserting (`sign` 1) or deleting (`sign` -1) these rows adds. */
export function rowCountDeltas(rows: Omit<CountedRow, 'task_id'>[], sign: 1 | -1): unknown[][] {
  const net = new Map<string, number>();
  for (const row of rows) {
    const key = [row.task_type, row.status, row.error_type ?? ''].join('\u0000');
    net.set(key, (net.get(key) ?? 0) + sign);
  }
  return deltaRows(net);
}

/** Net deltas as counter rows `[type, status, error class, slot, delta]`, all in one random slot. */
function deltaRows(net: Map<string, number>): unknown[][] {
  const slot = Math.floor(Math.random() * TASK_COUNT_SLOTS);
  return [...net].filter(([, delta]) => delta !== 0).map(([key, delta]) => [...key.split('\u0000'), slot, delta]);
}

/**
 * The statement that adds deltas to the counter rows. Each row's increment is picked by a CASE
 * on the existing row's key rather than `VALUES(count)`, which MySQL 8 deprecates and the
 * row-alias form that replaces it, which MariaDB lacks. Deltas must not be empty.
 */
export function countsStatement(deltas: unknown[][]): [string, unknown[]] {
  const values = deltas.map(() => '(?, ?, ?, ?, ?)').join(', ');
  const cases = deltas.map(() => 'WHEN task_type = ? AND status = ? AND error_type = ? AND slot = ? THEN ?').join(' ');
  return [
    `INSERT INTO ${TASK_COUNTS_TABLE} (task_type, status, error_type, slot, count) VALUES ${values}
     ON DUPLICATE KEY UPDATE count = count + CASE ${cases} ELSE 0 END`,
    [...deltas.flat(), ...deltas.flat()],
  ];
}

/** Adds deltas to the counter rows in one statement (see countsStatement); none, no statement. */
export async function addCounts(query: (sql: string, parameters: unknown[]) => Promise<unknown>, deltas: unknown[][]): Promise<void> {
  if (deltas.length === 0) return;
  await query(...countsStatement(deltas));
}
