import { Inject, Injectable } from '@nestjs/common';
import type { BackgroundTask } from '../background-task.entity.js';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from '../tasks.options.js';
import type { TaskJobData } from './task-job.js';
import { TaskQueues } from './task-queues.js';

/** BullMQ runs priority 1 first; the API runs 10 first. */
export const toBullPriority = (priority: number): number => 11 - priority;

/** Adds the BullMQ job of a task: job id = task id, name = task name, mapped priority, backoff. */
@Injectable()
export class TaskJobScheduler {
  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly queues: TaskQueues,
  ) {}

  /** Adds the job with `attempts` attempts, after `priorAttempts` the task already made. */
  async add(
    task: Pick<BackgroundTask, 'taskId' | 'taskName' | 'taskType' | 'priority' | 'params'>,
    attempts: number,
    priorAttempts = 0,
  ): Promise<void> {
    const queue = this.queues.forTaskType(task.taskType);
    if (!queue) throw new Error(`No queue carries task type "${task.taskType}"`);
    const data: TaskJobData = priorAttempts > 0 ? { params: task.params ?? {}, priorAttempts } : { params: task.params ?? {} };
    await this.queues.get(queue.name).add(task.taskName, data, {
      jobId: task.taskId,
      priority: toBullPriority(task.priority),
      attempts,
      backoff: { type: 'exponential', delay: this.options.retry.backoffDelayMs },
    });
  }
}
