import type { EntityManager } from 'typeorm';
import type { BackgroundTask } from '../store/background-task.entity.js';
import type { TaskFilter } from '../store/task.repository.js';

export type { TaskFilter } from '../store/task.repository.js';

/** What `TasksService.enqueue` accepts. */
export interface EnqueueTaskInput {
  /** A task name some `@TaskHandler` registers, e.g. `orders.send_confirmation`. */
  taskName: string;
  /** Must be the type of the handler's queue; inferred from the handler when omitted. */
  taskType?: string;
  /** A JSON object handed to the handler; `{}` when omitted. */
  params?: Record<string, unknown>;
  /** 1..10, 10 first; the queue's default when omitted. */
  priority?: number;
  /** Retries after the first attempt, 0..25; the module's default when omitted. */
  maxRetries?: number;
  /** Start no sooner than this many seconds from now (0..`maxDelaySeconds`). */
  delaySeconds?: number;
  /** Or start no sooner than this time (a Date or an ISO 8601 string); not with `delaySeconds`. */
  runAt?: Date | string;
  /** Time limit of each attempt in seconds (1..86400), over the handler's own. */
  timeoutSeconds?: number;
  /**
   * Not started this many seconds from now, the task is not started at all: it is cancelled
   * as expired when a worker picks it up (a retry or a redelivery too). Must end after the
   * task is due; at most `maxDelaySeconds`. Not with `expiresAt`.
   */
  expiresInSeconds?: number;
  /** Or not started by this time (a Date or an ISO 8601 string), it is not started at all. */
  expiresAt?: Date | string;
  /**
   * At most one task per key: enqueueing again with a key already used returns that task
   * (`created: false`) instead of a new one, for as long as its row is kept. 1..255 characters.
   */
  idempotencyKey?: string;
  /**
   * At most one unfinished task per key (pg-boss's `singletonKey`): while a task with this key
   * is `pending` or `running`, enqueueing with it returns that task (`created: false`); once it
   * has finished, the key makes a new task. 1..255 characters. With an `idempotencyKey` too,
   * either one finding its task returns it.
   */
  singletonKey?: string;
}

/** What `TasksService.enqueue` returns once the row and the job exist. */
/** How an enqueue is written. */
export interface EnqueueOptions {
  /**
   * The EntityManager of an open transaction on the data source TasksModule uses: the row is
   * written in that transaction, the job added after it commits.
   */
  manager?: EntityManager;
}

export interface EnqueuedTask {
  taskId: string;
  taskName: string;
  taskType: string;
  priority: number;
  maxRetries: number;
  /** False when an earlier task with the same idempotency key was returned instead. */
  created: boolean;
  /** When the task is due (delayed tasks), else null. */
  runAt: Date | null;
  /** When the task expires if not started by then, else null. */
  expiresAt: Date | null;
}

/** One task's outcome in `enqueueMany`: the task, or why it was not enqueued. */
export type BulkEnqueueOutcome =
  | { task: EnqueuedTask; error?: undefined }
  | { task?: undefined; error: { statusCode: number; message: string[] } };

/** A filter that may also name a task name (the stats', the live events' and the bulk actions'), as `checkTaskFilter` takes it. */
export interface NamedTaskFilter extends TaskFilter {
  taskName?: string;
}

/** What `TasksService.listTasks` accepts: filters plus a page (limit 1..1000, default 100). */
export interface ListTasksInput extends TaskFilter {
  limit?: number;
  offset?: number;
  /**
   * Keyset pagination: the `nextCursor` of the previous page. Pages stay fast however deep
   * they go and do not shift when tasks are added; not combined with `offset`.
   */
  cursor?: string;
}

/** One page of tasks, newest first, and how many match in all. */
export interface TaskPage {
  tasks: BackgroundTask[];
  totalCount: number;
  limit: number;
  offset: number;
  /** The cursor of the next page, or null when this page is the last. */
  nextCursor: string | null;
}

/** The outcome of a successful `TasksService.cancelTask`. */
export interface CancelledTask {
  taskId: string;
  /** True when a worker (in any process) was running the task and its handler was signalled. */
  runningHandlerSignalled: boolean;
  /**
   * True when no handler runs the task any more: it was not running, or it stopped within
   * `cancelWaitMs` of the signal. False for a handler that ignores its signal, and for one
   * signalled after Redis had lost its job, or after its job was handed back to the queue (its
   * worker's lock expired: the worker stalled): nothing there tells when it stops.
   */
  handlerStopped: boolean;
}
