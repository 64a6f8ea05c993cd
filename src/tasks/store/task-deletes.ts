import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import { FINAL_STATUSES } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { BACKGROUND_TASKS_TABLE } from './background-task.entity.js';
import { withLockRetry } from './lock-retry.js';
import { releaseKeysStatement } from './singleton-keys.js';
import { addCounts, rowCountDeltas, type CountedRow } from './task-counts.js';

/** Every delete of `background_tasks`, each with its counts in the same transaction: refused enqueues, refused workflows, retention. */
@Injectable()
export class TaskDeletes {
  constructor(@InjectTasksDataSource() private readonly dataSource: DataSource) {}

  /** Deletes rows that are still `pending` (tasks whose job Redis refused), and their counts. */
  async deletePending(taskIds: string[]): Promise<void> {
    await this.deleteCounted(`task_id IN (?) AND status = 'pending'`, [taskIds]);
  }

  /**
   * Deletes the rows of tasks whose callers were told they were not enqueued (see
   * RetractedTasks): only those still `pending`, with no idempotency or singleton key, created
   * less than `maxAgeMs` ago by the database's clock, which the reconciler (it takes rows at
   * least that old) cannot have queued yet. Returns how many went.
   */
  async deleteRetracted(taskIds: string[], maxAgeMs: number): Promise<number> {
    const retracted = `status = 'pending' AND idempotency_key IS NULL AND singleton_key IS NULL AND created_at > NOW(3) - INTERVAL ? MICROSECOND`;
    const ageMicros = Math.round(maxAgeMs * 1000);
    // A plain read first: most of these rows were never written, and a locking read of missing
    // ids would lock the gaps of the task id index, where new tasks go.
    const found: Array<{ task_id: string }> = await this.dataSource.query(
      `SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) AND ${retracted}`,
      [taskIds, ageMicros],
    );
    if (found.length === 0) return 0;
    return this.deleteCounted(`task_id IN (?) AND ${retracted}`, [found.map((row) => row.task_id), ageMicros]);
  }

  /**
   * Deletes a finished task, or a workflow whole by its root's id, in one transaction, unless a
   * row of it is unfinished (then nothing); how many rows went.
   */
  deleteFinished(taskId: string): Promise<number> {
    return this.deleteCounted('task_id = ? OR workflow_id = ?', [taskId, taskId], allFinished);
  }

  /** Deletes a workflow that could not start (Redis refused its first jobs): every row, while still pending. */
  async deleteWorkflow(workflowId: string): Promise<void> {
    await this.deleteCounted(`(task_id = ? OR workflow_id = ?) AND status = 'pending'`, [workflowId, workflowId]);
  }

  /**
   * Deletes finished rows (completed, failed, cancelled) that finished more than `maxAgeMs`
   * ago, `batchSize` rows per statement (oldest first, along `idx_created`), so a purge never
   * holds many locks at once; returns how many went. Unfinished rows are never touched.
   */
  async purgeFinished(maxAgeMs: number, batchSize: number): Promise<number> {
    const ageMicros = Math.round(maxAgeMs * 1000);
    let deleted = 0;
    for (;;) {
      // A row finishes after it is created, so `created_at` bounds the scan to old rows.
      const batch = await this.deleteCounted(
        `created_at < NOW(3) - INTERVAL ? MICROSECOND AND status IN (?) AND workflow_id IS NULL AND task_type <> ?
           AND COALESCE(completed_at, created_at) < NOW(3) - INTERVAL ? MICROSECOND ORDER BY created_at LIMIT ?`,
        [ageMicros, FINAL_STATUSES, WORKFLOW_TASK_TYPE, ageMicros, batchSize],
      );
      deleted += batch;
      if (batch < batchSize) return deleted + (await this.purgeWorkflows(ageMicros, batchSize));
    }
  }

  /**
   * Workflows go whole, once the workflow itself finished long enough ago and no task of it is
   * unfinished (its error callback may still run, or a retry have reopened a step): never a row
   * of one still at work.
   */
  private async purgeWorkflows(ageMicros: number, batchSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const roots: { task_id: string }[] = await this.dataSource.query(
        `SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} AS root WHERE task_type = ? AND parent_id IS NULL AND status IN (?)
           AND created_at < NOW(3) - INTERVAL ? MICROSECOND AND COALESCE(completed_at, created_at) < NOW(3) - INTERVAL ? MICROSECOND
           AND NOT EXISTS (SELECT 1 FROM ${BACKGROUND_TASKS_TABLE} AS task WHERE task.workflow_id = root.task_id AND task.status IN ('pending', 'running')) LIMIT ?`,
        [WORKFLOW_TASK_TYPE, FINAL_STATUSES, ageMicros, ageMicros, Math.max(1, Math.floor(batchSize / 100))],
      );
      if (roots.length === 0) return deleted;
      const ids = roots.map((root) => root.task_id);
      deleted += await this.deleteCounted('task_id IN (?) OR workflow_id IN (?)', [ids, ids], allFinished);
    }
  }

  /** Deletes the rows `where` selects (if `admits` them all) and takes them off the counts, in one transaction; returns how many. */
  private deleteCounted(where: string, parameters: unknown[], admits: (rows: CountedRow[]) => boolean = () => true): Promise<number> {
    return withLockRetry(() =>
      this.dataSource.transaction(async (manager) => {
        const rows: (CountedRow & { id: number })[] = await manager.query(
          `SELECT id, task_id, task_type, status, error_type FROM ${BACKGROUND_TASKS_TABLE} WHERE ${where} FOR UPDATE`,
          parameters,
        );
        if (rows.length === 0 || !admits(rows)) return 0;
        await manager.query(`DELETE FROM ${BACKGROUND_TASKS_TABLE} WHERE id IN (?)`, [rows.map((row) => row.id)]);
        await manager.query(...releaseKeysStatement(rows.map((row) => row.task_id)));
        await addCounts((sql, values) => manager.query(sql, values), rowCountDeltas(rows, -1));
        return rows.length;
      }),
    );
  }
}

/** True when every row is completed, failed or cancelled. */
function allFinished(rows: CountedRow[]): boolean {
  return rows.every((row) => FINAL_STATUSES.includes(row.status));
}
