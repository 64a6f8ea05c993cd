import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { TasksUnavailableError } from '../errors/tasks.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import { isDatabaseUnavailable, wasNeverSent } from '../store/database-health.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';

/** The first look soon after the outage answered, then one a second. */
const FIRST_LOOK_MS = 200;
const LOOK_EVERY_MS = 1000;
/** The last look's bound at shutdown: a MySQL that does not answer must not hold the process. */
const LAST_LOOK_MS = 2000;
/** Ids per statement (an IN list on the unique task id index). */
const IDS_PER_STATEMENT = 1000;

/** A task refused with its row perhaps written: its keys say whether deleting the row is safe. */
export interface RetractedTask {
  taskId: string;
  idempotencyKey?: string;
  singletonKey?: string;
}

interface Retraction {
  /** When it was retracted, by this process's clock. */
  since: number;
  /** Whether MySQL has answered a look for its row since. */
  looked: boolean;
}

/**
 * Tasks whose callers were told they were not enqueued (503) while their rows may exist: an
 * INSERT whose connection was lost may have committed and lost only its answer (MySQL killed
 * between the COMMIT and the reply), and the row of a task whose job Redis refused stays when
 * MySQL could not delete it either. Left alone, such a row is `pending` without a job, the
 * reconciler queues it once it is `reconciler.minAgeMs` old, and a task whose caller was told
 * to send it again runs twice.
 *
 * So their rows are looked for, once a second, for `reconciler.minAgeMs` after the refusal, and
 * deleted: only a row still `pending`, with no idempotency or singleton key (another request may
 * have found it by that key and been answered with it), and younger than that min age by the
 * database's clock (the reconciler takes only older rows, so none deleted here can have been
 * queued). A statement that never reached MySQL (connection refused) retracts nothing.
 */
@Injectable()
export class RetractedTasks implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RetractedTasks.name);
  private readonly watched = new Map<string, Retraction>();
  private timer?: NodeJS.Timeout;
  private looking?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly deletes: TaskDeletes,
  ) {}

  /**
   * Runs the INSERT of new tasks; when MySQL cannot be reached, their callers learn
   * TasksUnavailableError and, unless the statement never reached MySQL, the tasks are retracted.
   */
  async inserting<T>(tasks: RetractedTask[], insert: () => Promise<T>): Promise<T> {
    try {
      return await insert();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (!wasNeverSent(error)) this.retract(tasks);
      throw new TasksUnavailableError('MySQL');
    }
  }

  /** Deletes these tasks' rows, should they exist or appear, while that is safe (see the class); a keyed task's row stays. */
  retract(tasks: RetractedTask[]): void {
    const since = Date.now();
    for (const { taskId, idempotencyKey, singletonKey } of tasks) {
      if (idempotencyKey === undefined && singletonKey === undefined) this.watched.set(taskId, { since, looked: false });
    }
    this.schedule(FIRST_LOOK_MS);
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
    for (let start = 0; start < ids.length; start += IDS_PER_STATEMENT) {
      const chunk = ids.slice(start, start + IDS_PER_STATEMENT);
      try {
        const deleted = await this.deletes.deleteRetracted(chunk, this.options.reconciler.minAgeMs);
        if (deleted > 0) this.logger.warn(`Deleted ${deleted} row(s) of tasks whose callers were told they were not enqueued`);
      } catch (error) {
        // MySQL away still: the next look tries again. Anything else is a fault to see.
        if (!isDatabaseUnavailable(error)) this.logger.error(`Rows of retracted tasks not looked for: ${(error as Error).message}`);
        return;
      }
      for (const taskId of chunk) this.watched.get(taskId)!.looked = true;
    }
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
