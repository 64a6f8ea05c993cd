import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BACKGROUND_TASKS_TABLE } from '../background-task.entity.js';
import { TasksUnavailableError } from '../tasks.errors.js';
import type { EnqueuedTask } from '../tasks.types.js';
import { isDatabaseUnavailable } from './database-health.js';
import { GroupCommitQueue } from './group-commit.queue.js';
import { TaskJobScheduler, type NewJob } from './task-job.scheduler.js';

/** Most tasks in one INSERT (a whole bulk call), and batches in flight at once. */
const MAX_BATCH = 1000;
const MAX_CONCURRENT_BATCHES = 4;

/** A validated task ready to be recorded and queued. */
export interface NewTask extends EnqueuedTask {
  params: Record<string, unknown>;
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

  private async writeBatch(tasks: NewTask[]): Promise<void[]> {
    try {
      await this.insertRows(tasks);
    } catch (error) {
      throw isDatabaseUnavailable(error) ? new TasksUnavailableError('MySQL') : error;
    }
    try {
      await this.jobs.addMany(tasks.map((task): NewJob => ({ task, attempts: task.maxRetries + 1 })));
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

  private insertRows(tasks: NewTask[]): Promise<unknown> {
    const rows = tasks.map((task) => [
      task.taskId, task.taskName, task.taskType, task.priority, 'pending', JSON.stringify(task.params), task.maxRetries,
    ]);
    return this.dataSource.query(
      `INSERT INTO ${BACKGROUND_TASKS_TABLE} (task_id, task_name, task_type, priority, status, params, max_retries) VALUES ?`,
      [rows],
    );
  }

  private deleteRows(tasks: NewTask[]): Promise<unknown> {
    return this.dataSource.query(`DELETE FROM ${BACKGROUND_TASKS_TABLE} WHERE task_id IN (?) AND status = 'pending'`, [
      tasks.map((task) => task.taskId),
    ]);
  }
}
