import { Injectable } from '@nestjs/common';
import { CancelTaskCommand } from './commands/cancel-task.command.js';
import { DeleteTaskCommand } from './commands/delete-task.command.js';
import { CancelWaitingCommand, type CancelledWaitingTasks } from './commands/cancel-waiting.command.js';
import { RetryFailedCommand, type RetriedFailedTasks } from './commands/retry-failed.command.js';
import type { TaskErrorType } from './failures/task-error-type.js';
import { CreateWorkflowCommand } from './commands/create-workflow.command.js';
import { EnqueueInTransactionCommand } from './commands/enqueue-in-transaction.command.js';
import { WorkflowRepository } from './store/workflow.repository.js';
import type { ChainStep, ChordStep, CreatedWorkflow, GroupStep, MemberFailurePolicy, WorkflowOptions, WorkflowStep } from './interfaces/workflow.interfaces.js';
import { EnqueueTaskCommand } from './commands/enqueue-task.command.js';
import { FindTasksQuery } from './commands/find-tasks.query.js';
import { PurgeFinishedCommand } from './commands/purge-finished.command.js';
import { RecountTasksCommand } from './commands/recount-tasks.command.js';
import { RetryTaskCommand } from './commands/retry-task.command.js';
import { WaitForTaskQuery, type WaitForTaskOptions } from './commands/wait-for-task.query.js';
import { orMysqlUnavailable, orRedisUnavailable } from './commands/unavailable.js';
import { concatMap, defer, type Observable } from 'rxjs';
import { TaskEventBus } from './events/task-event.bus.js';
import type { TaskEvent, TaskEventFilter } from './events/task-event.js';
import { TaskStatsQuery, type TaskStatsInput, type TaskStatsReport } from './stats/task-stats.query.js';
import { TaskStatsRepository } from './store/task-stats.repository.js';
import type { EnqueueOptions, BulkEnqueueOutcome, CancelledTask, EnqueuedTask, EnqueueTaskInput, ListTasksInput, NamedTaskFilter, TaskFilter, TaskPage } from './interfaces/tasks-service.interfaces.js';
import { TaskQueues, type QueueWorkers } from './queue/task-queues.js';
import { TaskSchedules, type TaskScheduleView } from './schedules/task-schedules.js';
import type { BackgroundTask } from './store/background-task.entity.js';
import { TaskReconciler, type ReconcilerStats } from './worker/task.reconciler.js';

/**
 * Enqueue, inspect, list, count, cancel and retry tasks; list schedules; purge old rows.
 * Inject it anywhere in the host app. A façade: each use-case is a command of its own.
 *
 * Errors are typed: InvalidTaskRequestError (400), TaskNotFoundError (404), TaskNotCancellableError,
 * TaskNotRetryableError and TaskNotDeletableError (409), TasksUnavailableError (503), TaskWaitTimeoutError (504).
 */
@Injectable()
export class TasksService {
  constructor(
    private readonly enqueuer: EnqueueTaskCommand,
    private readonly finder: FindTasksQuery,
    private readonly canceller: CancelTaskCommand,
    private readonly retrier: RetryTaskCommand,
    private readonly purger: PurgeFinishedCommand,
    private readonly recounter: RecountTasksCommand,
    private readonly schedules: TaskSchedules,
    private readonly reconciler: TaskReconciler,
    private readonly statistics: TaskStatsQuery,
    private readonly events: TaskEventBus,
    private readonly statisticsStore: TaskStatsRepository,
    private readonly transactional: EnqueueInTransactionCommand,
    private readonly workflows: CreateWorkflowCommand,
    private readonly workflowRows: WorkflowRepository,
    private readonly queues: TaskQueues,
    private readonly waiter: WaitForTaskQuery,
    private readonly purgeWaiting: CancelWaitingCommand,
    private readonly retryFailed: RetryFailedCommand,
    private readonly deleter: DeleteTaskCommand,
  ) {}

  /**
   * Records the task (row `pending`) and then queues its job, whose id is the task id. When
   * MySQL or Redis refuses, nothing is left half-created (a refused job's row is deleted
   * again). With an idempotency key already used, that task comes back (`created: false`).
   * With `{ manager }` (the EntityManager of your open TypeORM transaction) the row is written
   * in your transaction and the job added after it commits: a rollback leaves nothing, and a
   * process that dies after the commit leaves a row the reconciler queues (see README).
   */
  enqueue(input: EnqueueTaskInput, options: EnqueueOptions = {}): Promise<EnqueuedTask> {
    return options.manager ? this.transactional.enqueue(input, options.manager) : this.enqueuer.enqueue(input);
  }

  /**
   * Enqueues up to 1000 tasks at once, each validated on its own: the result lists, in order,
   * each task or the error that kept it out (400 for a bad request, 503 when MySQL or Redis
   * refused). The valid ones are written together, in overlapping batches of at most 250 (each
   * one INSERT, then the jobs sent together; a job Redis refuses fails its own task alone).
   * With `{ manager }`: all in your transaction, all or nothing (one invalid input refuses the
   * call with every problem listed), jobs after the commit.
   */
  enqueueMany(inputs: EnqueueTaskInput[], options: EnqueueOptions = {}): Promise<BulkEnqueueOutcome[]> {
    return options.manager ? this.transactional.enqueueMany(inputs, options.manager) : this.enqueuer.enqueueMany(inputs);
  }

  /**
   * The task's row; throws TaskNotFoundError for an unknown id. With `timeoutMs`, a long poll:
   * the row once the task is final, or as it is when `timeoutMs` has passed (see waitForTask).
   */
  getTaskStatus(taskId: string, options?: WaitForTaskOptions): Promise<BackgroundTask> {
    return options?.timeoutMs ? this.waiter.finalOrCurrent(taskId, options) : this.finder.get(taskId);
  }

  /**
   * The task's row once it is completed, failed or cancelled (any process may run it), as
   * Celery's `AsyncResult.get(timeout)`. Rejects with TaskWaitTimeoutError (504) when `timeoutMs`
   * passes first, with the signal's reason when `signal` aborts, TaskNotFoundError (404) for an
   * unknown id. A failed task resolves too: read its `status` and `errorMessage`.
   */
  waitForTask(taskId: string, options: WaitForTaskOptions = {}): Promise<BackgroundTask> {
    return this.waiter.wait(taskId, options);
  }

  /** A page of tasks, newest first, with the number of all tasks that match the filter. */
  listTasks(input: ListTasksInput = {}): Promise<TaskPage> {
    return this.finder.list(input);
  }

  /** How many tasks match the filter. */
  getTaskCount(filter: TaskFilter = {}): Promise<number> {
    return this.finder.count(filter);
  }

  /** Resolves when listTasks and getTaskCount would take the filter (stats, workers and events check theirs so), else throws InvalidTaskRequestError. */
  checkTaskFilter(filter: NamedTaskFilter): Promise<void> {
    return this.finder.assertValidFilter(filter);
  }

  /**
   * Cancels a pending or running task: the task is marked in Redis, the row becomes `cancelled`,
   * then a waiting job is removed and a running handler's AbortSignal fires, wherever it runs;
   * no handler of the task starts after this returns. Throws TasksUnavailableError when MySQL
   * or Redis is down (nothing changed then).
   */
  cancelTask(taskId: string): Promise<CancelledTask> {
    return this.canceller.cancel(taskId);
  }

  /**
   * Celery's `purge`: cancels, as `cancelTask` does, every pending task of `taskType` (of
   * `taskName` only, if given) enqueued before the call; not workflow steps. Says how many.
   */
  cancelWaitingTasks(taskType: string, taskName?: string): Promise<CancelledWaitingTasks> {
    return this.purgeWaiting.cancelWaiting(taskType, taskName);
  }

  /** Starts a new round of attempts for a failed or cancelled task (same task id). */
  retryTask(taskId: string): Promise<EnqueuedTask> {
    return this.retrier.retry(taskId);
  }

  /** Retries, as `retryTask` does, every failed task of `taskType` (of `errorType`, of `taskName`, if given). Says how many. */
  retryFailedTasks(taskType: string, options: { errorType?: TaskErrorType; taskName?: string } = {}): Promise<RetriedFailedTasks> {
    return this.retryFailed.retryFailed(taskType, options);
  }

  /** The periodic tasks and when each runs next. */
  getSchedules(): Promise<TaskScheduleView[]> {
    return orRedisUnavailable(() => this.schedules.list());
  }

  /**
   * The workers serving each queue now, over every process (of one task type, if given); `workers`
   * is null where Redis refuses to list its clients. A retired type has no queue; a typo is refused.
   */
  getWorkers(taskType?: string): Promise<QueueWorkers[]> {
    return this.checkTaskFilter({ taskType }).then(() => orRedisUnavailable(() => this.queues.workers(taskType)));
  }

  /** Deletes a finished task's row, or a finished workflow whole by its id; never an unfinished task nor a step (TaskNotDeletableError). */
  deleteTask(taskId: string): Promise<void> {
    return this.deleter.delete(taskId);
  }

  /** Deletes finished rows older than `maxAgeMs` (default: `retention.finishedMaxAgeMs`) now, in batches; returns how many went. */
  purgeFinishedTasks(maxAgeMs?: number): Promise<number> {
    return this.purger.purge(maxAgeMs);
  }

  /** Rebuilds the exact counts from the rows, after writes the library did not make; returns how many rows were counted. */
  recountTasks(): Promise<number> {
    return this.recounter.recount();
  }

  /** How many repairs the reconciler of this process has made since it started. */
  getReconcilerStats(): ReconcilerStats {
    return this.reconciler.getStats();
  }

  /** One reconciler pass now, in this process (whatever its role): after Redis lost its data, say. Returns the stats after it. */
  reconcileNow(): Promise<ReconcilerStats> {
    return this.reconciler.reconcileOnce().then(() => this.reconciler.getStats());
  }

  /**
   * Per task type and name over a window ending now (default 24 h): outcomes, success rate, duration
   * percentiles, throughput, exact counts and queue depth; read from a small summary, fast at any size.
   */
  getTaskStats(input?: TaskStatsInput): Promise<TaskStatsReport> {
    return this.statistics.stats(input);
  }

  /** Refills the stats summary from the finished rows, after writes the library did not make (purged rows' history is lost). */
  rebuildTaskStats(): Promise<void> {
    return orMysqlUnavailable(() => this.statisticsStore.rebuild());
  }

  /** The newest task event's id, to subscribe from now on. */
  latestTaskEventId(): Promise<string> {
    return orRedisUnavailable(() => this.events.latestId());
  }

  /**
   * Committed status and progress changes of tasks (all processes) matching the filter, after
   * the event `afterId` (while Redis still holds it: the last 10,000 events), then live; a typo'd type errors.
   */
  taskEvents(filter: TaskEventFilter, afterId: string): Observable<TaskEvent> {
    return defer(() => this.checkTaskFilter({ taskType: filter.taskType, taskName: filter.taskName })).pipe(concatMap(() => this.events.subscribe(filter, afterId)));
  }

  /**
   * A chain: `steps` run one after another, each receiving the previous one's result
   * (`context.previousResult`); a step that fails (after its retries) fails the chain and the
   * steps after it end `cancelled`. Steps may be tasks or nested `{ chain }`, `{ group }`,
   * `{ chord }`. Validated whole first: a bad workflow creates nothing (InvalidTaskRequestError
   * naming each problem by its path). With `{ manager }`, written in your transaction; `onFailure` runs if it fails.
   */
  chain(steps: WorkflowStep[], options: WorkflowOptions = {}): Promise<CreatedWorkflow> {
    return this.workflows.create({ chain: steps, onFailure: options.onFailure }, 'chain', options.manager);
  }

  /** A group: `members` run at once; it finishes when all have, its result their results in order. */
  group(members: WorkflowStep[], options: WorkflowOptions & { onMemberFailure?: MemberFailurePolicy } = {}): Promise<CreatedWorkflow> {
    return this.workflows.create({ group: members, onMemberFailure: options.onMemberFailure, onFailure: options.onFailure }, 'group', options.manager);
  }

  /**
   * A chord: a group, then `callback`, which receives the members' results in order. With
   * `onMemberFailure: 'fail'` (default) the callback runs only when every member completed
   * (else the chord fails and the callback is cancelled); with `continue` it always runs and
   * receives each member's `{ status, result, error }`.
   */
  chord(members: WorkflowStep[], callback: WorkflowStep, options: WorkflowOptions & { onMemberFailure?: MemberFailurePolicy } = {}): Promise<CreatedWorkflow> {
    return this.workflows.create({ chord: members, callback, onMemberFailure: options.onMemberFailure, onFailure: options.onFailure }, 'chord', options.manager);
  }

  /** A workflow described as one tree (`{ chain }`, `{ group }` or `{ chord, callback }`), as `POST /workflows` takes it. */
  workflow(root: ChainStep | GroupStep | ChordStep, options: EnqueueOptions = {}): Promise<CreatedWorkflow> {
    const kind = 'chain' in root ? 'chain' : 'group' in root ? 'group' : 'chord';
    return this.workflows.create(root, kind, options.manager);
  }

  /** The steps or members of a workflow row, in order, and the workflow's tasks by status. */
  async getWorkflowSteps(taskId: string): Promise<{ steps: BackgroundTask[]; summary: Record<string, number> }> {
    const task = await this.finder.get(taskId);
    const [steps, summary] = await orMysqlUnavailable(() =>
      Promise.all([this.workflowRows.findChildren(task.taskId), this.workflowRows.summary(task.workflowId ?? task.taskId)]),
    );
    return { steps, summary };
  }
}
