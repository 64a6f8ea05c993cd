import { Inject, Injectable } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { groupBy } from '../group-by.js';
import { TASK_BACKOFF_TYPE, type TaskJobData } from './task-job.js';
import { TaskQueues } from './task-queues.js';

/**
 * From this many jobs on, {@link TaskJobs.addEach} sends a batch as one pipeline, one socket
 * write, rather than one write per job. Scratch A/B, six alternated pairs each, 20,000 tasks:
 * bulk enqueue (batches of 250) 0.69 → 0.73 × raw `addBulk` (the pipeline ahead in every pair,
 * Node 61-73 → 50-54 µs per task); single enqueue under 50 callers (batches of about 25) 0.36
 * with separate adds against 0.32 as a pipeline, so small batches keep them.
 */
const ONE_WRITE_FROM = 100;

/** BullMQ runs priority 1 first; the API runs 10 first. */
export const toBullPriority = (priority: number): number => 11 - priority;

/** A task's job to add: `attempts` attempts, after `priorAttempts` the task already made. */
export interface NewJob {
  task: Pick<BackgroundTask, 'taskId' | 'taskName' | 'taskType' | 'priority' | 'params'> & {
    timeoutSeconds?: number | null;
    input?: unknown;
    workflowId?: string | null;
    expiresAt?: Date | null;
  };
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

  /**
   * Adds every job with one `addBulk` per queue: one pipeline, one round trip each. It throws if
   * any job was refused, and the others may then have been added (BullMQ's `addBulk` is a
   * pipeline, not a transaction); adding such a job again is a no-op, its id being taken.
   */
  async addMany(jobs: NewJob[], deduplicated = false): Promise<void> {
    const byQueue = groupBy(
      jobs.map((job) => this.jobToAdd(job, deduplicated)),
      (job) => job.queue,
    );
    await Promise.all([...byQueue].map(([queue, list]) => this.queues.get(queue).addBulk(list)));
  }

  /**
   * Adds each job, all sent at once: for each job, in order, undefined once added or the error
   * that kept it out (an enqueue's task then fails alone). A batch of {@link ONE_WRITE_FROM}
   * jobs or more goes out as one pipeline ({@link addMany}); if Redis refuses any of it, every
   * job is added again on its own, which tells which ones it refused (the others' ids are taken:
   * adding them again adds nothing). A smaller batch goes out as separate adds on the queue's
   * one connection, so Redis starts on the first while the rest are still being sent.
   * Each job carries its task id as BullMQ deduplication id: once a cancel has set that key
   * (see CancelMarks.mark), an add that comes after it is a no-op, which is what lets the
   * worker start such a job without asking Redis about cancels first (worker/unasked-start.ts).
   */
  async addEach(jobs: NewJob[]): Promise<Array<Error | undefined>> {
    if (jobs.length >= ONE_WRITE_FROM && (await this.addMany(jobs, true).then(() => true, () => false))) return jobs.map(() => undefined);
    // Each add is called before the next one (an async function runs to its first await).
    return Promise.all(
      jobs.map(async (job) => {
        try {
          const { queue, name, data, opts } = this.jobToAdd(job, true);
          await this.queues.get(queue).add(name, data, opts);
          return undefined;
        } catch (error) {
          return error as Error;
        }
      }),
    );
  }

  /**
   * Removes the jobs of these tasks that still wait in their queues, best effort (a job a worker
   * already holds stays; Redis errors are ignored): what an `addMany` that threw may have added.
   */
  async removeWaiting(tasks: Array<Pick<BackgroundTask, 'taskId' | 'taskType'>>): Promise<void> {
    await Promise.all(
      tasks.map(async ({ taskId, taskType }) => {
        await this.queues.queueOf(taskType)?.remove(taskId).catch(() => 0);
      }),
    );
  }

  /** Those of these tasks whose job Redis does not have (in no state at all). */
  async withoutJobs<T extends Pick<BackgroundTask, 'taskId' | 'taskType'>>(tasks: T[]): Promise<T[]> {
    const states = await Promise.all(tasks.map(({ taskId, taskType }) => this.queues.queueOf(taskType)?.getJobState(taskId)));
    return tasks.filter((_, index) => states[index] === 'unknown');
  }

  /** The job of one task: id = task id, name = task name, mapped priority, delay, backoff (and the task id as deduplication id). */
  private jobToAdd({ task, attempts, priorAttempts = 0, delayMs = 0 }: NewJob, deduplicated = false): JobToAdd {
    const queue = this.queues.forTaskType(task.taskType);
    if (!queue) throw new Error(`No queue carries task type "${task.taskType}"`);
    const data: TaskJobData = { params: task.params ?? {} };
    if (priorAttempts > 0) data.priorAttempts = priorAttempts;
    if (task.timeoutSeconds) data.timeoutSeconds = task.timeoutSeconds;
    if (task.expiresAt) data.expiresAt = task.expiresAt.getTime();
    if (task.input !== undefined && task.input !== null) data.input = task.input;
    if (task.workflowId) data.workflowId = task.workflowId;
    const opts: JobsOptions = {
      jobId: task.taskId,
      priority: toBullPriority(task.priority),
      attempts,
      ...(delayMs > 0 ? { delay: Math.round(delayMs) } : {}),
      backoff: { type: TASK_BACKOFF_TYPE, delay: this.options.retry.backoffDelayMs },
      ...(deduplicated ? { deduplication: { id: task.taskId } } : {}),
    };
    return { queue: queue.name, name: task.taskName, data, opts };
  }
}

/** A job ready for BullMQ, with the queue it goes to. */
interface JobToAdd {
  queue: string;
  name: string;
  data: TaskJobData;
  opts: JobsOptions;
}
