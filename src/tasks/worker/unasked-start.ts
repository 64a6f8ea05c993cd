import type { Job } from 'bullmq';
import { unaskedStartWindowMs } from '../queue/cancel-marks.js';
import type { TaskJobData } from '../queue/task-job.js';

/**
 * Whether an attempt may start its handler, before its `running` is written, without asking
 * Redis whether a cancel is under way (the cancel marks; scratch, end-to-end no-op tasks at
 * concurrency 50: that round trip held each job 3-5 ms, p50): when the job is an enqueue's
 * (its deduplication id is its task id; no workflow), on its first attempt, and was fetched
 * moments ago. A cancel that comes before the enqueue's add keeps the job out
 * (CancelMarks.mark); one that comes later removes the waiting job, or finds it active, aborts
 * the attempt (as it begins, if it comes that early: RunningAttempts) and waits `cancelWaitMs`
 * for it to end. The handler starts well within that wait of the fetch, or the worker asks
 * after all: a worker stalled that long could otherwise start it after the cancel has
 * returned. (`processedOn` is this worker's own clock when it asked BullMQ for the job.)
 *
 * A retry's job always asks: a cancel can find the job held by the attempt that failed, and
 * see it only after BullMQ has put it back to wait for the retry, so it neither removed nor
 * aborted it (the fault suite caught such a retry starting after its cancel had returned).
 */
export function startsUnasked(
  job: Pick<Job<TaskJobData>, 'id' | 'deduplicationId' | 'data' | 'processedOn' | 'attemptsMade'>,
  cancelWaitMs: number,
  now = Date.now(),
): boolean {
  const withinMs = unaskedStartWindowMs(cancelWaitMs);
  const firstAttempt = job.attemptsMade === 0;
  return firstAttempt && job.deduplicationId === job.id && !job.data.workflowId && job.processedOn !== undefined && now - job.processedOn < withinMs;
}
