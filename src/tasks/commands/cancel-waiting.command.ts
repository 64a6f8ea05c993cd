import { Injectable } from '@nestjs/common';
import { TaskNotCancellableError, TaskNotFoundError } from '../errors/tasks.errors.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { CancelTaskCommand } from './cancel-task.command.js';
import { doneUnlessRefused, eachListedTask } from './each-listed-task.js';
import { FindTasksQuery } from './find-tasks.query.js';

/** What `cancelWaitingTasks` did. */
export interface CancelledWaitingTasks {
  /** Tasks cancelled. */
  cancelled: number;
  /** Waiting tasks left as they were: workflow steps (cancel their workflow), and tasks that finished meanwhile. */
  skipped: number;
}

/**
 * Celery's `purge`, kept true in MySQL: every task of one type (and name) still waiting is
 * cancelled, one by one as `cancelTask` cancels it (marked in Redis, the row `cancelled`, its job
 * removed), so no handler of them starts once this returns. Tasks enqueued after it began stay
 * pending (see eachListedTask).
 */
@Injectable()
export class CancelWaitingCommand {
  constructor(
    private readonly finder: FindTasksQuery,
    private readonly canceller: CancelTaskCommand,
  ) {}

  async cancelWaiting(taskType: string, taskName?: string): Promise<CancelledWaitingTasks> {
    const { done, skipped } = await eachListedTask(this.finder, { taskType, status: TaskStatus.Pending }, taskName, (task) => this.cancelOne(task));
    return { cancelled: done, skipped };
  }

  /** True once cancelled; false for a workflow step, or a task that finished or went since the page was read. */
  private async cancelOne(task: BackgroundTask): Promise<boolean> {
    if (task.workflowId !== null) return false;
    return doneUnlessRefused(() => this.canceller.cancel(task.taskId), [TaskNotCancellableError, TaskNotFoundError]);
  }
}
