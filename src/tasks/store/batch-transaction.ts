import { applyTransitions, type RowState, type TransitionRequest } from '../lifecycle/transition-batch.js';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import { committedChanges, finishedTasks, type CommittedChange, type LockedRow } from './committed-change.js';
import type { LostAnswers } from './lost-answers.js';
import type { TransactionQueries } from './one-trip-transactions.js';
import { countDeltas, countsStatement } from './task-counts.js';
import { statsDeltas, statsStatement } from './task-stats.js';
import { batchUpdateStatement } from './task-update.statement.js';
import { cascadeWorkflows, type DispatchedStep } from './workflow-cascade.js';

/** What a batch's transaction did: each request's outcome, the rows it changed, the workflow steps it released. */
export interface BatchOutcome {
  outcomes: boolean[];
  committed: CommittedChange[];
  dispatched: DispatchedStep[];
}

/**
 * The state writer's transaction for a batch of transitions (see TaskStateWriter). Two round
 * trips for a batch of plain tasks: the locking read (with `START TRANSACTION`), then the
 * UPDATE, counts and stats with the `COMMIT`; a workflow's cascade reads in between (`peek`,
 * outside the transaction). The changes it reports include those that a commit whose answer was
 * lost made, revealed by its requests coming again (see LostAnswers).
 */
export async function transitionBatch(
  tx: TransactionQueries,
  batch: TransitionRequest[],
  lostAnswers: LostAnswers,
  peek: (sql: string, parameters: unknown[]) => Promise<Array<{ task_id: string }>>,
): Promise<BatchOutcome> {
  const ids = [...new Set(batch.map((request) => request.taskId))].sort();
  const locked: Array<LockedRow & { workflow_id: string | null; parent_id: string | null }> = await tx.query(
    `SELECT task_id, task_type, task_name, status, error_type, started_at, attempt_token, workflow_id, parent_id, NOW(3) AS now
       FROM ${BACKGROUND_TASKS_TABLE} FORCE INDEX (idx_task_id) WHERE task_id IN (?) ORDER BY task_id FOR UPDATE`,
    [ids],
  );
  const rows = new Map<string, RowState>(locked.map((row) => [row.task_id, { status: row.status, startedAt: row.started_at, attemptToken: row.attempt_token }]));
  const { outcomes, changes } = applyTransitions(batch, rows);
  const revealed = lostAnswers.revealedBy(batch, outcomes, locked);
  if (changes.size === 0) return { outcomes, committed: revealed, dispatched: [] };
  // What the changes mean for their workflows: more rows change, steps are released.
  const cascade = await cascadeWorkflows(tx, locked, changes, peek);
  const all: LockedRow[] = [...locked, ...cascade.rows];
  const monotonicNow = performance.now();
  tx.defer(...batchUpdateStatement(changes, monotonicNow, cascade.blocking));
  const counts = countDeltas(all, changes);
  if (counts.length > 0) tx.defer(...countsStatement(counts));
  const committed = committedChanges(all, changes);
  const stats = statsDeltas(finishedTasks(all, committed, changes, monotonicNow), locked[0].now);
  if (stats.length > 0) tx.defer(...statsStatement(stats));
  return { outcomes, committed: [...committed, ...revealed], dispatched: cascade.dispatched };
}
