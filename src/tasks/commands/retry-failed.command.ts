import { Injectable } from '@nestjs/common';
import { InvalidTaskRequestError, TaskNotFoundError, TaskNotRetryableError } from '../errors/tasks.errors.js';
import * as messages from '../errors/tasks.messages.js';
import type { TaskErrorType } from '../failures/task-error-type.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { TaskQueues } from '../queue/task-queues.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { doneUnlessRefused, eachListedTask } from './each-listed-task.js';
import { FindTasksQuery } from './find-tasks.query.js';
import { RetryTaskCommand } from './retry-task.command.js';

/** What `retryFailedTasks` did. */
export interface RetriedFailedTasks {
  /** Tasks back to `pending` for a new round. */
  retried: number;
  /** Failed tasks left as they were: those a retry refuses (a step waiting for its predecessor, a type no queue carries now), or retried meanwhile. */
  skipped: number;
}

/**
 * A new round for every failed task of one type (of one failure class, of one name), each as
 * `retryTask` retries it: after a downstream outage, say, every `network` failure of `email`.
 * A task that fails again while this runs is not retried twice (see eachListedTask).
 */
@Injectable()
export class RetryFailedCommand {
  constructor(
    private readonly finder: FindTasksQuery,
    private readonly retrier: RetryTaskCommand,
    private readonly queues: TaskQueues,
  ) {}

  async retryFailed(taskType: string, options: { errorType?: TaskErrorType; taskName?: string } = {}): Promise<RetriedFailedTasks> {
    const { errorType, taskName } = options;
    const filter = { taskType, status: TaskStatus.Failed, errorType };
    if (!this.queues.forTaskType(taskType)) {
      // A retired queue's type passes the finder (its tasks stay listed), but no job can carry them.
      await this.finder.assertValidFilter(filter);
      if (taskType !== WORKFLOW_TASK_TYPE) throw new InvalidTaskRequestError([messages.NO_QUEUE_TO_RETRY_ON(taskType)]);
    }
    const { done, skipped } = await eachListedTask(this.finder, filter, taskName, (task) => this.retryOne(task));
    return { retried: done, skipped };
  }

  /** True once retried; false for a task a retry refuses, or one retried or gone since the page was read. */
  private retryOne(task: BackgroundTask): Promise<boolean> {
    return doneUnlessRefused(() => this.retrier.retry(task.taskId), [TaskNotRetryableError, TaskNotFoundError]);
  }
}
