import { TaskStatus } from '../lifecycle/task-status.js';
import type { RowChange } from '../lifecycle/transition-batch.js';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import { groupBy } from '../group-by.js';

type Entry = [taskId: string, change: RowChange];
/** A column's new value for one row, or undefined to leave it. */
type Pick = (change: RowChange) => { value: unknown } | undefined;

const NOW = 'CURRENT_TIMESTAMP(3)';

/** Workflow steps a batch releases (with their input) or holds back: `blocked` and `input` only. */
export interface BlockingWrites {
  unblock: Map<string, unknown>;
  block: Set<string>;
}

/**
 * One `UPDATE` that gives every changed row of a batch its own values
 * (`col = CASE task_id WHEN … THEN … ELSE col END`), so a batch costs one statement; the
 * workflow steps it releases or holds back are written by the same statement. A column that
 * every row of the statement sets to the same value is set without a `CASE` (`status =
 * 'completed'` for a batch of completions): the statement then names each row once or twice
 * rather than once per column, so it is about half as long to build, send and parse.
 * With `expected`, a condition every row must still meet (its SQL and values), the statement is
 * a compare-and-set: a row that does not meet it is left as it is (see fresh-completions.ts).
 */
export function batchUpdateStatement(
  changes: Map<string, RowChange>,
  monotonicNow = performance.now(),
  blocking?: BlockingWrites,
  expected?: [sql: string, values: unknown[]],
): [string, unknown[]] {
  const entries = [...changes.entries()];
  const ids = new Set([...changes.keys(), ...(blocking?.unblock.keys() ?? []), ...(blocking?.block ?? [])]);
  const parameters: unknown[] = [];
  const column = (name: string, pick: Pick, valueSql = '?') => caseOf(entries, parameters, name, pick, valueSql, ids.size);
  const assignments = [
    column('status', (change) => ({ value: change.status })),
    // An attempt's start is back-dated to the handler's start when the worker says when that was
    // (its `running` was written late, or together with its outcome).
    stampOf(entries, parameters, ids.size, 'started_at', (change) => change.started, (change) => change.reopened, (change) =>
      change.values.startedAt === undefined ? undefined : msSince(change.values.startedAt, monotonicNow),
    ),
    stampOf(entries, parameters, ids.size, 'completed_at', (change) => change.finished, (change) => change.reopened),
    column('result', (change) => ('result' in change.values ? { value: toJsonText(change.values.result) } : undefined)),
    column('error_message', (change) => ('errorMessage' in change.values ? { value: change.values.errorMessage ?? null } : undefined)),
    column('retry_count', (change) => (change.values.retryCount !== undefined ? { value: change.values.retryCount } : undefined)),
    column('error_type', (change) => ('errorType' in change.values ? { value: change.values.errorType ?? null } : undefined)),
    column('run_at', (change) => ('runAfterMs' in change.values ? { value: change.values.runAfterMs ?? null } : undefined), `TIMESTAMPADD(MICROSECOND, ? * 1000, ${NOW})`),
    // A user's retry is asked for now: the new round has no expiry.
    column('expires_at', (change) => (change.reopened ? { value: null } : undefined)),
    // Progress belongs to an attempt: a new attempt (or round) starts without one; a completed task is at 100.
    column('progress', (change) => (change.status === TaskStatus.Completed ? { value: 100 } : change.started || change.reopened ? { value: null } : undefined)),
    column('progress_message', (change) => ((change.started || change.reopened) && change.status !== TaskStatus.Completed ? { value: null } : undefined)),
    // The token guards a running attempt's later writes; a row that leaves `running` in this
    // very write (a short task's start and outcome together) has no later write to guard.
    column('attempt_token', (change) => (change.values.attemptToken !== undefined && change.status === TaskStatus.Running ? { value: change.values.attemptToken } : undefined)),
    ...blockingAssignments(blocking, parameters),
  ].filter((assignment): assignment is string => assignment !== undefined);
  parameters.push([...ids]);
  // The rows by their ids only: in a small table the optimizer would rather scan it whole (and
  // lock every row it passes), and with `expected` it may pick the status's index.
  if (expected) parameters.push(...expected[1]);
  const where = expected ? `task_id IN (?) AND ${expected[0]}` : 'task_id IN (?)';
  return [`UPDATE ${BACKGROUND_TASKS_TABLE} FORCE INDEX (idx_task_id) SET ${assignments.join(', ')} WHERE ${where}`, parameters];
}

/** `blocked` and `input` of the steps released (0, their input) and held back (1, NULL). */
function blockingAssignments(blocking: BlockingWrites | undefined, parameters: unknown[]): string[] {
  const entries: Array<[taskId: string, blocked: number, input: string | null]> = [
    ...[...(blocking?.unblock ?? [])].map(([taskId, input]): [string, number, string | null] => [taskId, 0, toJsonText(input)]),
    ...[...(blocking?.block ?? [])].map((taskId): [string, number, string | null] => [taskId, 1, null]),
  ];
  if (entries.length === 0) return [];
  const whens = entries.map(() => 'WHEN ? THEN ?').join(' ');
  parameters.push(...entries.flatMap(([taskId, blocked]) => [taskId, blocked]), ...entries.flatMap(([taskId, , input]) => [taskId, input]));
  return [`blocked = CASE task_id ${whens} ELSE blocked END`, `input = CASE task_id ${whens} ELSE input END`];
}

/**
 * `column = CASE task_id WHEN ? THEN <value> … ELSE column END` over the rows `pick` sets, or
 * `column = <value>` when it sets all `rowCount` rows of the statement to one value.
 */
function caseOf(entries: Entry[], parameters: unknown[], column: string, pick: Pick, valueSql: string, rowCount: number): string | undefined {
  const picked: Array<[taskId: string, value: unknown]> = [];
  for (const [taskId, change] of entries) {
    const value = pick(change);
    if (value) picked.push([taskId, value.value]);
  }
  if (picked.length === 0) return undefined;
  if (picked.length === rowCount && picked.every(([, value]) => value === picked[0][1])) {
    parameters.push(picked[0][1]);
    return `${column} = ${valueSql}`;
  }
  for (const [taskId, value] of picked) parameters.push(taskId, value);
  return `${column} = CASE task_id ${picked.map(() => `WHEN ? THEN ${valueSql}`).join(' ')} ELSE ${column} END`;
}

/** A timestamp column: the database's now for the rows `stamp` names (less `msAgo` where it gives one), NULL for those `clear` names. */
function stampOf(
  entries: Entry[],
  parameters: unknown[],
  rowCount: number,
  column: string,
  stamp: (change: RowChange) => boolean,
  clear: (change: RowChange) => boolean,
  msAgo: (change: RowChange) => number | undefined = () => undefined,
): string | undefined {
  const idsWhere = (test: (change: RowChange) => boolean) => entries.filter(([, change]) => test(change)).map(([taskId]) => taskId);
  const atNow = idsWhere((change) => stamp(change) && msAgo(change) === undefined);
  const cleared = idsWhere(clear);
  // Every row of the statement stamped now, or every row cleared and none stamped: no CASE.
  if (atNow.length === rowCount) return `${column} = ${NOW}`;
  if (cleared.length === rowCount && entries.every(([, change]) => !stamp(change))) return `${column} = NULL`;
  // Rows back-dated by the same whole milliseconds share one branch: a batch of short tasks
  // has a few distinct ages, and MySQL looks a row up in an `IN` list rather than trying one
  // `WHEN` per row of the batch.
  const aged = entries.flatMap(([taskId, change]) => {
    const ago = stamp(change) ? msAgo(change) : undefined;
    return ago === undefined ? [] : [{ taskId, ago }];
  });
  const branches: string[] = [];
  for (const [ago, rows] of groupBy(aged, (row) => row.ago)) {
    parameters.push(rows.map((row) => row.taskId), -ago * 1000);
    branches.push(`WHEN task_id IN (?) THEN TIMESTAMPADD(MICROSECOND, ?, ${NOW})`);
  }
  for (const [ids, valueSql] of [[atNow, NOW], [cleared, 'NULL']] as const) {
    if (ids.length === 0) continue;
    parameters.push(ids);
    branches.push(`WHEN task_id IN (?) THEN ${valueSql}`);
  }
  return branches.length > 0 ? `${column} = CASE ${branches.join(' ')} ELSE ${column} END` : undefined;
}

/** Whole milliseconds from `startedAt` to `now` (both `performance.now()`), never negative. */
export function msSince(startedAt: number, now: number): number {
  return Math.max(0, Math.floor(now - startedAt));
}

/** A JSON column value as text; SQL NULL for no result. */
function toJsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
