import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BackgroundTask } from './store/background-task.entity.js';
import { taskRowReader, type TaskRowReader } from './store/task-row.reader.js';
import { TaskCanceller } from './commands/cancel-task.command.js';
import { TaskResubmitter } from './commands/retry-task.command.js';
import { TaskRetention } from './store/task-retention.js';
import { TaskSchedules, type TaskScheduleView } from './schedules/task-schedules.js';
import { TaskHandlerRegistry } from './task-handler.registry.js';
import { isDuplicateKeyError, TaskEnqueuer, type NewTask } from './commands/enqueue-task.command.js';
import { paramsDtoProblems } from './commands/params-dto.validator.js';
import { TaskReconciler, type ReconcilerStats } from './worker/task.reconciler.js';
import { TaskStateWriter } from './store/task-state.writer.js';
import { isFinalStatus } from './lifecycle/task-status.js';
import { orMysqlUnavailable, orRedisUnavailable } from './errors/unavailable.js';
import { enqueueProblems, filterProblems, pageProblems, parseRunAt } from './commands/task-request.validator.js';
import { decodeTaskCursor, encodeTaskCursor } from './store/task-cursor.js';
import { DEFAULT_LIST_LIMIT, MAX_BULK_ENQUEUE } from './tasks.constants.js';
import { InvalidTaskRequestError, TaskNotCancellableError, TaskNotFoundError, TasksUnavailableError } from './errors/tasks.errors.js';
import { TASKS_OPTIONS, type ResolvedTasksOptions } from './tasks.options.js';
import type {
  BulkEnqueueOutcome,
  CancelledTask,
  EnqueuedTask,
  EnqueueTaskInput,
  ListTasksInput,
  TaskFilter,
  TaskPage,
} from './interfaces/tasks-service.interfaces.js';

/** Enqueue, inspect, list, count, cancel and retry tasks; list schedules; purge old rows. Inject it anywhere in the host app. */
@Injectable()
export class TasksService {
  /** Reads list pages as raw rows (see taskRowReader); made from the entity metadata on first use. */
  private rows?: TaskRowReader;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly writer: TaskStateWriter,
    private readonly enqueuer: TaskEnqueuer,
    private readonly canceller: TaskCanceller,
    private readonly resubmitter: TaskResubmitter,
    private readonly reconciler: TaskReconciler,
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
    return orMysqlUnavailable(() => this.dataSource.getRepository(BackgroundTask).findOneBy({ idempotencyKey: key }));
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
    const now = Date.now();
    const delayMs = input.runAt !== undefined ? Math.max(0, parseRunAt(input.runAt)! - now) : (input.delaySeconds ?? 0) * 1000;
    return {
      taskId: randomUUID(),
      taskName: input.taskName,
      taskType: handler.queue.taskType,
      priority: input.priority ?? handler.queue.defaultPriority,
      maxRetries: input.maxRetries ?? this.options.retry.maxRetries,
      params: input.params ?? {},
      delayMs,
      // Taken before the job is added, so the job is never due before the time reported.
      runAt: delayMs > 0 ? new Date(now + delayMs) : null,
      timeoutSeconds: input.timeoutSeconds,
      idempotencyKey: input.idempotencyKey,
    };
  }

  /** The task's row; throws {@link TaskNotFoundError} for an unknown id. */
  async getTaskStatus(taskId: string): Promise<BackgroundTask> {
    const task = await orMysqlUnavailable(() => this.dataSource.getRepository(BackgroundTask).findOneBy({ taskId }));
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
    const { where, parameters } = whereOf(input);
    if (after) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      parameters.push(after.createdAt, after.createdAt, after.id);
    }
    // A failure class is rare among all rows, so its index is the one to walk in created order;
    // left to itself the optimizer may walk a status index and filter out nearly every row.
    const index = input.errorType ? ` USE INDEX (${input.status ? 'idx_error_type_status_created' : 'idx_error_type_created'})` : '';
    this.rows ??= taskRowReader(this.dataSource);
    const sql = `${this.rows.selectFrom}${index}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
    const [rows, totalCount] = await orMysqlUnavailable(() =>
      Promise.all([this.dataSource.query(sql, [...parameters, limit, after ? 0 : offset]) as Promise<Record<string, unknown>[]>, this.countOf(input)]),
    );
    const tasks = rows.map((row) => this.rows!.toTask(row));
    const nextCursor = tasks.length === limit ? encodeTaskCursor(tasks[tasks.length - 1]) : null;
    return { tasks, totalCount, limit, offset, nextCursor };
  }

  /** How many tasks match the filter. */
  async getTaskCount(filter: TaskFilter = {}): Promise<number> {
    this.assertValid(filterProblems(filter, this.options));
    return orMysqlUnavailable(() => this.countOf(filter));
  }

  /**
   * Cancels a pending or running task: the row becomes `cancelled` first (so no attempt can
   * start or finish over it), then a waiting job is removed and a running handler's
   * AbortSignal fires. Throws {@link TaskNotFoundError} or {@link TaskNotCancellableError}.
   */
  async cancelTask(taskId: string): Promise<CancelledTask> {
    const task = await this.getTaskStatus(taskId);
    if (isFinalStatus(task.status)) throw new TaskNotCancellableError(taskId, task.status);
    if (!(await orMysqlUnavailable(() => this.writer.cancel(taskId)))) {
      // It finished between the read and the write.
      throw new TaskNotCancellableError(taskId, (await this.getTaskStatus(taskId)).status);
    }
    return { taskId, ...(await this.canceller.stopJob(task.taskType, taskId)) };
  }

  /**
   * Starts a new round of attempts for a failed or cancelled task (see TaskResubmitter for what
   * the row keeps). Throws {@link TaskNotFoundError}, or {@link TaskNotRetryableError} (409)
   * for any other state and while the old round's handler still runs.
   */
  async retryTask(taskId: string): Promise<EnqueuedTask> {
    const task = await this.getTaskStatus(taskId);
    await this.resubmitter.resubmit(task);
    return { ...existingView(task), runAt: null };
  }

  /** The periodic tasks and when each runs next. */
  async getSchedules(): Promise<TaskScheduleView[]> {
    return orRedisUnavailable(() => this.schedules.list());
  }

  /**
   * Deletes finished rows older than `maxAgeMs` (default: the `retention.finishedMaxAgeMs`
   * option) now, in batches; the scheduled cleanup calls the same. Returns how many went.
   */
  async purgeFinishedTasks(maxAgeMs?: number): Promise<number> {
    if (maxAgeMs !== undefined && !(maxAgeMs >= 0)) throw new InvalidTaskRequestError(['maxAgeMs must be >= 0']);
    return orMysqlUnavailable(() => this.retention.purgeFinished(maxAgeMs));
  }

  /**
   * Exact counts from `background_task_counts`, which triggers keep in step with every write
   * to `background_tasks`: a sum over at most 16 slots per (type, status, error class),
   * whatever the size of the table.
   */
  private async countOf(filter: TaskFilter): Promise<number> {
    const { where, parameters } = whereOf(filter);
    const [row]: { total: string | number | null }[] = await this.dataSource.query(
      `SELECT SUM(count) AS total FROM background_task_counts${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`,
      parameters,
    );
    return Number(row?.total ?? 0);
  }

  private assertValid(problems: string[]): void {
    if (problems.length > 0) throw new InvalidTaskRequestError(problems);
  }
}

/** A new task as callers see it (without its params). */
function publicView({ taskId, taskName, taskType, priority, maxRetries, runAt }: NewTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: true, runAt };
}

/** The task an idempotency key already named. */
function existingView({ taskId, taskName, taskType, priority, maxRetries, runAt }: BackgroundTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: false, runAt };
}

/** The filter as SQL conditions; the same columns exist in the task and counter tables. */
function whereOf(filter: TaskFilter): { where: string[]; parameters: unknown[] } {
  const where: string[] = [];
  const parameters: unknown[] = [];
  if (filter.status) {
    where.push('status = ?');
    parameters.push(filter.status);
  }
  if (filter.taskType) {
    where.push('task_type = ?');
    parameters.push(filter.taskType);
  }
  if (filter.errorType) {
    where.push('error_type = ?');
    parameters.push(filter.errorType);
  }
  return { where, parameters };
}
