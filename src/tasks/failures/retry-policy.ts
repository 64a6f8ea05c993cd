import { TASK_ERROR_TYPES, TaskErrorType } from './task-error-type.js';
import { TaskFailure } from './task-failure.errors.js';

/** How failures of one class are retried. */
export interface TaskRetryStrategy {
  /** False: a failure of this class ends the task at once. */
  retry: boolean;
  /** `exponential`: attempt n waits `delayMs * 2^(n-1)`; `fixed`: always `delayMs`. */
  backoff: 'exponential' | 'fixed';
  delayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

/** A strategy per failure class; what is not given keeps the default. */
export type TaskRetryStrategies = Partial<Record<TaskErrorType, Partial<TaskRetryStrategy>>>;
export type ResolvedRetryStrategies = Record<TaskErrorType, TaskRetryStrategy>;

/** Longest wait between two attempts unless configured otherwise. */
const DEFAULT_MAX_DELAY_MS = 60 * 60 * 1000;
/** Resource exhaustion rarely clears in a second: its waits start this many times longer. */
const RESOURCE_DELAY_FACTOR = 10;

/**
 * The defaults, from the base delay `backoffDelayMs` (1 s): exponential backoff for
 * timeouts, network, database and unknown failures; resource failures wait 10 times
 * longer; validation failures are never retried.
 */
export function defaultRetryStrategies(backoffDelayMs: number): ResolvedRetryStrategies {
  const exponential = (delayMs: number): TaskRetryStrategy => ({ retry: true, backoff: 'exponential', delayMs, maxDelayMs: DEFAULT_MAX_DELAY_MS });
  return {
    [TaskErrorType.Timeout]: exponential(backoffDelayMs),
    [TaskErrorType.Network]: exponential(backoffDelayMs),
    [TaskErrorType.Database]: exponential(backoffDelayMs),
    [TaskErrorType.Validation]: { ...exponential(backoffDelayMs), retry: false },
    [TaskErrorType.Resource]: exponential(backoffDelayMs * RESOURCE_DELAY_FACTOR),
    [TaskErrorType.Unknown]: exponential(backoffDelayMs),
  };
}

/** `base` with the classes and fields that `overrides` sets replaced. */
export function mergeRetryStrategies(base: ResolvedRetryStrategies, overrides: TaskRetryStrategies | undefined): ResolvedRetryStrategies {
  const merged = { ...base };
  for (const type of TASK_ERROR_TYPES) {
    const override = overrides?.[type];
    if (!override) continue;
    const set = Object.entries(override).filter(([, value]) => value !== undefined);
    merged[type] = { ...base[type], ...Object.fromEntries(set) };
  }
  return merged;
}

/** Problems of a strategies object (unknown classes, bad fields), for bootstrap errors. */
export function retryStrategiesProblems(strategies: TaskRetryStrategies | undefined, where: string): string[] {
  const problems: string[] = [];
  for (const [type, strategy] of Object.entries(strategies ?? {})) {
    if (!TASK_ERROR_TYPES.includes(type as TaskErrorType)) {
      problems.push(`${where}: "${type}" is not a failure class (${TASK_ERROR_TYPES.join(', ')})`);
      continue;
    }
    const { backoff, delayMs, maxDelayMs } = strategy ?? {};
    if (backoff !== undefined && backoff !== 'exponential' && backoff !== 'fixed') problems.push(`${where}.${type}.backoff must be exponential or fixed`);
    if (delayMs !== undefined && !(delayMs >= 0)) problems.push(`${where}.${type}.delayMs must be >= 0`);
    if (maxDelayMs !== undefined && !(maxDelayMs >= 0)) problems.push(`${where}.${type}.maxDelayMs must be >= 0`);
  }
  return problems;
}

/** The wait before the attempt after failed attempt number `attempt` (1-based). */
export function retryDelayMs(strategy: TaskRetryStrategy, attempt: number): number {
  const delay = strategy.backoff === 'fixed' ? strategy.delayMs : strategy.delayMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(Math.min(delay, strategy.maxDelayMs));
}

/**
 * The wait a failure asked for itself (`TaskFailure.retryAfterMs`, see RetryLaterError), at most
 * `maxMs`; undefined when it asked for none, or for a wait that is not a number of ms >= 0.
 */
export function requestedRetryDelayMs(error: unknown, maxMs: number): number | undefined {
  const asked = error instanceof TaskFailure ? error.retryAfterMs : undefined;
  return typeof asked === 'number' && asked >= 0 ? Math.round(Math.min(asked, maxMs)) : undefined;
}
