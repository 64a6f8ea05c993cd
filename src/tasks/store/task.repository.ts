import { Injectable } from '@nestjs/common';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { InjectTasksDataSource } from './tasks-connection.js';
import type { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { BACKGROUND_TASKS_TABLE, BackgroundTask } from './background-task.entity.js';
import { withLockRetry } from './lock-retry.js';
import { addCounts, countsStatement, rowCountDeltas, TASK_COUNTS_TABLE, type CountedRow } from './task-counts.js';
import { OneTripTransactions } from './one-trip-transactions.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { TaskCursor } from './task-cursor.js';
import { taskRowReader, type TaskRowReader } from './task-row.reader.js';
import { pendingInserts, type KeyedTaskRow, type NewTaskRow } from './pending-insert.js';
import { claimSingletonKeys } from './singleton-keys.js';

/** Filters shared by listing and counting. */
export interface TaskFilter {
  status?: TaskStatus;
  taskType?: string;
  /** The class of the last failure. */
  errorType?: TaskErrorType;
  /** The steps and members of one workflow (its root's id). */
  workflowId?: string;
}

/** A page of the newest-first list: `limit` rows after `offset` rows, or after a cursor. */
export interface TaskPageQuery {
  limit: number;
  offset: number;
  after?: TaskCursor;
}

/** What the reconciler reads of an unfinished row. */
export type UnfinishedRow = Pick<
  BackgroundTask,
  'taskId' | 'taskName' | 'taskType' | 'status' | 'priority' | 'retryCount' | 'maxRetries' | 'params' | 'startedAt' | 'runAt' | 'timeoutSeconds' | 'input' | 'workflowId' | 'expiresAt'
>;

/**
 * From this many rows on, at most {@link LARGE_INSERTS_AT_ONCE} `INSERT`s of new tasks are in
 * flight at once in this process; the others wait for one to commit. Overlapping multi-row
 * `INSERT`s into the table spin on InnoDB's latches. Scratch, bulk calls of 1,000 (batches of
 * 250, four in flight per call), 40,000 tasks, three alternated pairs: two at once 14,738-15,091
 * tasks/s and 16-17 µs of MariaDB CPU per row, against 12,560-14,550 and 20-22 with no limit;
 * one at a time saved as much MariaDB CPU but answered later (13,044-13,688 against
 * 13,460-15,950 tasks/s with two). Smaller batches (single enqueues under load, about 25) are
 * not limited: one at a time they saved nothing (27-28 µs per row either way).
 */
const LARGE_INSERT_FROM = 100;
const LARGE_INSERTS_AT_ONCE = 2;

/** MySQL's "duplicate entry for a unique key" error. */
export function isDuplicateKeyError(error: unknown): boolean {
  const { errno, driverError } = (error ?? {}) as { errno?: number; driverError?: { errno?: number } };
  return (errno ?? driverError?.errno) === 1062;
}

/**
 * Every read of `background_tasks` and every write that is not a status change (inserts of
 * new rows, deletes): the one place, with the state writer, that speaks SQL to the table.
 */
@Injectable()
export class TaskRepository {
  /** Reads list pages as raw rows (see taskRowReader); made from the entity metadata on first use. */
  private rows?: TaskRowReader;
  /** Large `INSERT`s of new tasks in flight at once (see LARGE_INSERT_FROM). */
  private readonly largeInserts = new ConcurrencyLimit(LARGE_INSERTS_AT_ONCE);

  constructor(
    @InjectTasksDataSource() private readonly dataSource: DataSource,
    private readonly oneTrip: OneTripTransactions,
  ) {}

  findById(taskId: string): Promise<BackgroundTask | null> {
    return this.dataSource.getRepository(BackgroundTask).findOneBy({ taskId });
  }

  /** The rows of these task ids that exist (one read by the unique index). */
  findByIds(taskIds: string[]): Promise<BackgroundTask[]> {
    return this.dataSource.getRepository(BackgroundTask).findBy({ taskId: In(taskIds) });
  }

  /** The tasks these idempotency keys name, by key (one read by the unique index). */
  async findByIdempotencyKeys(keys: string[]): Promise<Map<string, BackgroundTask>> {
    const rows = await this.dataSource.getRepository(BackgroundTask).findBy({ idempotencyKey: In(keys) });
    return new Map(rows.map((row) => [row.idempotencyKey!, row]));
  }

  /** A page of rows matching the filter, newest first (`created_at DESC, id DESC`). */
  async listPage(filter: TaskFilter, page: TaskPageQuery): Promise<BackgroundTask[]> {
    const [sql, parameters] = this.listPageStatement(filter, page);
    const rows: Record<string, unknown>[] = await this.dataSource.query(sql, parameters);
    return rows.map((row) => this.rows!.toTask(row));
  }

  /** The statement `listPage` runs (the index tests EXPLAIN it). */
  listPageStatement(filter: TaskFilter, page: TaskPageQuery): [string, unknown[]] {
    // With a failure class, `error_status` is the status (and what its index holds).
    const { where, parameters } = whereOf(filter, filter.errorType ? 'error_status' : 'status');
    if (page.after) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      parameters.push(page.after.createdAt, page.after.createdAt, page.after.id);
    }
    // A failure class is rare among all rows, so its index is the one to walk in created order;
    // left to itself the optimizer may walk a status index and filter out nearly every row.
    const index = filter.workflowId !== undefined ? ' USE INDEX (idx_workflow_created)'
      : filter.errorType ? ` USE INDEX (${filter.status ? 'idx_error_type_status_created' : 'idx_error_type_created'})` : '';
    this.rows ??= taskRowReader(this.dataSource);
    const order = ' ORDER BY created_at DESC, id DESC';
    if (page.after || page.offset === 0) return [`${this.rows.selectFrom}${index}${whereClause(where)}${order} LIMIT ?`, [...parameters, page.limit]];
    // Past an offset, the ids first, from the index alone, then their rows: the skipped rows are
    // index entries, not whole rows (at offset 10,000 of 1M rows MariaDB chose a sort of the
    // whole table instead: 0.40 s against 0.01 s).
    const ids = `SELECT id FROM ${BACKGROUND_TASKS_TABLE}${index}${whereClause(where)}${order} LIMIT ? OFFSET ?`;
    return [`${this.rows.selectFrom} JOIN (${ids}) page USING (id)${order}`, [...parameters, page.limit, page.offset]];
  }

  /**
   * Exact counts from `background_task_counts`: a sum over at most 16 slots per
   * (type, status, error class), whatever the size of the table.
   */
  async count(filter: TaskFilter): Promise<number> {
    const { where, parameters } = whereOf(filter);
    // A workflow's rows are counted where they are, on idx_workflow_created (a workflow holds at most a few thousand).
    if (filter.workflowId !== undefined) {
      const [row]: { total: string | number }[] = await this.dataSource.query(`SELECT COUNT(*) AS total FROM ${BACKGROUND_TASKS_TABLE}${whereClause(where)}`, parameters);
      return Number(row.total);
    }
    const [row]: { total: string | number | null }[] = await this.dataSource.query(
      `SELECT SUM(count) AS total FROM ${TASK_COUNTS_TABLE}${whereClause(where)}`,
      parameters,
    );
    return Number(row?.total ?? 0);
  }

  /**
   * One multi-row INSERT of `pending` rows (a few when their params outweigh one statement, see
   * pendingInserts) and their counts, in one transaction sent as one round trip (see
   * OneTripTransactions); `run_at` is computed by the database so that its
   * clock alone stamps rows. Run again when a concurrent batch made it a deadlock victim. A large
   * one may wait for another large one to commit (LARGE_INSERT_FROM). With `manager`, both go
   * into the caller's open transaction instead (and a deadlock is the caller's to retry, as for
   * its own statements).
   */
  async insertPending(tasks: NewTaskRow[], manager?: EntityManager): Promise<void> {
    const inserts = pendingInserts(tasks);
    const deltas = rowCountDeltas(tasks.map((task) => ({ task_type: task.taskType, status: TaskStatus.Pending, error_type: null })), 1);
    if (manager) {
      for (const [sql, parameters] of inserts) await manager.query(sql, parameters);
      await addCounts((statement, values) => manager.query(statement, values), deltas);
      return;
    }
    // Params heavier than one statement may carry (a large workflow): one round trip per INSERT.
    const inChunks = () => this.oneTrip.transaction(async (tx) => {
      for (const [sql, parameters] of inserts) await tx.query(sql, parameters);
      tx.defer(...countsStatement(deltas));
    });
    const insert = () => withLockRetry(() => (inserts.length === 1 ? this.oneTrip.run([inserts[0], countsStatement(deltas)]) : inChunks()));
    await (tasks.length >= LARGE_INSERT_FROM ? this.largeInserts.run(insert) : insert());
  }

  /**
   * Inserts the tasks that take their singleton keys (one task per key); a key that an unfinished
   * task holds is not taken, its task is not written, and the holder's row is answered by key.
   * One transaction, run again on a lock conflict; with `manager`, the caller's (and a conflict
   * is the caller's to retry).
   */
  async insertSingletons(tasks: KeyedTaskRow[], manager?: EntityManager): Promise<Map<string, BackgroundTask>> {
    const claim = async (tx: EntityManager): Promise<Map<string, BackgroundTask>> => {
      const holders = await claimSingletonKeys((sql, parameters) => tx.query(sql, parameters), tasks.map((task) => ({ key: task.singletonKey, taskId: task.taskId })));
      const free = tasks.filter((task) => !holders.has(task.singletonKey));
      if (free.length > 0) await this.insertPending(free, tx);
      if (holders.size === 0) return new Map();
      // A holder cannot go meanwhile: deleting a task also deletes its key's row, which this transaction has locked.
      const rows = new Map((await tx.getRepository(BackgroundTask).findBy({ taskId: In([...holders.values()]) })).map((row) => [row.taskId, row]));
      return new Map([...holders].map(([key, taskId]) => [key, rows.get(taskId)!]));
    };
    return manager ? claim(manager) : withLockRetry(() => this.dataSource.transaction(claim));
  }

  /** Which of these tasks have `status` (one read by the unique task id index). */
  async withStatusAmong(taskIds: string[], status: TaskStatus): Promise<string[]> {
    const sql = `SELECT task_id FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) AND status = ?`;
    const rows: Array<{ task_id: string }> = await this.dataSource.query(sql, [taskIds, status]);
    return rows.map((row) => row.task_id);
  }

  /** The task with this idempotency key as `manager`'s transaction sees it. */
  findByIdempotencyKeyIn(manager: EntityManager, key: string): Promise<BackgroundTask | null> {
    return manager.getRepository(BackgroundTask).findOneBy({ idempotencyKey: key });
  }

  /**
   * Unfinished rows untouched for `minAgeMs` (since created, or since started when running),
   * oldest first: tasks that should have a job. Not the workflow rows (no job of their own) nor
   * steps still waiting for their predecessors.
   */
  findUnfinishedOlderThan(minAgeMs: number, limit: number): Promise<UnfinishedRow[]> {
    return this.dataSource
      .getRepository(BackgroundTask)
      .createQueryBuilder('task')
      .select(['task.taskId', 'task.taskName', 'task.taskType', 'task.status', 'task.priority', 'task.retryCount', 'task.maxRetries', 'task.params', 'task.startedAt', 'task.runAt', 'task.timeoutSeconds', 'task.input', 'task.workflowId', 'task.expiresAt'])
      .where('task.status IN (:...unfinished)', { unfinished: [TaskStatus.Pending, TaskStatus.Running] })
      .andWhere('task.blocked = 0 AND task.task_type <> :workflow', { workflow: WORKFLOW_TASK_TYPE })
      .andWhere('COALESCE(task.started_at, task.created_at) < NOW(3) - INTERVAL :grace MICROSECOND', { grace: minAgeMs * 1000 })
      .orderBy('task.id')
      .limit(limit)
      .getMany();
  }

  /**
   * Rebuilds `background_task_counts` from the rows, in one transaction: what makes the counts
   * exact again after writes the library did not make (plain SQL, a host's own TypeORM writes).
   * Transitions the library writes meanwhile wait for it; returns the number of rows counted.
   */
  async recount(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // Locks the rows, so no library write can slip between the count and the swap.
      const groups: (Omit<CountedRow, 'task_id'> & { n: string })[] = await manager.query(
        `SELECT task_type, status, error_type, COUNT(*) AS n FROM ${BACKGROUND_TASKS_TABLE} GROUP BY task_type, status, error_type LOCK IN SHARE MODE`,
      );
      await manager.query(`DELETE FROM ${TASK_COUNTS_TABLE}`);
      const deltas = groups.map((group) => [group.task_type, group.status, group.error_type ?? '', 0, Number(group.n)]);
      await addCounts((sql, parameters) => manager.query(sql, parameters), deltas);
      return deltas.reduce((sum, row) => sum + (row[4] as number), 0);
    });
  }

}

/**
 * The filter as SQL conditions; the same columns exist in the task and counter tables (but
 * `workflow_id` and `error_status`, which only the task table has).
 */
function whereOf(filter: TaskFilter, statusColumn = 'status'): { where: string[]; parameters: unknown[] } {
  const conditions = [
    [statusColumn, filter.status],
    ['task_type', filter.taskType],
    ['error_type', filter.errorType],
    ['workflow_id', filter.workflowId],
  ].filter(([, value]) => value !== undefined);
  return { where: conditions.map(([column]) => `${column} = ?`), parameters: conditions.map(([, value]) => value) };
}

function whereClause(where: string[]): string {
  return where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
}
