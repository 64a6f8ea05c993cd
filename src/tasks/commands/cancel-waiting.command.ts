import { Injectable } from '@nestjs/common';
import { InvalidTaskRequestError, TaskNotCancellableError, TaskNotFoundError } from '../errors/tasks.errors.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { ConcurrencyLimit } from '../store/concurrency-limit.js';
import { CancelTaskCommand } from './cancel-task.command.js';
import { FindTasksQuery } from './find-tasks.query.js';

/** Pending tasks read per page, and cancels in flight at once. */
const PAGE_SIZE = 500;
const CANCELS_AT_ONCE = 16;

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
 * removed), so no handler of them starts once this returns. Pages go newest first by cursor:
 * a task enqueued after the first page was read is newer than every page and stays pending.
 */
@Injectable()
export class CancelWaitingCommand {
  constructor(
    private readonly finder: FindTasksQuery,
    private readonly canceller: CancelTaskCommand,
  ) {}

  async cancelWaiting(taskType: string, taskName?: string): Promise<CancelledWaitingTasks> {
    if (taskType === WORKFLOW_TASK_TYPE) throw new InvalidTaskRequestError(['task_type must be a queue\'s type: cancel a workflow by its id']);
    if (taskName !== undefined && (typeof taskName !== 'string' || taskName === '')) throw new InvalidTaskRequestError(['task_name must be a non-empty string']);
    const limit = new ConcurrencyLimit(CANCELS_AT_ONCE);
    const outcome: CancelledWaitingTasks = { cancelled: 0, skipped: 0 };
    let cursor: string | undefined;
    do {
      // The finder validates the type (a 400 naming the valid ones).
      const page = await this.finder.list({ taskType, status: TaskStatus.Pending, limit: PAGE_SIZE, cursor });
      const named = page.tasks.filter((task) => taskName === undefined || task.taskName === taskName);
      const cancels = await Promise.all(named.map((task) => limit.run(() => this.cancelOne(task))));
      for (const cancelled of cancels) outcome[cancelled ? 'cancelled' : 'skipped']++;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return outcome;
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
