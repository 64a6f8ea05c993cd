import { Inject, Injectable, Logger } from '@nestjs/common';
import { InvalidTaskRequestError, TasksUnavailableError } from '../errors/tasks.errors.js';
import type { ResolvedTasksOptions } from '../interfaces/tasks-module-options.interface.js';
import type { BulkEnqueueOutcome, EnqueuedTask, EnqueueTaskInput } from '../interfaces/tasks-service.interfaces.js';
import { TasksMetrics, type DeduplicationKey } from '../metrics/tasks-metrics.js';
import { TaskJobs } from '../queue/task-jobs.js';
import type { BackgroundTask } from '../store/background-task.entity.js';
import { GroupCommitQueue, ItemFailure, MAX_BATCH_TEXT } from '../store/group-commit.queue.js';
import { TaskDeletes } from '../store/task-deletes.js';
import { isDuplicateKeyError, TaskRepository } from '../store/task.repository.js';
import type { KeyedTaskRow, NewTask } from '../store/pending-insert.js';
import { TaskHandlerRegistry } from '../task-handler.registry.js';
import { MAX_BULK_ENQUEUE } from '../tasks.constants.js';
import { TASKS_OPTIONS } from '../tasks.module-definition.js';
import { paramsDtoProblems } from './params-dto.validator.js';
import { enqueueProblems, expiryTime, parseRunAt } from './task-request.validator.js';
import { newTaskId } from './task-id.js';
import { orMysqlUnavailable } from './unavailable.js';
import { isolatingBadItems } from './isolated-writes.js';
import { RetractedTasks } from './retracted-tasks.js';

/**
 * Most tasks in one batch (one INSERT, then their jobs), and batches in flight at once. A bulk call of
 * 1,000 goes out as four overlapping batches, so MySQL inserts one while Node and Redis add the
 * jobs of another. Measured (40k tasks in bulk calls of 1,000, three rounds): 250 per batch
 * 13.5-18.8k tasks/s against 10.0-14.8k/s with the whole call in one batch.
 */
const MAX_BATCH = 250;
const MAX_CONCURRENT_BATCHES = 4;
/**
 * Smallest share when a backlog is split among batches: 50 callers released together by one
 * batch go out as two batches of 25, one answered while the other is still being added.
 */
const MIN_SPLIT = 25;

/** A validated task with a singleton key. */
export type KeyedTask = NewTask & KeyedTaskRow;
export const hasSingletonKey = (task: NewTask): task is KeyedTask => task.singletonKey !== undefined;
/** A batch's params stay under MAX_BATCH_TEXT: 250 tasks with 64 KiB each would be over MySQL's packet limit. */
const BATCH_WEIGHT = { of: (task: NewTask) => task.paramsJson.length, max: MAX_BATCH_TEXT };

/**
 * Enqueue: validates the request, records the row (`pending`), then queues its job, whose id
 * is the task id (the row is the outbox). Group-committed: the tasks submitted while a batch
 * is being written go out together as one multi-row `INSERT` (one commit), then their jobs, sent
 * together. When Redis refuses a task's job, its row is deleted again and its caller gets
 * {@link TasksUnavailableError}, so nothing is left half-created; the batch's other tasks stand.
 */
@Injectable()
export class EnqueueTaskCommand {
  private readonly logger = new Logger(EnqueueTaskCommand.name);
  private readonly batches = new GroupCommitQueue(isolatingBadItems((tasks: NewTask[]) => this.writeBatch(tasks)), MAX_BATCH, MAX_CONCURRENT_BATCHES, MIN_SPLIT, BATCH_WEIGHT);
  // The reads of idempotency keys before their tasks are written, many in one query.
  private readonly keyLookups = new GroupCommitQueue((keys: string[]) => this.findByKeys(keys), MAX_BATCH, MAX_CONCURRENT_BATCHES);
  // Tasks with a singleton key: group-committed as well, each batch one transaction that claims its keys.
  private readonly keyedBatches = new GroupCommitQueue(isolatingBadItems((tasks: KeyedTask[]) => this.writeKeyed(tasks)), MAX_BATCH, MAX_CONCURRENT_BATCHES, MIN_SPLIT, BATCH_WEIGHT);

  constructor(
    @Inject(TASKS_OPTIONS) private readonly options: ResolvedTasksOptions,
    private readonly registry: TaskHandlerRegistry,
    private readonly repository: TaskRepository,
    private readonly deletes: TaskDeletes,
    private readonly jobs: TaskJobs,
    private readonly metrics: TasksMetrics,
    private readonly retracted: RetractedTasks,
  ) {}

  /**
   * Resolves once the task's row and job exist (or with the task its idempotency key or its
   * singleton key already names). Not an async function, and a plain task waits on its batch's
   * promise with no closure around it: a bulk call makes a thousand of these at once, and every
   * async frame and closure they kept alive until the batch was written was garbage to collect
   * (see bench/FINDINGS.md).
   */
  enqueue(input: EnqueueTaskInput): Promise<EnqueuedTask> {
    let task: NewTask;
    try {
      task = this.prepare(input);
    } catch (error) {
      return this.refused(error);
    }
    const written = hasSingletonKey(task) ? this.once(task, () => this.keyedBatches.submit(task))
      : task.idempotencyKey === undefined ? this.batches.submit(task)
      : this.once(task, () => this.batches.submit(task));
    return written.catch(this.refused);
  }

  /**
   * Counts a refused enqueue (`background_tasks_enqueue_rejected_total`) and rejects with its
   * error. A bound property: every enqueue's `catch` takes this one function, not a closure of its own.
   */
  private readonly refused = (error: unknown): Promise<never> => {
    this.metrics.enqueueRejected(error instanceof InvalidTaskRequestError ? 'invalid' : error instanceof TasksUnavailableError ? 'unavailable' : 'error');
    return Promise.reject(error);
  };

  /** Each input enqueued on its own (together in one batch): in order, its task or the error that kept it out. */
  async enqueueMany(inputs: EnqueueTaskInput[]): Promise<BulkEnqueueOutcome[]> {
    if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > MAX_BULK_ENQUEUE) {
      throw new InvalidTaskRequestError([`tasks must hold 1 to ${MAX_BULK_ENQUEUE} tasks`]);
    }
    return Promise.all(inputs.map((input) => this.enqueue(input).then((task) => ({ task }), outcomeOfError)));
  }

  /**
   * `write`, unless a task with the task's idempotency key (if it has one) exists, which is
   * returned (`created: false`). The unique index decides a race, also between processes: the
   * loser's INSERT fails with a duplicate key (its batch written again one task at a time, see
   * isolatingBadItems; its transaction undone, a singleton key's claim included) and it returns
   * the winner.
   */
  private async once(task: NewTask, write: () => Promise<EnqueuedTask>): Promise<EnqueuedTask> {
    const key = task.idempotencyKey;
    if (key === undefined) return write();
    const existing = await this.keyLookups.submit(key);
    if (existing) return this.answerExisting(existing, 'idempotency');
    try {
      return await write();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await this.keyLookups.submit(key);
      if (!winner) throw new TasksUnavailableError('MySQL');
      return this.answerExisting(winner, 'idempotency');
    }
  }

  /** The task each idempotency key names, or null. */
  private async findByKeys(keys: string[]): Promise<Array<BackgroundTask | null>> {
    const found = await orMysqlUnavailable(() => this.repository.findByIdempotencyKeys(keys));
    return keys.map((key) => found.get(key) ?? null);
  }

  /** The task a key found, answered instead of a new one (and counted: `background_tasks_enqueue_deduplicated_total`). */
  answerExisting(task: BackgroundTask, key: DeduplicationKey): EnqueuedTask {
    this.metrics.enqueueDeduplicated(key);
    return existingView(task);
  }

  /**
   * Writes a batch of tasks with singleton keys in one transaction: the first task of each key
   * takes it, unless an unfinished task holds it (then that task is the answer, `created: false`,
   * and nothing is written); the batch's other tasks with the key are answered with the one that
   * took it. Should Redis refuse a new task's job, its row goes again, and with it its hold on the key.
   */
  private async writeKeyed(tasks: KeyedTask[]): Promise<Array<EnqueuedTask | ItemFailure>> {
    const takers = new Map<string, KeyedTask>();
    for (const task of tasks) if (!takers.has(task.singletonKey)) takers.set(task.singletonKey, task);
    const holders = await this.retracted.inserting([...takers.values()], () => this.repository.insertSingletons([...takers.values()]));
    const created = [...takers.values()].filter((task) => !holders.has(task.singletonKey));
    const refusals = await this.addJobsOrUndo(created);
    const added = new Map(created.map((task, index) => [task, refusals[index]]));
    return tasks.map((task) => {
      const holder = holders.get(task.singletonKey);
      if (holder) return this.answerExisting(holder, 'singleton');
      const taker = takers.get(task.singletonKey)!;
      const outcome = added.get(taker);
      if (outcome instanceof ItemFailure) return outcome;
      if (taker === task) return newView(task);
      this.metrics.enqueueDeduplicated('singleton');
      return { ...newView(taker), created: false };
    });
  }

  /**
   * Validates a request and gives the task its id and defaults: the request's own, else its
   * handler's, else the module's (throws InvalidTaskRequestError). A workflow's `step` takes
   * no expiry, its handler's neither: it is due only once its predecessors are done.
   */
  prepare(input: EnqueueTaskInput, step = false): NewTask {
    const handler = this.registry.find(input.taskName);
    const problems = enqueueProblems(input, handler?.queue, this.options);
    if (problems.length === 0 && handler?.paramsType) problems.push(...paramsDtoProblems(handler.paramsType, input.params ?? {}));
    if (problems.length > 0 || !handler) throw new InvalidTaskRequestError(problems);
    const now = Date.now();
    const delayMs = input.runAt !== undefined ? Math.max(0, parseRunAt(input.runAt)! - now) : (input.delaySeconds ?? 0) * 1000;
    const { defaults } = handler;
    const defaultExpiry = step || defaults.expiresInSeconds === undefined ? undefined : now + delayMs + defaults.expiresInSeconds * 1000;
    const expiresAt = expiryTime(input, now) ?? defaultExpiry;
    const params = input.params ?? {};
    return {
      taskId: newTaskId(),
      taskName: input.taskName,
      taskType: handler.queue.taskType,
      priority: input.priority ?? defaults.priority ?? handler.queue.defaultPriority,
      maxRetries: input.maxRetries ?? defaults.maxRetries ?? this.options.retry.maxRetries,
      params,
      paramsJson: JSON.stringify(params),
      delayMs,
      // Taken before the job is added, so the job is never due before the time reported.
      runAt: delayMs > 0 ? new Date(now + delayMs) : null,
      timeoutSeconds: input.timeoutSeconds,
      idempotencyKey: input.idempotencyKey,
      singletonKey: input.singletonKey,
      expiresAt: expiresAt === undefined ? null : new Date(expiresAt),
    };
  }

  /**
   * Records the batch's rows, then adds each task's job. A task whose job Redis refused has its
   * row deleted again and fails alone ({@link TasksUnavailableError}); the others are enqueued.
   */
  private async writeBatch(tasks: NewTask[]): Promise<Array<EnqueuedTask | ItemFailure>> {
    await this.retracted.inserting(tasks, () => this.repository.insertPending(tasks));
    const refusals = await this.addJobsOrUndo(tasks);
    return tasks.map((task, index) => refusals[index] ?? newView(task));
  }

  /** Adds the jobs of recorded tasks; a task whose job Redis refused loses its row again and fails alone. */
  private async addJobsOrUndo(tasks: NewTask[]): Promise<Array<void | ItemFailure>> {
    const refusals = await this.jobs.addEach(tasks.map((task) => ({ task, attempts: task.maxRetries + 1, delayMs: task.delayMs })));
    const refused = tasks.filter((_, index) => refusals[index]);
    if (refused.length === 0) return tasks.map(() => undefined);
    this.logger.warn(`Enqueue of ${refused.length} task(s) refused by Redis: ${refusals.find(Boolean)!.message}`);
    await this.deletes.deletePending(refused.map((task) => task.taskId)).catch((cleanup: Error) => {
      this.logger.warn(`Rows of refused tasks not deleted yet (tried again while that is safe, see RetractedTasks): ${cleanup.message}`);
      this.retracted.retract(refused);
    });
    return refusals.map((error) => (error ? new ItemFailure(new TasksUnavailableError('Redis')) : undefined));
  }
}

/** A refused item of a bulk enqueue: 400 (the request is wrong) or 503 (MySQL or Redis away). */
function outcomeOfError(error: unknown): BulkEnqueueOutcome {
  if (error instanceof InvalidTaskRequestError) return { error: { statusCode: 400, message: error.reasons } };
  if (error instanceof TasksUnavailableError) return { error: { statusCode: 503, message: [error.message] } };
  throw error;
}

/** A new task as callers see it (without its params). */
export function newView({ taskId, taskName, taskType, priority, maxRetries, runAt, expiresAt }: NewTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: true, runAt, expiresAt: expiresAt ?? null };
}

/** The task a key already named (an idempotency key, or a singleton key its holder still holds). */
export function existingView({ taskId, taskName, taskType, priority, maxRetries, runAt, expiresAt }: BackgroundTask): EnqueuedTask {
  return { taskId, taskName, taskType, priority, maxRetries, created: false, runAt, expiresAt };
}
