/** What a BullMQ job carries: the job id is the task id and the job name is the task name. */
export interface TaskJobData {
  params: Record<string, unknown>;
  /**
   * Attempts the task made before this job existed: a job re-created by the reconciler
   * carries the task's `retry_count`, so attempt numbers go on where they stopped.
   */
  priorAttempts?: number;
  /** The enqueue's time limit per attempt (the handler's applies when absent). */
  timeoutSeconds?: number;
  /** An attempt that would begin after this time (ms since the epoch) does not: the task expired. */
  expiresAt?: number;
  /** A workflow step's workflow (its root task's id): a cancel of the workflow marks it. */
  workflowId?: string;
  /** A workflow step's input: the previous step's result, or a group's results in order. */
  input?: unknown;
}

/**
 * The backoff type of every task job. It is no BullMQ built-in, so BullMQ asks the workers'
 * `backoffStrategy`, which returns the delay the runner chose from the failure's class.
 */
export const TASK_BACKOFF_TYPE = 'tasks-policy';
