import { Injectable } from '@nestjs/common';
import { TaskNotDeletableError, TaskNotFoundError } from '../errors/tasks.errors.js';
import * as messages from '../errors/tasks.messages.js';
import { isFinalStatus } from '../lifecycle/task-status.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { FindTasksQuery } from './find-tasks.query.js';
import { orMysqlUnavailable } from './unavailable.js';

/**
 * Deletes one finished task's row, or a finished workflow whole by its id (Celery's
 * `AsyncResult.forget`): what a host needs when a user asks to erase the data a task carried,
 * before retention would. Never an unfinished task, nor one step of a workflow.
 */
@Injectable()
export class DeleteTaskCommand {
  constructor(
    private readonly finder: FindTasksQuery,
    private readonly deletes: TaskDeletes,
  ) {}

  /** Throws TaskNotFoundError (404), or TaskNotDeletableError (409) for a task not finished, a step, or a workflow with an unfinished task. */
  async delete(taskId: string): Promise<void> {
    const task = await this.finder.get(taskId);
    if (task.workflowId !== null) throw new TaskNotDeletableError(task.taskId, task.status, messages.STEP_NOT_DELETABLE(task.workflowId));
    if (!isFinalStatus(task.status)) throw new TaskNotDeletableError(task.taskId, task.status);
    const deleted = await orMysqlUnavailable(() => this.deletes.deleteFinished(task.taskId));
    if (deleted > 0) return;
    // Its rows changed since it was read: gone, or (a workflow) one of them reopened or still running.
    const now = await orMysqlUnavailable(() => this.finder.get(task.taskId).catch(() => undefined));
    if (!now) throw new TaskNotFoundError(task.taskId);
    throw new TaskNotDeletableError(task.taskId, now.status, isFinalStatus(now.status) ? messages.WORKFLOW_NOT_FINISHED() : undefined);
  }
}
