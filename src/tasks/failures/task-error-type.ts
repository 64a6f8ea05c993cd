/**
 * The class of a failure, stored in `background_tasks.error_type`. Each class has its own
 * retry strategy (see `TaskRetryPolicy`). The values are the column's ENUM.
 */
export enum TaskErrorType {
  /** The attempt ran past its time limit. */
  Timeout = 'timeout',
  /** A remote service could not be reached or answered badly (ECONNREFUSED, ETIMEDOUT, …). */
  Network = 'network',
  /** A database query failed. */
  Database = 'database',
  /** The input is wrong; trying again cannot help, so it is never retried by default. */
  Validation = 'validation',
  /** Out of memory, file handles, disk, quota: worth retrying, after a longer wait. */
  Resource = 'resource',
  /** Anything else. */
  Unknown = 'unknown',
}

export const TASK_ERROR_TYPES: readonly TaskErrorType[] = Object.values(TaskErrorType);
