import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BACKGROUND_TASKS_TABLE, type BackgroundTask } from '../store/background-task.entity.js';
import { TASK_TRANSITIONS } from '../lifecycle/task-status.js';
import { TaskNotRetryableError } from '../errors/tasks.errors.js';
import { orMysqlUnavailable, orRedisUnavailable } from '../errors/unavailable.js';
import { TaskJobScheduler } from '../queue/task-jobs.js';
import { TaskQueues } from '../queue/task-queues.js';

/**
 * A user's retry of a finished task: `failed` or `cancelled` back to `pending` for a new
 * round of attempts under the same task id. The row loses what belonged to the old round
 * (`retry_count` 0; `result`, `started_at`, `completed_at`, `progress`, `progress_message`,
 * `run_at` cleared) and keeps `created_at`, `params`, `max_retries` and the last
 * `error_message`/`error_type` until an attempt of the new round ends.
 */
@Injectable()
export class TaskResubmitter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: TaskQueues,
    private readonly jobs: TaskJobScheduler,
  ) {}

  /**
   * Throws {@link TaskNotRetryableError} (409) for any other state, for a task type no queue
   * carries, and while the old round's handler still runs (a cancelled handler that ignores
   * its signal).
   */
  async resubmit(task: BackgroundTask): Promise<void> {
    const { taskId } = task;
    if (!TASK_TRANSITIONS.resubmit.from.includes(task.status)) throw new TaskNotRetryableError(taskId, task.status);
    const queueOptions = this.queues.forTaskType(task.taskType);
    if (!queueOptions) throw new TaskNotRetryableError(taskId, task.status, `No queue carries task type "${task.taskType}"`);
    const queue = this.queues.get(queueOptions.name);
    await orRedisUnavailable(async () => {
      // The old round's job may still be kept in Redis; the new one needs its id.
      if ((await queue.getJobState(taskId)) === 'active') {
        throw new TaskNotRetryableError(taskId, task.status, 'The last attempt of this task is still running; retry once it has stopped');
      }
      await queue.remove(taskId);
    });
    // A compare-and-set like every transition; the counter triggers see the status change.
    const result: { affectedRows: number } = await orMysqlUnavailable(() =>
      this.dataSource.query(
        `UPDATE ${BACKGROUND_TASKS_TABLE} SET status = 'pending', retry_count = 0, result = NULL, started_at = NULL,
                completed_at = NULL, progress = NULL, progress_message = NULL, run_at = NULL
          WHERE task_id = ? AND status IN (?)`,
        [taskId, TASK_TRANSITIONS.resubmit.from],
      ),
    );
    if (result.affectedRows === 0) throw new TaskNotRetryableError(taskId, task.status, 'The task changed meanwhile; read it again');
    // Should Redis refuse now, the row is pending without a job and the reconciler queues it.
    await orRedisUnavailable(() => this.jobs.add(task, task.maxRetries + 1));
  }
}
