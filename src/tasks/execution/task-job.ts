/** What a BullMQ job carries: the job id is the task id and the job name is the task name. */
export interface TaskJobData {
  params: Record<string, unknown>;
  /**
   * Attempts the task made before this job existed: a job re-created by the reconciler
   * carries the task's `retry_count`, so attempt numbers go on where they stopped.
   */
  priorAttempts?: number;
}
