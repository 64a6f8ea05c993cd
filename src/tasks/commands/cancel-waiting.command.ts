import { Injectable } from '@nestjs/common';
import { InvalidTaskRequestError, TaskNotCancellableError, TaskNotFoundError } from '../errors/tasks.errors.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { CancelTaskCommand } from './cancel-task.command.js';
import { eachListedTask } from './each-listed-task.js';
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
    assertBulkTarget(taskType, taskName);
    const named = (task: BackgroundTask) => taskName === undefined || task.taskName === taskName;
    const { done, skipped } = await eachListedTask(this.finder, { taskType, status: TaskStatus.Pending }, named, (task) => this.cancelOne(task));
    return { cancelled: done, skipped };
  }

  /** True once cancelled; false for a workflow step, or a task that finished or went since the page was read. */
  private async cancelOne(task: BackgroundTask): Promise<boolean> {
    if (task.workflowId !== null) return false;
    try {
      await this.canceller.cancel(task.taskId);
      return true;
    } catch (error) {
      if (error instanceof TaskNotCancellableError || error instanceof TaskNotFoundError) return false;
      throw error;
    }
  }
}

/** A bulk action's type must be a queue's (the finder checks which), its name, if any, a name. */
export function assertBulkTarget(taskType: string, taskName: string | undefined): void {
  if (taskType === WORKFLOW_TASK_TYPE) throw new InvalidTaskRequestError(["task_type must be a queue's type: act on a workflow by its id"]);
  if (taskName !== undefined && (typeof taskName !== 'string' || taskName === '')) throw new InvalidTaskRequestError(['task_name must be a non-empty string']);
}
