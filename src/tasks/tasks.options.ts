import type { RedisOptions } from 'ioredis';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from './tasks.constants.js';
import { InvalidTasksOptionsError } from './tasks.errors.js';

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
}

/** How failed attempts are retried. */
export interface TaskRetryOptions {
  /** `max_retries` of a task enqueued without one. */
  maxRetries: number;
  /** First backoff delay; attempt n waits `backoffDelayMs * 2^(n-1)`. */
  backoffDelayMs: number;
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
}

/** The seed's four task types and their queues. */
export const DEFAULT_TASK_QUEUES: readonly TaskQueueOptions[] = [
  { name: 'email', taskType: 'email', defaultPriority: 3, concurrency: 10 },
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
  };
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
