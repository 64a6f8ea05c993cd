import { Inject, Injectable } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { TASK_BACKOFF_TYPE, type TaskJobData } from './task-job.js';
import { TaskQueues } from './task-queues.js';

/** BullMQ runs priority 1 first; the API runs 10 first. */
export const toBullPriority = (priority: number): number => 11 - priority;

/** A task's job to add: `attempts` attempts, after `priorAttempts` the task already made. */
export interface NewJob {
  task: Pick<BackgroundTask, 'taskId' | 'taskName' | 'taskType' | 'priority' | 'params'> & { timeoutSeconds?: number | null; input?: unknown; workflowId?: string | null };
  attempts: number;
  priorAttempts?: number;
  /** Wait this long before the first attempt (a delayed task). */
  delayMs?: number;
}

/** Adds the BullMQ jobs of tasks: job id = task id, name = task name, mapped priority, delay, backoff. */
@Injectable()
export class TaskJobs {
  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly queues: TaskQueues,
  ) {}

  async add(task: NewJob['task'], attempts: number, priorAttempts = 0, delayMs = 0): Promise<void> {
    await this.addMany([{ task, attempts, priorAttempts, delayMs }]);
  }

  /** Adds every job with one `addBulk` per queue (one round trip each). */
  async addMany(jobs: NewJob[]): Promise<void> {
    const byQueue = new Map<string, { name: string; data: TaskJobData; opts: JobsOptions }[]>();
    for (const { task, attempts, priorAttempts = 0, delayMs = 0 } of jobs) {
      const queue = this.queues.forTaskType(task.taskType);
      if (!queue) throw new Error(`No queue carries task type "${task.taskType}"`);
      const data: TaskJobData = { params: task.params ?? {} };
      if (priorAttempts > 0) data.priorAttempts = priorAttempts;
      if (task.timeoutSeconds) data.timeoutSeconds = task.timeoutSeconds;
      if (task.input !== undefined && task.input !== null) data.input = task.input;
      if (task.workflowId) data.workflowId = task.workflowId;
      const list = byQueue.get(queue.name) ?? [];
      list.push({
        name: task.taskName,
        data,
        opts: {
          jobId: task.taskId,
          priority: toBullPriority(task.priority),
          attempts,
          ...(delayMs > 0 ? { delay: Math.round(delayMs) } : {}),
          backoff: { type: TASK_BACKOFF_TYPE, delay: this.options.retry.backoffDelayMs },
        },
      });
      byQueue.set(queue.name, list);
    }
    await Promise.all([...byQueue].map(([name, list]) => this.queues.get(name).addBulk(list)));
  }
}
