import type { RedisOptions } from 'ioredis';
import type { ResolvedRetryStrategies, TaskRetryStrategies } from '../failures/retry-policy.js';

/** One BullMQ queue and the task type it carries. */
export interface TaskQueueOptions {
  /** BullMQ queue name, e.g. `reports`. */
  name: string;
  /** The `task_type` of the tasks on this queue, e.g. `report`. */
  taskType: string;
  /** Priority (1..10, 10 first) of a task enqueued without one. */
  defaultPriority: number;
  /** Jobs one worker process runs at once on this queue. */
  concurrency: number;
  /** Jobs running at once on this queue over all worker processes (BullMQ global concurrency). */
  globalConcurrency?: number;
  /** At most `max` jobs start per `durationMs` on this queue, over all worker processes. */
  rateLimit?: TaskQueueRateLimit;
}

/** A queue's rate limit (BullMQ's limiter, kept in Redis, so every worker process shares it). */
export interface TaskQueueRateLimit {
  max: number;
  durationMs: number;
}

/** How failed attempts are retried. */
export interface TaskRetryOptions {
  /** `max_retries` of a task enqueued without one. */
  maxRetries: number;
  /** Base delay of the default strategies; attempt n waits `backoffDelayMs * 2^(n-1)`. */
  backoffDelayMs: number;
  /** Retry strategy per failure class (timeout, network, …) over the defaults. */
  strategies?: TaskRetryStrategies;
}

/** The finished rows kept in MySQL, and the built-in cleanup that purges older ones. */
export interface TaskRetentionOptions {
  /** Finished rows (completed, failed, cancelled) older than this are deleted; 0 keeps them forever. */
  finishedMaxAgeMs: number;
  /** How often the cleanup runs (once per interval over all worker processes). */
  intervalMs: number;
  /** Rows deleted per statement, so a purge never holds long locks. */
  batchSize: number;
}

/** How long BullMQ keeps finished jobs in Redis; MySQL keeps the history. */
export interface TaskJobRetentionOptions {
  /** Seconds a completed job stays in Redis. */
  completedAgeSeconds: number;
  /** Seconds a failed job stays in Redis. */
  failedAgeSeconds: number;
}

/** Options of `TasksModule.forRoot` / `forRootAsync`. Every field has a default. */
export interface TasksModuleOptions {
  /** Redis URL (`redis://user:pass@host:port/db`) or ioredis options. */
  redis?: string | RedisOptions;
  /** BullMQ key prefix; use a hash tag (`{tasks}`) on Redis Cluster. */
  queuePrefix?: string;
  /** The queues and their task types; default: one queue `default` carrying task type `default`. */
  queues?: TaskQueueOptions[];
  retry?: Partial<TaskRetryOptions>;
  jobRetention?: Partial<TaskJobRetentionOptions>;
  /** Largest accepted `params`, in bytes of its JSON. */
  maxParamsBytes?: number;
  /**
   * Largest handler result kept, in bytes of JSON (default 1 MiB): a larger one fails its task
   * at once, without retries (`validation`). Must be at most a third of MySQL's `max_allowed_packet`
   * (checked at startup), as must `maxParamsBytes`.
   */
  maxResultBytes?: number;
  /**
   * On shutdown, how long running handlers may take to finish before their AbortSignal fires;
   * a handler still running `shutdownAbortGraceMs` later is handed back to the queue.
   */
  shutdownGraceMs?: number;
  shutdownAbortGraceMs?: number;
  reconciler?: Partial<TaskReconcilerOptions>;
  /** How long a cancel waits for a running handler to stop after its AbortSignal fired. */
  cancelWaitMs?: number;
  /** BullMQ's crash detection: how soon a job whose worker died runs again. */
  workers?: Partial<TaskWorkerTuning>;
  /** After an attempt's time limit fired its AbortSignal, how long it may take to return before it fails as timed out. */
  timeoutGraceMs?: number;
  /** Progress reports of one attempt are written to MySQL at most once per this interval (the latest wins). */
  progressIntervalMs?: number;
  /**
   * How long a handler runs before its row says `running` (ms). A handler that ends sooner costs
   * one row write (start and outcome together, `started_at` still its real start); progress
   * reports are written from then on. 0: `running` is written before every handler starts.
   */
  runningWriteDelayMs?: number;
  /** Longest accepted `delay_seconds` (and farthest `run_at`). */
  maxDelaySeconds?: number;
  retention?: Partial<TaskRetentionOptions>;
  /** Periodic tasks (besides those declared with `@TaskHandler(name, { schedule })`). */
  schedules?: TaskScheduleOptions[];
  /** How long the module waits for Redis at startup before failing with RedisUnreachableError. */
  startupTimeoutMs?: number;
  /**
   * The queues this process's workers serve (e.g. `['email']`), so each queue's workers scale
   * apart; default: every queue with a handler. Env in the demo and CLI: `TASKS_WORKER_QUEUES`.
   */
  workerQueues?: string[];
  /**
   * A port on which the process answers `/health/live`, `/health/ready` and `/metrics` over
   * plain HTTP, for processes with no HTTP server of their own (`role: 'worker'`); default off.
   */
  probePort?: number;
  /** The address the probe port binds to; default `127.0.0.1` (`0.0.0.0` for Kubernetes probes). */
  probeHost?: string;
}

/** BullMQ worker settings that decide how fast a dead worker's job is picked up again. */
export interface TaskWorkerTuning {
  /** How long a job's lock lasts without renewal (BullMQ `lockDuration`). */
  lockDurationMs: number;
  /** How often workers look for jobs whose lock expired (BullMQ `stalledInterval`). */
  stalledIntervalMs: number;
  /** How many times a job may stall before BullMQ fails it (BullMQ `maxStalledCount`). */
  maxStalledCount: number;
  /**
   * How often a worker process reads from MySQL whether the tasks it runs were cancelled, and
   * aborts those: the way a cancel reaches a handler when Redis lost the cancel's message. 0: off.
   */
  cancelCheckIntervalMs: number;
  /**
   * A job whose task this process has no handler for goes back to its queue (tried again every
   * 5 s, by whichever worker takes it) until this long after it was due, then fails: during a
   * rolling deploy that adds a task, old workers leave its jobs to the new ones. 0: fails at once.
   */
  missingHandlerGraceMs: number;
}

/** The crash reconciler of worker processes. */
export interface TaskReconcilerOptions {
  /** Time between passes; 0 turns the reconciler off. */
  intervalMs: number;
  /** Rows younger than this (since created, or since started when running) are left alone. */
  minAgeMs: number;
  /** Unfinished rows examined per pass, oldest first. */
  batchSize: number;
}

/** The options with every default filled in. */
export interface ResolvedTasksOptions {
  redis: string | RedisOptions;
  queuePrefix: string;
  queues: TaskQueueOptions[];
  retry: TaskRetryOptions;
  jobRetention: TaskJobRetentionOptions;
  maxParamsBytes: number;
  maxResultBytes: number;
  shutdownGraceMs: number;
  shutdownAbortGraceMs: number;
  reconciler: TaskReconcilerOptions;
  cancelWaitMs: number;
  workers: TaskWorkerTuning;
  timeoutGraceMs: number;
  progressIntervalMs: number;
  runningWriteDelayMs: number;
  maxDelaySeconds: number;
  retention: TaskRetentionOptions;
  schedules: TaskScheduleOptions[];
  startupTimeoutMs: number;
  /** Undefined: every queue with a handler. */
  workerQueues?: string[];
  probePort?: number;
  probeHost: string;
  /** The default strategies with `retry.strategies` over them. */
  retryStrategies: ResolvedRetryStrategies;
}

/** A periodic task: a cron pattern or a fixed interval, and what to enqueue each time. */
export interface TaskScheduleOptions {
  /** Unique name of the schedule (letters, digits, `._-`). */
  name: string;
  /** The task each run enqueues; a `@TaskHandler` must register it. */
  taskName: string;
  /** Cron pattern (5 fields, or 6 with seconds first), e.g. `0 3 * * *`. */
  cron?: string;
  /** Or a fixed interval in milliseconds (at least 1000). */
  everyMs?: number;
  /** IANA time zone of the cron pattern (default UTC). */
  tz?: string;
  params?: Record<string, unknown>;
  /** 1..10; the queue's default when omitted. */
  priority?: number;
  /**
   * Each run's task expires this many seconds after it is enqueued (`expiresInSeconds` of an
   * enqueue): runs that wait longer, e.g. while no worker serves the queue, are not started
   * but cancelled as expired. Often the interval, so that a backlog does not run late.
   */
  expiresInSeconds?: number;
  /**
   * False: a run is skipped (nothing enqueued) while the schedule's previous run is still
   * pending or running, as a singleton key `schedule:<name>` does. Default true: runs may overlap.
   */
  overlap?: boolean;
}

/** `@TaskHandler(name, { schedule })`: a schedule of the handler's own task (named after it). */
export type TaskHandlerSchedule = Omit<TaskScheduleOptions, 'name' | 'taskName'> & { name?: string };
