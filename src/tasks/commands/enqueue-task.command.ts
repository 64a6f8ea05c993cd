import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BACKGROUND_TASKS_TABLE } from '../store/background-task.entity.js';
import { TasksUnavailableError } from '../errors/tasks.errors.js';
import type { EnqueuedTask } from '../interfaces/tasks-service.interfaces.js';
import { isDatabaseUnavailable } from '../store/database-health.js';
import { GroupCommitQueue } from '../store/group-commit.queue.js';
import { TaskJobScheduler, type NewJob } from '../queue/task-jobs.js';

/** Most tasks in one INSERT (a whole bulk call), and batches in flight at once. */
const MAX_BATCH = 1000;
const MAX_CONCURRENT_BATCHES = 4;

/** A validated task ready to be recorded and queued. */
export interface NewTask extends Omit<EnqueuedTask, 'created'> {
  params: Record<string, unknown>;
  /** Wait before the first attempt (a delayed task); the row's `run_at` is the database's now plus this. */
  delayMs?: number;
  timeoutSeconds?: number;
  idempotencyKey?: string;
}

/** MySQL's "duplicate entry for a unique key" error. */
export function isDuplicateKeyError(error: unknown): boolean {
  const { errno, driverError } = (error ?? {}) as { errno?: number; driverError?: { errno?: number } };
  return (errno ?? driverError?.errno) === 1062;
}

/**
 * Records tasks and queues their jobs, in that order (the row is the outbox), group-committed:
 * the tasks submitted while a batch is being written go out together as one multi-row
 * `INSERT` (one commit) and one `addBulk` per queue. A task resolves once its row and its job
 * exist. When Redis refuses the jobs, their rows are deleted again and the callers get
 * {@link TasksUnavailableError}, so nothing is left half-created.
 */
@Injectable()
export class TaskEnqueuer {
  private readonly logger = new Logger('TasksService');
  private readonly batches = new GroupCommitQueue<NewTask, void>((tasks) => this.writeBatch(tasks), MAX_BATCH, MAX_CONCURRENT_BATCHES);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: TaskJobScheduler,
  ) {}

  /** Resolves once the task's row and job exist; rejects with TasksUnavailableError otherwise. */
  submit(task: NewTask): Promise<void> {
    return this.batches.submit(task);
  }

  /**
   * Like {@link submit}, in an INSERT of its own: a task with an idempotency key may collide
   * with an existing row (a duplicate-key error, see {@link isDuplicateKeyError}), which must not
   * fail the other tasks of a batch.
   */
  async submitAlone(task: NewTask): Promise<void> {
    await this.writeBatch([task]);
  }

  private async writeBatch(tasks: NewTask[]): Promise<void[]> {
    try {
      await this.insertRows(tasks);
    } catch (error) {
      throw isDatabaseUnavailable(error) ? new TasksUnavailableError('MySQL') : error;
    }
    try {
      await this.jobs.addMany(tasks.map((task): NewJob => ({ task, attempts: task.maxRetries + 1, delayMs: task.delayMs })));
    } catch (error) {
      this.logger.warn(`Enqueue of ${tasks.length} task(s) refused by Redis: ${(error as Error).message}`);
      await this.deleteRows(tasks).catch((cleanup: Error) => {
        // The rows stay pending without jobs: the reconciler will queue them.
        this.logger.warn(`Rows of refused tasks kept for the reconciler: ${cleanup.message}`);
      });
      throw new TasksUnavailableError('Redis');
    }
    return tasks.map(() => undefined);
  }

  /** One multi-row INSERT; `run_at` is computed by the database so that its clock alone stamps rows. */
  private insertRows(tasks: NewTask[]): Promise<unknown> {
    const parameters = tasks.flatMap((task) => [
      task.taskId, task.taskName, task.taskType, task.priority, JSON.stringify(task.params), task.maxRetries,
      task.delayMs ? Math.round(task.delayMs) : null, task.timeoutSeconds ?? null, task.idempotencyKey ?? null,
    ]);
    const row = "(?, ?, ?, ?, 'pending', ?, ?, TIMESTAMPADD(MICROSECOND, ? * 1000, CURRENT_TIMESTAMP(3)), ?, ?)";
    return this.dataSource.query(
      `INSERT INTO ${BACKGROUND_TASKS_TABLE}
         (task_id, task_name, task_type, priority, status, params, max_retries, run_at, timeout_seconds, idempotency_key)
       VALUES ${tasks.map(() => row).join(', ')}`,
      parameters,
    );
  }

  private deleteRows(tasks: NewTask[]): Promise<unknown> {
    return this.dataSource.query(`DELETE FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) AND status = 'pending'`, [
      tasks.map((task) => task.taskId),
    ]);
  }
}
