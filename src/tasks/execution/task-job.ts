/** What a BullMQ job carries: the job id is the task id and the job name is the task name. */
export interface TaskJobData {
  params: Record<string, unknown>;
}
