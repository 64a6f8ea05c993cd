import { Injectable } from '@nestjs/common';
import { TaskNotFoundError, TaskNotRetryableError } from '../errors/tasks.errors.js';
import * as messages from '../errors/tasks.messages.js';
import type { EnqueuedTask } from '../interfaces/tasks-service.interfaces.js';
import { TASK_TRANSITIONS } from '../lifecycle/task-status.js';
import { WORKFLOW_TASK_TYPE } from '../lifecycle/workflow-names.js';
import { leftActiveWithin } from '../queue/job-activity.js';
import { TaskJobs } from '../queue/task-jobs.js';
import { TaskQueues } from '../queue/task-queues.js';
import { TaskRepository } from '../store/task.repository.js';
import { TaskStateWriter } from '../store/task-state.writer.js';
import { existingView } from './enqueue-task.command.js';
import { RetractedTasks } from './retracted-tasks.js';
import { orMysqlUnavailable, orRedisUnavailable } from './unavailable.js';

/**
 * How long a retry waits for the old round's job to leave `active`. A worker writes the row's
 * outcome first and then hands the job back to BullMQ, so a task whose row reads `failed` can
 * have its job active for a few more milliseconds (seen: a retry right after a chain step's
 * failure answered "still running"); a cancelled handler that ignores its signal keeps its job
 * active for as long as it runs.
 */
const FINISHING_JOB_WAIT_MS = 2000;

/**
 * A user's retry of a finished task (the lifecycle's `resubmit`): `failed` or `cancelled`
 * back to `pending` for a new round of attempts under the same task id, and a new job. What
 * the row keeps and loses is the state writer's `resubmit`.
 */
@Injectable()
export class RetryTaskCommand {
  constructor(
    private readonly repository: TaskRepository,
    private readonly writer: TaskStateWriter,
    private readonly queues: TaskQueues,
    private readonly jobs: TaskJobs,
    private readonly retracted: RetractedTasks,
  ) {}

  /**
   * Throws {@link TaskNotFoundError}, or {@link TaskNotRetryableError} (409) for any other
   * state, for a task type no queue carries, and while the old round's handler still runs (a
   * cancelled handler that ignores its signal).
   */
  async retry(taskId: string): Promise<EnqueuedTask> {
    const task = await orMysqlUnavailable(() => this.repository.findById(taskId));
    if (!task) throw new TaskNotFoundError(taskId);
    if (!TASK_TRANSITIONS.resubmit.from.includes(task.status)) throw new TaskNotRetryableError(taskId, task.status);
    // A workflow resumes from the step that failed; a step after it waits for that one.
    if (task.taskType === WORKFLOW_TASK_TYPE) throw new TaskNotRetryableError(taskId, task.status, messages.RETRY_A_STEP());
    if (task.blocked) throw new TaskNotRetryableError(taskId, task.status, messages.STEP_WAITS_FOR_PREDECESSOR());
    const queue = this.queues.queueOf(task.taskType);
    if (!queue) throw new TaskNotRetryableError(taskId, task.status, messages.NO_QUEUE_FOR_TYPE(task.taskType));
    await orRedisUnavailable(async () => {
      // The old round's job may still be kept in Redis; the new one needs its id.
      if (!(await leftActiveWithin(queue, taskId, FINISHING_JOB_WAIT_MS))) throw new TaskNotRetryableError(taskId, task.status, messages.TASK_STILL_RUNNING());
      await queue.remove(taskId);
    });
    // A resubmit whose answer an outage lost may have landed: its row then gets its job once MySQL answers.
    const newRound = () => ({ task: { ...task, expiresAt: null }, attempts: task.maxRetries + 1 });
    if (!(await this.retracted.writing(taskId, newRound, () => this.writer.resubmit(taskId)))) {
      throw new TaskNotRetryableError(taskId, task.status, messages.TASK_CHANGED_MEANWHILE());
    }
    // Should Redis refuse now, the row is pending without a job and the reconciler queues it.
    // The new round runs at once and has no expiry (resubmit cleared both): the user asked for it now.
    await orRedisUnavailable(() => this.jobs.addMany([newRound()]));
    return { ...existingView(task), runAt: null, expiresAt: null };
  }
}
