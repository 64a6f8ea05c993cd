import type { RedisOptions } from 'ioredis';
import {
  defaultRetryStrategies,
  mergeRetryStrategies,
  retryStrategiesProblems,
  type ResolvedRetryStrategies,
  type TaskRetryStrategies,
} from './failures/retry-policy.js';
import { scheduleProblems, type TaskScheduleOptions } from './schedules/task-schedule.validator.js';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from './tasks.constants.js';
import { InvalidTasksOptionsError } from './errors/tasks.errors.js';

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
  /** The queues and their task types; defaults to the seed's four ({@link DEFAULT_TASK_QUEUES}). */
  queues?: TaskQueueOptions[];
  retry?: Partial<TaskRetryOptions>;
  jobRetention?: Partial<TaskJobRetentionOptions>;
  /** Largest accepted `params`, in bytes of its JSON. */
  maxParamsBytes?: number;
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
  /** Longest accepted `delay_seconds` (and farthest `run_at`). */
  maxDelaySeconds?: number;
  retention?: Partial<TaskRetentionOptions>;
  /** Periodic tasks (besides those declared with `@TaskHandler(name, { schedule })`). */
  schedules?: TaskScheduleOptions[];
}

/** BullMQ worker settings that decide how fast a dead worker's job is picked up again. */
export interface TaskWorkerTuning {
  /** How long a job's lock lasts without renewal (BullMQ `lockDuration`). */
  lockDurationMs: number;
  /** How often workers look for jobs whose lock expired (BullMQ `stalledInterval`). */
  stalledIntervalMs: number;
  /** How many times a job may stall before BullMQ fails it (BullMQ `maxStalledCount`). */
  maxStalledCount: number;
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
  shutdownGraceMs: number;
  shutdownAbortGraceMs: number;
  reconciler: TaskReconcilerOptions;
  cancelWaitMs: number;
  workers: TaskWorkerTuning;
  timeoutGraceMs: number;
  progressIntervalMs: number;
  maxDelaySeconds: number;
  retention: TaskRetentionOptions;
  schedules: TaskScheduleOptions[];
  /** The default strategies with `retry.strategies` over them. */
  retryStrategies: ResolvedRetryStrategies;
}

/** The seed's four task types and their queues. */
export const DEFAULT_TASK_QUEUES: readonly TaskQueueOptions[] = [
  { name: 'email', taskType: 'email', defaultPriority: 3, concurrency: 10, rateLimit: { max: 50, durationMs: 60_000 } },
  { name: 'reports', taskType: 'report', defaultPriority: 5, concurrency: 2 },
  { name: 'analytics', taskType: 'analytics', defaultPriority: 2, concurrency: 2 },
  { name: 'cleanup', taskType: 'cleanup', defaultPriority: 1, concurrency: 1 },
];

/** Injection token of the resolved options. */
export const TASKS_OPTIONS = Symbol('TASKS_OPTIONS');

/** Fills in every default, so the rest of the library reads plain values. */
export function resolveTasksOptions(options: TasksModuleOptions = {}): ResolvedTasksOptions {
  const resolved: ResolvedTasksOptions = {
    redis: options.redis ?? 'redis://127.0.0.1:6379',
    queuePrefix: options.queuePrefix ?? 'tasks',
    queues: (options.queues ?? DEFAULT_TASK_QUEUES).map((queue) => ({ ...queue })),
    retry: withDefaults({ maxRetries: 3, backoffDelayMs: 1000 }, options.retry),
    jobRetention: withDefaults({ completedAgeSeconds: 3600, failedAgeSeconds: 24 * 3600 }, options.jobRetention),
    maxParamsBytes: options.maxParamsBytes ?? 64 * 1024,
    shutdownGraceMs: options.shutdownGraceMs ?? 25_000,
    shutdownAbortGraceMs: options.shutdownAbortGraceMs ?? 3_000,
    reconciler: withDefaults({ intervalMs: 15_000, minAgeMs: 60_000, batchSize: 1000 }, options.reconciler),
    cancelWaitMs: options.cancelWaitMs ?? 2000,
    workers: withDefaults({ lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1 }, options.workers),
    timeoutGraceMs: options.timeoutGraceMs ?? 1000,
    progressIntervalMs: options.progressIntervalMs ?? 1000,
    maxDelaySeconds: options.maxDelaySeconds ?? 30 * 24 * 3600,
    retention: withDefaults({ finishedMaxAgeMs: 30 * 24 * 3600 * 1000, intervalMs: 3600 * 1000, batchSize: 1000 }, options.retention),
    schedules: (options.schedules ?? []).map((schedule) => ({ ...schedule })),
    retryStrategies: defaultRetryStrategies(1000),
  };
  resolved.retryStrategies = mergeRetryStrategies(defaultRetryStrategies(resolved.retry.backoffDelayMs), resolved.retry.strategies);
  assertValidOptions(resolved);
  return resolved;
}

/** `defaults` overridden by the fields of `given` that are set (an `undefined` keeps the default). */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const set = Object.entries(given ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) };
}

/** Fails the bootstrap on options that would only show up as odd behaviour later. */
function assertValidOptions(options: ResolvedTasksOptions): void {
  const names = new Set<string>();
  const types = new Set<string>();
  for (const queue of options.queues) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(queue.name)) {
      throw new InvalidTasksOptionsError(`queue name "${queue.name}" must be 1-64 characters of A-Z a-z 0-9 _ -`);
    }
    if (queue.name === 'tasks-internal') throw new InvalidTasksOptionsError('queue name "tasks-internal" is reserved for the library');
    if (names.has(queue.name)) throw new InvalidTasksOptionsError(`queue "${queue.name}" is declared twice`);
    if (types.has(queue.taskType)) {
      throw new InvalidTasksOptionsError(`task type "${queue.taskType}" is carried by two queues`);
    }
    names.add(queue.name);
    types.add(queue.taskType);
    const { defaultPriority, concurrency } = queue;
    if (!Number.isInteger(defaultPriority) || defaultPriority < MIN_PRIORITY || defaultPriority > MAX_PRIORITY) {
      throw new InvalidTasksOptionsError(`queue "${queue.name}": defaultPriority must be an integer 1..10`);
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidTasksOptionsError(`queue "${queue.name}": concurrency must be a positive integer`);
    }
    if (queue.globalConcurrency !== undefined && !(Number.isInteger(queue.globalConcurrency) && queue.globalConcurrency >= 1)) {
      throw new InvalidTasksOptionsError(`queue "${queue.name}": globalConcurrency must be a positive integer`);
    }
    if (queue.rateLimit && !(Number.isInteger(queue.rateLimit.max) && queue.rateLimit.max >= 1 && queue.rateLimit.durationMs >= 1)) {
      throw new InvalidTasksOptionsError(`queue "${queue.name}": rateLimit needs an integer max >= 1 and durationMs >= 1`);
    }
  }
  const problems = [
    ...retryStrategiesProblems(options.retry.strategies, 'retry.strategies'),
    ...options.schedules.flatMap((schedule, index) => scheduleProblems(schedule, `schedules[${index}]`)),
  ];
  if (problems.length > 0) throw new InvalidTasksOptionsError(problems.join('; '));
  const scheduleNames = options.schedules.map((schedule) => schedule.name);
  const twice = scheduleNames.find((name, index) => scheduleNames.indexOf(name) !== index);
  if (twice) throw new InvalidTasksOptionsError(`schedule "${twice}" is declared twice`);
  if (!(options.timeoutGraceMs >= 0) || !(options.progressIntervalMs >= 0)) {
    throw new InvalidTasksOptionsError('timeoutGraceMs and progressIntervalMs must be >= 0');
  }
  if (!(options.maxDelaySeconds >= 0)) throw new InvalidTasksOptionsError('maxDelaySeconds must be >= 0');
  const { finishedMaxAgeMs, intervalMs, batchSize } = options.retention;
  if (!(finishedMaxAgeMs >= 0) || !(intervalMs >= 1000) || !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new InvalidTasksOptionsError('retention needs finishedMaxAgeMs >= 0, intervalMs >= 1000 and an integer batchSize >= 1');
  }
  const { maxRetries, backoffDelayMs } = options.retry;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_RETRIES_LIMIT) {
    throw new InvalidTasksOptionsError(`retry.maxRetries must be an integer 0..${MAX_RETRIES_LIMIT}`);
  }
  if (!(backoffDelayMs >= 0)) throw new InvalidTasksOptionsError('retry.backoffDelayMs must be >= 0');
  if (!(options.maxParamsBytes > 0)) throw new InvalidTasksOptionsError('maxParamsBytes must be > 0');
  if (!(options.shutdownGraceMs >= 0) || !(options.shutdownAbortGraceMs >= 0)) {
    throw new InvalidTasksOptionsError('shutdownGraceMs and shutdownAbortGraceMs must be >= 0');
  }
}
