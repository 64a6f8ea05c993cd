import { InvalidTasksOptionsError } from './errors/bootstrap.errors.js';
import { defaultRetryStrategies, mergeRetryStrategies, retryStrategiesProblems } from './failures/retry-policy.js';
import type { ResolvedTasksOptions, TaskQueueOptions, TasksModuleOptions } from './interfaces/tasks-module-options.interface.js';
import { scheduleProblems } from './schedules/task-schedule.validator.js';
import { MAX_PRIORITY, MAX_RETRIES_LIMIT, MIN_PRIORITY } from './tasks.constants.js';
import { optionsFromEnvironment } from './tasks.environment.js';
import { DEFAULT_TASKS_OPTIONS, INTERNAL_QUEUE } from './tasks.module-definition.js';

/**
 * Fills in every default ({@link DEFAULT_TASKS_OPTIONS}), so the rest of the library reads
 * plain values, and fails the bootstrap with {@link InvalidTasksOptionsError} listing every
 * option that would only show up as odd behaviour later.
 */
export function resolveTasksOptions(given: TasksModuleOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedTasksOptions {
  const defaults = DEFAULT_TASKS_OPTIONS;
  // TASKS_WORKER_QUEUES, TASKS_PROBE_PORT, TASKS_PROBE_HOST where the options leave them unset.
  const options = { ...given, ...withDefaults(optionsFromEnvironment(env), pickSet(given, ['workerQueues', 'probePort', 'probeHost'])) };
  const retry = withDefaults(defaults.retry, options.retry);
  const resolved: ResolvedTasksOptions = {
    ...defaults,
    // The top-level values the caller set; the nested groups are merged one by one below.
    ...withDefaults({}, options),
    queues: (options.queues ?? defaults.queues).map((queue) => ({ ...queue })),
    retry,
    jobRetention: withDefaults(defaults.jobRetention, options.jobRetention),
    reconciler: withDefaults(defaults.reconciler, options.reconciler),
    workers: withDefaults(defaults.workers, options.workers),
    retention: withDefaults(defaults.retention, options.retention),
    schedules: (options.schedules ?? []).map((schedule) => ({ ...schedule })),
    workerQueues: options.workerQueues && [...options.workerQueues],
    retryStrategies: mergeRetryStrategies(defaultRetryStrategies(retry.backoffDelayMs), retry.strategies),
  };
  const problems = OPTION_RULES.flatMap((rule) => rule(resolved));
  if (problems.length > 0) throw new InvalidTasksOptionsError(problems.join('; '));
  return resolved;
}

function pickSet<T extends object, K extends keyof T>(object: T, keys: K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]])) as Partial<Pick<T, K>>;
}

/** `defaults` overridden by the fields of `given` that are set (an `undefined` keeps the default). */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const set = Object.entries(given ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) };
}

type OptionRule = (options: ResolvedTasksOptions) => string[];

export const isIntegerIn = (value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const problemIf = (failed: boolean, problem: string): string[] => (failed ? [problem] : []);

/** Each rule returns what is wrong with one part of the options. */
const OPTION_RULES: OptionRule[] = [
  ({ queues }) => queues.flatMap(queueProblems),
  ({ queues }) => duplicates(queues.map((queue) => queue.name)).map((name) => `queue "${name}" is declared twice`),
  ({ queues }) => duplicates(queues.map((queue) => queue.taskType)).map((type) => `task type "${type}" is carried by two queues`),
  ({ retry }) => retryStrategiesProblems(retry.strategies, 'retry.strategies'),
  ({ retry }) => problemIf(!isIntegerIn(retry.maxRetries, 0, MAX_RETRIES_LIMIT), `retry.maxRetries must be an integer 0..${MAX_RETRIES_LIMIT}`),
  ({ retry }) => problemIf(!(retry.backoffDelayMs >= 0), 'retry.backoffDelayMs must be >= 0'),
  ({ schedules, maxDelaySeconds }) => schedules.flatMap((schedule, index) => scheduleProblems(schedule, `schedules[${index}]`, maxDelaySeconds)),
  ({ schedules }) => duplicates(schedules.map((schedule) => schedule.name)).map((name) => `schedule "${name}" is declared twice`),
  (o) => problemIf(!(o.timeoutGraceMs >= 0) || !(o.progressIntervalMs >= 0), 'timeoutGraceMs and progressIntervalMs must be >= 0'),
  (o) => problemIf(!(o.maxDelaySeconds >= 0), 'maxDelaySeconds must be >= 0'),
  (o) => problemIf(!isIntegerIn(o.runningWriteDelayMs, 0), 'runningWriteDelayMs must be an integer >= 0'),
  ({ workers }) => problemIf(!(workers.missingHandlerGraceMs >= 0), 'workers.missingHandlerGraceMs must be >= 0'),
  ({ retention: { finishedMaxAgeMs, intervalMs, batchSize } }) =>
    problemIf(
      !(finishedMaxAgeMs >= 0) || !(intervalMs >= 1000) || !isIntegerIn(batchSize, 1),
      'retention needs finishedMaxAgeMs >= 0, intervalMs >= 1000 and an integer batchSize >= 1',
    ),
  (o) => problemIf(!(o.maxParamsBytes > 0) || !(o.maxResultBytes > 0), 'maxParamsBytes and maxResultBytes must be > 0'),
  (o) => problemIf(!(o.startupTimeoutMs > 0), 'startupTimeoutMs must be > 0'),
  ({ workerQueues, queues }) =>
    (workerQueues ?? []).filter((name) => !queues.some((queue) => queue.name === name)).map((name) => `workerQueues: "${name}" is not a declared queue`),
  ({ workerQueues }) => problemIf(workerQueues !== undefined && workerQueues.length === 0, 'workerQueues must name at least one queue (leave it out to serve all)'),
  ({ probePort }) => problemIf(probePort !== undefined && !isIntegerIn(probePort, 0, 65535), 'probePort must be an integer 0..65535'),
  (o) => problemIf(!(o.shutdownGraceMs >= 0) || !(o.shutdownAbortGraceMs >= 0), 'shutdownGraceMs and shutdownAbortGraceMs must be >= 0'),
  // A completed job is what the reconciler records when its worker died before writing the row
  // (completions are written behind): Redis must keep it until the reconciler has looked.
  ({ jobRetention: { completedAgeSeconds }, reconciler: { intervalMs, minAgeMs } }) =>
    problemIf(
      intervalMs > 0 && !(completedAgeSeconds * 1000 >= minAgeMs + intervalMs),
      `jobRetention.completedAgeSeconds must be at least the reconciler's minAgeMs + intervalMs (${Math.ceil((minAgeMs + intervalMs) / 1000)} s)`,
    ),
];

/** What is wrong with one queue's declaration. */
function queueProblems(queue: TaskQueueOptions): string[] {
  const where = `queue "${queue.name}"`;
  const { defaultPriority, concurrency, globalConcurrency, rateLimit } = queue;
  return [
    ...problemIf(!/^[A-Za-z0-9_-]{1,64}$/.test(queue.name), `queue name "${queue.name}" must be 1-64 characters of A-Z a-z 0-9 _ -`),
    ...problemIf(queue.name === INTERNAL_QUEUE, `queue name "${INTERNAL_QUEUE}" is reserved for the library`),
    ...problemIf(!isIntegerIn(defaultPriority, MIN_PRIORITY, MAX_PRIORITY), `${where}: defaultPriority must be an integer ${MIN_PRIORITY}..${MAX_PRIORITY}`),
    ...problemIf(!isIntegerIn(concurrency, 1), `${where}: concurrency must be a positive integer`),
    ...problemIf(globalConcurrency !== undefined && !isIntegerIn(globalConcurrency, 1), `${where}: globalConcurrency must be a positive integer`),
    ...problemIf(!!rateLimit && !(isIntegerIn(rateLimit.max, 1) && rateLimit.durationMs >= 1), `${where}: rateLimit needs an integer max >= 1 and durationMs >= 1`),
  ];
}

/** The values that occur more than once, once each. */
function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((value, index) => values.indexOf(value) !== index))];
}
