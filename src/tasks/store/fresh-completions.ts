import { TaskStatus } from '../lifecycle/task-status.js';
import { applyTransitions, isUnwrittenStart, type RowState, type TransitionRequest } from '../lifecycle/transition-batch.js';
import { groupBy } from '../group-by.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { committedChanges, finishedTasks, type CommittedChange, type LockedRow } from './committed-change.js';
import type { OneTripTransactions } from './one-trip-transactions.js';
import { countDeltas, countsStatement } from './task-counts.js';
import { statsDeltas, statsStatement } from './task-stats.js';
import { batchUpdateStatement } from './task-update.statement.js';

/**
 * What a worker knows of a task whose handler succeeded on its job's first delivery, before its
 * `running` was written: its type (its queue's, as configured in this process) and name (its
 * job's, which is the row's). The row should then still be as its enqueue left it: `pending`,
 * no failure class, outside any workflow, of that type. The state writer checks that rather
 * than reading the row first (see {@link writeFreshCompletions}).
 */
export interface FreshTask {
  taskType: string;
  taskName: string;
}

/** A request of the state writer that may carry what its worker knows of the task. */
export type FreshRequest = TransitionRequest & { fresh?: FreshTask };

/**
 * What every row of a fresh completion must still be, checked by the `UPDATE` itself. The type
 * too: a queue given another task type by a deploy would otherwise count its rows under the new one.
 */
const AS_ENQUEUED = `task_type = ? AND status = '${TaskStatus.Pending}' AND error_type IS NULL AND workflow_id IS NULL AND parent_id IS NULL`;

/** A row of the batch was not as assumed: the transaction rolls back. */
class NotAsAssumed extends Error {}

/**
 * True when every request of the batch completes a fresh task (its start and outcome in one
 * write, see AttemptStart), each task once: the batches of short tasks under load.
 */
export function isFreshCompletionBatch(batch: readonly FreshRequest[]): batch is Array<FreshRequest & { fresh: FreshTask }> {
  const ids = new Set<string>();
  for (const request of batch) {
    const { transition, guard, fresh, taskId } = request;
    if (transition !== 'complete' || !fresh || fresh.taskType === WORKFLOW_TASK_TYPE || !isUnwrittenStart(guard)) return false;
    if (ids.has(taskId)) return false;
    ids.add(taskId);
  }
  return true;
}

/**
 * Writes a batch of fresh completions as an optimistic compare-and-set instead of the state
 * writer's locking read: the `UPDATE` names what each row must still be ({@link AS_ENQUEUED}),
 * `ROW_COUNT()` says whether every row was, and the counts and stats, worked out from the rows
 * as assumed, go with the `COMMIT`. Two round trips, as the locking way, minus its read: MySQL
 * looks up each row once instead of twice, and Node parses no rows. Null when a row was not as
 * assumed (a cancel or another attempt got there first): the transaction is rolled back, nothing
 * is written, and the caller writes the batch the locking way, which gives each request its outcome.
 */
export async function writeFreshCompletions(
  oneTrip: OneTripTransactions,
  batch: Array<FreshRequest & { fresh: FreshTask }>,
): Promise<{ outcomes: boolean[]; committed: CommittedChange[] } | null> {
  const assumed = new Map<string, RowState>(batch.map(({ taskId }) => [taskId, { status: TaskStatus.Pending, startedAt: null, attemptToken: null }]));
  const { outcomes, changes } = applyTransitions(batch, assumed);
  const monotonicNow = performance.now();
  try {
    return await oneTrip.transaction(async (tx) => {
      // One `UPDATE` per task type (a batch mostly has one), their rows summed as they go.
      for (const [index, [taskType, requests]] of [...groupBy(batch, (request) => request.fresh.taskType)].entries()) {
        const ofType = new Map(requests.map(({ taskId }) => [taskId, changes.get(taskId)!]));
        tx.defer(...batchUpdateStatement(ofType, monotonicNow, undefined, [AS_ENQUEUED, [taskType]]));
        tx.defer(index === 0 ? 'SET @fresh_rows = ROW_COUNT()' : 'SET @fresh_rows = @fresh_rows + ROW_COUNT()', []);
      }
      const [{ now, matched }]: Array<{ now: Date; matched: number }> = await tx.query('SELECT NOW(3) AS now, @fresh_rows AS matched');
      if (Number(matched) !== batch.length) throw new NotAsAssumed();
      const rows: LockedRow[] = batch.map(({ taskId, fresh }) => ({
        task_id: taskId, task_type: fresh.taskType, task_name: fresh.taskName, status: TaskStatus.Pending, error_type: null, started_at: null, attempt_token: null, now,
      }));
      tx.defer(...countsStatement(countDeltas(rows, changes)));
      const committed = committedChanges(rows, changes);
      tx.defer(...statsStatement(statsDeltas(finishedTasks(rows, committed, changes, monotonicNow), now)));
      return { outcomes, committed };
    });
  } catch (error) {
    if (error instanceof NotAsAssumed) return null;
    throw error;
  }
}
