import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { TaskStatus } from '../lifecycle/task-status.js';
import { TaskJobs, type NewJob } from '../queue/task-jobs.js';
import { isDatabaseUnavailable } from '../store/database-health.js';
import type { NewTask } from '../store/pending-insert.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { TaskRepository } from '../store/task.repository.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { orMysqlUnavailable } from './unavailable.js';

/** The first look soon after the outage answered, then one a second. */
const FIRST_LOOK_MS = 200;
const LOOK_EVERY_MS = 1000;
/** The last look's bound at shutdown: a MySQL that does not answer must not hold the process. */
const LAST_LOOK_MS = 2000;
/** Ids per statement (an IN list on the unique task id index). */
const IDS_PER_STATEMENT = 1000;

interface Watch {
  /** When it was refused, by this process's clock. */
  since: number;
  /** Whether MySQL has answered a look for its row since. */
  looked: boolean;
  /** A row to keep: if written (`pending`) and without a job, it gets this one rather than going. */
  job?: () => NewJob;
}

const isKeyed = (task: NewTask) => task.idempotencyKey !== undefined || task.singletonKey !== undefined;

/**
 * Tasks whose callers were told they were not enqueued (503) while their rows may exist: an
 * INSERT whose connection was lost may have committed and lost only its answer (MySQL killed
 * between the COMMIT and the reply), and the row of a task whose job Redis refused stays when
 * MySQL could not delete it either. Left alone, such a row is `pending` without a job, the
 * reconciler queues it once it is `reconciler.minAgeMs` old, and a task whose caller was told
 * to send it again runs twice.
 *
 * So their rows are looked for, once a second, for `reconciler.minAgeMs` after the refusal:
 * - a task without keys is *retracted*: its row is deleted while still `pending` and younger
 *   than that min age by the database's clock (the reconciler takes only older rows, so none
 *   deleted here can have been queued);
 * - a task with an idempotency or singleton key keeps its row, for another request may already
 *   have been answered with it by that key (and a retry with the key is): a row of it written
 *   all the same gets its job at once, where the reconciler would queue it a minute later (one
 *   whose job Redis refused is left to the reconciler, Redis being what failed).
 * A user's retry whose `resubmit` met an outage is kept the same way: its row, if made `pending`
 * all the same, gets the new round's job. A statement that never reached MySQL (connection
 * refused) leaves nothing to look for.
 */
@Injectable()
export class RetractedTasks implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RetractedTasks.name);
  private readonly watched = new Map<string, Watch>();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly deletes: TaskDeletes,
    private readonly repository: TaskRepository,
    private readonly jobs: TaskJobs,
  ) {}

  /** Runs the INSERT of new tasks; should MySQL's answer be lost, the tasks are watched (their callers learn TasksUnavailableError). */
  inserting<T>(tasks: NewTask[], insert: () => Promise<T>): Promise<T> {
    return orMysqlUnavailable(insert, () => this.watch(tasks, true));
  }

  /**
   * Runs a write that makes a task `pending` again (a user's retry); should MySQL's answer be
   * lost, a row it made pending all the same gets `job` once MySQL answers, not a reconciler pass later.
   */
  writing<T>(taskId: string, job: () => NewJob, write: () => Promise<T>): Promise<T> {
    return orMysqlUnavailable(write, () => {
      this.watched.set(taskId, { since: Date.now(), looked: false, job });
      this.schedule(FIRST_LOOK_MS);
    });
  }

  /** Deletes the rows of these tasks, refused after they were written, while that is safe; a keyed task's row stays. */
  retract(tasks: NewTask[]): void {
    this.watch(tasks, false);
  }

  /** How many tasks are watched. */
  get watching(): number {
    return this.watched.size;
  }

  /** One look now (a call during one gets that look): deletes the rows of the tasks watched. */
  look(): Promise<void> {
    this.looking ??= this.lookOnce().finally(() => (this.looking = undefined));
    return this.looking;
  }

  /** A last look while the data source is still open, so that a graceful stop leaves none of these rows behind. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.watched.size > 0) await Promise.race([this.look(), sleep(LAST_LOOK_MS, undefined, { ref: false })]);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.stopped || this.watched.size === 0) return;
    this.timer = setTimeout(() => {
      void this.look().finally(() => {
        this.timer = undefined;
        this.schedule(LOOK_EVERY_MS);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async lookOnce(): Promise<void> {
    const ids = this.unexpired();
    const kept = ids.filter((taskId) => this.watched.get(taskId)!.job);
    const plain = ids.filter((taskId) => !this.watched.get(taskId)!.job);
    try {
      for (let start = 0; start < plain.length; start += IDS_PER_STATEMENT) {
        const chunk = plain.slice(start, start + IDS_PER_STATEMENT);
        const deleted = await this.deletes.deleteRetracted(chunk, this.options.reconciler.minAgeMs);
        if (deleted > 0) this.logger.warn(`Deleted ${deleted} row(s) of tasks whose callers were told they were not enqueued`);
        for (const taskId of chunk) this.watched.get(taskId)!.looked = true;
      }
      for (let start = 0; start < kept.length; start += IDS_PER_STATEMENT) await this.queueWritten(kept.slice(start, start + IDS_PER_STATEMENT));
    } catch (error) {
      // MySQL away still: the next look tries again. Anything else is a fault to see.
      if (!isDatabaseUnavailable(error)) this.logger.error(`Rows of refused tasks not looked for: ${(error as Error).message}`);
    }
  }

  /** Adds the jobs of the kept rows that were written and have none; a task whose job Redis refused is looked at again. */
  private async queueWritten(taskIds: string[]): Promise<void> {
    const written = await this.repository.withStatusAmong(taskIds, TaskStatus.Pending);
    for (const taskId of taskIds) this.watched.get(taskId)!.looked = true;
    const jobs = written.map((taskId) => this.watched.get(taskId)!.job!());
    const missing = await this.jobs.withoutJobs(jobs.map((job) => job.task));
    const toAdd = jobs.filter((job) => missing.includes(job.task));
    if (toAdd.length === 0) return;
    const refusals = await this.jobs.addEach(toAdd);
    const queued = toAdd.filter((_, index) => !refusals[index]);
    for (const job of queued) this.watched.delete(job.task.taskId);
    if (queued.length > 0) this.logger.warn(`Queued ${queued.length} task(s) whose write committed while their callers were told 503`);
  }

  private watch(tasks: NewTask[], keyedToo: boolean): void {
    const since = Date.now();
    for (const task of tasks) {
      if (!isKeyed(task)) this.watched.set(task.taskId, { since, looked: false });
      else if (keyedToo) this.watched.set(task.taskId, { since, looked: false, job: () => jobOf(task) });
    }
    this.schedule(FIRST_LOOK_MS);
  }

  /** The tasks still watched; those whose time is up are dropped (a row of one never looked for is the reconciler's). */
  private unexpired(): string[] {
    const expiry = Date.now() - this.options.reconciler.minAgeMs;
    const ids: string[] = [];
    let unlooked = 0;
    for (const [taskId, { since, looked }] of this.watched) {
      if (since >= expiry) {
        ids.push(taskId);
        continue;
      }
      this.watched.delete(taskId);
      if (!looked) unlooked++;
    }
    if (unlooked > 0) {
      this.logger.warn(`${unlooked} task(s) refused while MySQL was away are left to the reconciler: MySQL did not answer within reconciler.minAgeMs, and any of them written will run`);
    }
    return ids;
  }
}

/** A new task's job as its enqueue would have added it: every attempt, what is left of its delay. */
function jobOf(task: NewTask): NewJob {
  return { task, attempts: task.maxRetries + 1, delayMs: task.runAt ? Math.max(0, task.runAt.getTime() - Date.now()) : 0 };
}
