import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { BACKGROUND_TASKS_TABLE, BackgroundTask } from './background-task.entity.js';
import { TaskJobScheduler } from './execution/task-job.scheduler.js';
import { TaskRetention } from './schedules/task-retention.js';
import { TaskSchedules, type TaskScheduleView } from './schedules/task-schedules.js';
import { TaskHandlerRegistry } from './execution/task-handler.registry.js';
import { isDuplicateKeyError, TaskEnqueuer, type NewTask } from './execution/task-enqueuer.js';
import { paramsDtoProblems } from './params-dto.validator.js';
import { TaskReconciler, type ReconcilerStats } from './execution/task.reconciler.js';
import { TaskQueues } from './execution/task-queues.js';
import { TaskStateWriter } from './execution/task-state.writer.js';
import { TaskCancellationBus } from './execution/task-cancellation.bus.js';
import { isDatabaseUnavailable } from './execution/database-health.js';
import { TaskWorkersHost } from './execution/task-workers.host.js';
import { isFinalStatus, TASK_TRANSITIONS } from './task-status.js';
import { enqueueProblems, filterProblems, pageProblems, parseRunAt } from './task-request.validator.js';
import { decodeTaskCursor, encodeTaskCursor } from './task-cursor.js';
import { DEFAULT_LIST_LIMIT, MAX_BULK_ENQUEUE } from './tasks.constants.js';
import { InvalidTaskRequestError, TaskNotCancellableError, TaskNotFoundError, TaskNotRetryableError, TasksUnavailableError } from './tasks.errors.js';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from './tasks.options.js';
import type {
  BulkEnqueueOutcome,
  CancelledTask,
  EnqueuedTask,
  EnqueueTaskInput,
  ListTasksInput,
  TaskFilter,
  TaskPage,
} from './tasks.types.js';

/** Enqueue, inspect, list, count and cancel tasks. Inject it anywhere in the host app. */
@Injectable()
export class TasksService {
  private readonly logger = new Logger('TasksService');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly queues: TaskQueues,
    private readonly writer: TaskStateWriter,
    private readonly workers: TaskWorkersHost,
    private readonly cancellations: TaskCancellationBus,
    private readonly enqueuer: TaskEnqueuer,
    private readonly reconciler: TaskReconciler,
    private readonly jobs: TaskJobScheduler,
    private readonly schedules: TaskSchedules,
    private readonly retention: TaskRetention,
  ) {}

  /** How many repairs the reconciler of this process has made since it started. */
  getReconcilerStats(): ReconcilerStats {
    return this.reconciler.getStats();
  }

  /**
   * Records the task (row `pending`) and then queues its job, whose id is the task id.
   * When MySQL or Redis refuses, {@link TasksUnavailableError} is thrown and nothing is left
   * half-created (a refused job's row is deleted again). Concurrent calls are written
   * together (see TaskEnqueuer).
   */
  async enqueue(input: EnqueueTaskInput): Promise<EnqueuedTask> {
    const task = this.prepare(input);
    if (task.idempotencyKey !== undefined) return this.enqueueOnce(task, task.idempotencyKey);
    await this.enqueuer.submit(task);
    return publicView(task);
  }

  /**
   * Enqueues a task with an idempotency key unless a task with that key exists, in which
   * case that task is returned (`created: false`). The unique index decides a race between
   * two processes: the loser's INSERT fails with a duplicate key and it returns the winner.
   */
  private async enqueueOnce(task: NewTask, key: string): Promise<EnqueuedTask> {
    const existing = await this.findByIdempotencyKey(key);
    if (existing) return existingView(existing);
    try {
      await this.enqueuer.submitAlone(task);
      return publicView(task);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.findByIdempotencyKey(key);
      if (!winner) throw new TasksUnavailableError('MySQL');
      return existingView(winner);
    }
  }

  private findByIdempotencyKey(key: string): Promise<BackgroundTask | null> {
    return this.mysql(() => this.dataSource.getRepository(BackgroundTask).findOneBy({ idempotencyKey: key }));
  }

  /**
   * Enqueues up to {@link MAX_BULK_ENQUEUE} tasks at once, each validated on its own: the result
   * lists, in order, each task's id or the error that kept it out (400 for a bad request, 503
   * when MySQL or Redis refused). The valid ones are written together (one INSERT, one
   * `addBulk` per queue).
   */
  async enqueueMany(inputs: EnqueueTaskInput[]): Promise<BulkEnqueueOutcome[]> {
    if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > MAX_BULK_ENQUEUE) {
      throw new InvalidTaskRequestError([`tasks must hold 1 to ${MAX_BULK_ENQUEUE} tasks`]);
    }
    return Promise.all(
      inputs.map(async (input): Promise<BulkEnqueueOutcome> => {
        try {
          return { task: await this.enqueue(input) };
        } catch (error) {
          if (!(error instanceof InvalidTaskRequestError || error instanceof TasksUnavailableError)) throw error;
          const response = error.getResponse();
          const message = typeof response === 'string' ? response : (response as { message: string | string[] }).message;
          return { error: { statusCode: error.getStatus(), message: [message].flat() } };
        }
      }),
    );
  }

  /** Validates an enqueue request and gives the task its id and defaults. */
  private prepare(input: EnqueueTaskInput): NewTask {
    const handler = this.registry.get(input.taskName);
    const problems = enqueueProblems(input, handler?.queue, this.options);
    if (problems.length === 0 && handler?.paramsType) problems.push(...paramsDtoProblems(handler.paramsType, input.params ?? {}));
    if (problems.length > 0 || !handler) throw new InvalidTaskRequestError(problems);
    const delayMs = input.runAt !== undefined ? Math.max(0, parseRunAt(input.runAt)! - Date.now()) : (input.delaySeconds ?? 0) * 1000;
    return {
      taskId: randomUUID(),
      taskName: input.taskName,
      taskType: handler.queue.taskType,
      priority: input.priority ?? handler.queue.defaultPriority,
      maxRetries: input.maxRetries ?? this.options.retry.maxRetries,
      params: input.params ?? {},
      delayMs,
      timeoutSeconds: input.timeoutSeconds,
      idempotencyKey: input.idempotencyKey,
    };
  }

  /** The task's row; throws {@link TaskNotFoundError} for an unknown id. */
  async getTaskStatus(taskId: string): Promise<BackgroundTask> {
    const task = await this.mysql(() => this.dataSource.getRepository(BackgroundTask).findOneBy({ taskId }));
    if (!task) throw new TaskNotFoundError(taskId);
    return task;
  }

  /** A page of tasks, newest first, with the number of all tasks that match the filter. */
  async listTasks(input: ListTasksInput = {}): Promise<TaskPage> {
    const after = input.cursor === undefined ? undefined : decodeTaskCursor(input.cursor);
    this.assertValid([
      ...filterProblems(input, this.options),
      ...pageProblems(input),
      ...(input.cursor !== undefined && !after ? ['cursor is not a cursor returned by this API'] : []),
      ...(after && (input.offset ?? 0) > 0 ? ['cursor and offset cannot be combined'] : []),
    ]);
    const limit = input.limit ?? DEFAULT_LIST_LIMIT;
    const offset = input.offset ?? 0;
    const page = this.filtered(input).orderBy('task.created_at', 'DESC').addOrderBy('task.id', 'DESC').limit(limit);
    if (after) {
      page.andWhere('(task.created_at < :at OR (task.created_at = :at AND task.id < :id))', { at: after.createdAt, id: after.id });
    } else {
      page.offset(offset);
    }
    const [tasks, totalCount] = await this.mysql(() => Promise.all([page.getMany(), this.countOf(input)]));
    const nextCursor = tasks.length === limit ? encodeTaskCursor(tasks[tasks.length - 1]) : null;
    return { tasks, totalCount, limit, offset, nextCursor };
  }

  /** How many tasks match the filter. */
  async getTaskCount(filter: TaskFilter = {}): Promise<number> {
    this.assertValid(filterProblems(filter, this.options));
    return this.mysql(() => this.countOf(filter));
  }

  /**
   * Cancels a pending or running task: the row becomes `cancelled` first (so no attempt can
   * start or finish over it), then a waiting job is removed and a running handler's
   * AbortSignal fires. Throws {@link TaskNotFoundError} or {@link TaskNotCancellableError}.
   */
  async cancelTask(taskId: string): Promise<CancelledTask> {
    const task = await this.getTaskStatus(taskId);
    if (isFinalStatus(task.status)) throw new TaskNotCancellableError(taskId, task.status);
    if (!(await this.mysql(() => this.writer.cancel(taskId)))) {
      // It finished between the read and the write.
      throw new TaskNotCancellableError(taskId, (await this.getTaskStatus(taskId)).status);
    }
    return { taskId, ...(await this.stopJob(task.taskType, taskId)) };
  }

  /**
   * Stops a cancelled task's job: removes it while it waits; when a worker holds it, fires
   * the handler's AbortSignal (at once in this process, through the cancellation bus
   * elsewhere) and waits up to `cancelWaitMs` for the attempt to end, so that no handler of
   * a task whose cancel has returned is still running unless it ignores its signal.
   * Best effort: the row already says `cancelled`, and an attempt that starts later sees
   * that and skips the handler.
   */
  private async stopJob(taskType: string, taskId: string): Promise<Omit<CancelledTask, 'taskId'>> {
    const idle = { runningHandlerSignalled: false, handlerStopped: true };
    const queueOptions = this.queues.forTaskType(taskType);
    if (!queueOptions) return idle;
    const queue = this.queues.get(queueOptions.name);
    try {
      // remove() refuses a job that a worker holds.
      if ((await queue.remove(taskId)) === 1 || (await queue.getJobState(taskId)) !== 'active') return idle;
      if (!this.workers.abortRunning(queueOptions.name, taskId, 'cancelled')) {
        await this.cancellations.publishCancel(queueOptions.name, taskId);
      }
      return { runningHandlerSignalled: true, handlerStopped: await this.attemptEnded(queue, taskId) };
    } catch (error) {
      this.logger.warn(`Cancelled task ${taskId}: its job could not be stopped (${(error as Error).message})`);
      const signalled = this.workers.abortRunning(queueOptions.name, taskId, 'cancelled');
      return { runningHandlerSignalled: signalled, handlerStopped: false };
    }
  }

  /**
   * Starts a new round of attempts for a failed or cancelled task: the row goes back to
   * `pending` with `retry_count` 0 and no result, timestamps or progress of the old round
   * (`created_at`, `params` and the last `error_message`/`error_type` stay until an attempt
   * of the new round ends), and a new job is queued under the same id. Throws
   * {@link TaskNotRetryableError} (409) for any other state, or while the old round's handler
   * still runs (a cancelled handler that ignores its signal).
   */
  async retryTask(taskId: string): Promise<EnqueuedTask> {
    const task = await this.getTaskStatus(taskId);
    if (!TASK_TRANSITIONS.resubmit.from.includes(task.status)) throw new TaskNotRetryableError(taskId, task.status);
    const queueOptions = this.queues.forTaskType(task.taskType);
    if (!queueOptions) throw new TaskNotRetryableError(taskId, task.status, `No queue carries task type "${task.taskType}"`);
    const queue = this.queues.get(queueOptions.name);
    await this.redis(async () => {
      // The old round's job may still be kept in Redis; the new one needs its id.
      if ((await queue.getJobState(taskId)) === 'active') {
        throw new TaskNotRetryableError(taskId, task.status, 'The last attempt of this task is still running; retry once it has stopped');
      }
      await queue.remove(taskId);
    });
    const result: { affectedRows: number } = await this.mysql(() =>
      this.dataSource.query(
        `UPDATE ${BACKGROUND_TASKS_TABLE} SET status = 'pending', retry_count = 0, result = NULL, started_at = NULL,
                completed_at = NULL, progress = NULL, progress_message = NULL, run_at = NULL
          WHERE task_id = ? AND status IN (?)`,
        [taskId, TASK_TRANSITIONS.resubmit.from],
      ),
    );
    if (result.affectedRows === 0) throw new TaskNotRetryableError(taskId, (await this.getTaskStatus(taskId)).status);
    // Should Redis refuse now, the row is pending without a job and the reconciler queues it.
    await this.redis(() => this.jobs.add({ ...task, timeoutSeconds: task.timeoutSeconds }, task.maxRetries + 1));
    return { ...existingView(task), runAt: null };
  }

  /** The periodic tasks and when each runs next. */
  async getSchedules(): Promise<TaskScheduleView[]> {
    return this.redis(() => this.schedules.list());
  }

  /**
   * Deletes finished rows older than `maxAgeMs` (default: the `retention.finishedMaxAgeMs`
   * option) now, in batches; the scheduled cleanup calls the same. Returns how many went.
   */
  async purgeFinishedTasks(maxAgeMs?: number): Promise<number> {
    if (maxAgeMs !== undefined && !(maxAgeMs >= 0)) throw new InvalidTaskRequestError(['maxAgeMs must be >= 0']);
    return this.mysql(() => this.retention.purgeFinished(maxAgeMs));
  }

  /** Polls until the job is no longer active (its handler returned or threw), or gives up. */
  private async attemptEnded(queue: Queue, taskId: string): Promise<boolean> {
    const deadline = Date.now() + this.options.cancelWaitMs;
    while ((await queue.getJobState(taskId)) === 'active') {
      if (Date.now() >= deadline) return false;
      await sleep(10);
    }
    return true;
  }

  /**
   * Exact counts from `background_task_counts`, which triggers keep in step with every write
   * to `background_tasks`: a sum over at most 16 slots per (type, status), whatever the size
   * of the table.
   */
  private async countOf(filter: TaskFilter): Promise<number> {
    // The counters are kept by (type, status); a failure class is counted on its index
    // (`idx_error_type_created`), which holds only the rows of that class.
    if (filter.errorType) return this.filtered(filter).getCount();
    const conditions: string[] = [];
    const parameters: string[] = [];
    if (filter.status) {
      conditions.push('status = ?');
      parameters.push(filter.status);
    }
    if (filter.taskType) {
      conditions.push('task_type = ?');
      parameters.push(filter.taskType);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const [row]: { total: string | number | null }[] = await this.dataSource.query(
      `SELECT SUM(count) AS total FROM background_task_counts ${where}`,
      parameters,
    );
    return Number(row?.total ?? 0);
  }

  private filtered(filter: TaskFilter): SelectQueryBuilder<BackgroundTask> {
    const query = this.dataSource.getRepository(BackgroundTask).createQueryBuilder('task');
    if (filter.status) query.andWhere('task.status = :status', { status: filter.status });
    if (filter.taskType) query.andWhere('task.task_type = :taskType', { taskType: filter.taskType });
    if (filter.errorType) query.andWhere('task.error_type = :errorType', { errorType: filter.errorType });
    return query;
  }

  /** Runs a Redis call, turning "cannot reach Redis" into {@link TasksUnavailableError} (503). */
  private async redis<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof HttpException) throw error;
      this.logger.warn(`Redis call failed: ${(error as Error).message}`);
      throw new TasksUnavailableError('Redis');
    }
  }

  /** Runs a MySQL call, turning "cannot reach MySQL" into {@link TasksUnavailableError} (503). */
  private async mysql<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new TasksUnavailableError('MySQL');
      throw error;
    }
  }

  private assertValid(problems: string[]): void {
    if (problems.length > 0) throw new InvalidTaskRequestError(problems);
  }
}

/** A new task as callers see it (without its params). */
function publicView({ taskId, taskName, taskType, priority, maxRetries, delayMs }: NewTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: true, runAt: delayMs ? new Date(Date.now() + delayMs) : null };
}

/** The task an idempotency key already named. */
function existingView({ taskId, taskName, taskType, priority, maxRetries, runAt }: BackgroundTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: false, runAt };
}
