import { setTimeout as sleep } from 'node:timers/promises';
import type { JobState, Queue } from 'bullmq';

/**
 * The job's state once it is, or within `waitMs` becomes, anything but `active`; `active` when
 * `waitMs` passed with the job still so (a handler that ignores its signal keeps it so). Polled,
 * every 10 ms. Leaving `active` for `completed`, `failed` or nothing means its handler returned
 * or threw and BullMQ took the job back; for a waiting state, that its worker's lock expired
 * (the worker stalled) and the job was handed back, while its handler may still run.
 */
export async function stateAfterActive(queue: Queue, jobId: string, waitMs: number): Promise<JobState | 'unknown'> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state !== 'active' || Date.now() >= deadline) return state;
    await sleep(10);
  }
}

/** Whether the job is, or within `waitMs` becomes, anything but `active` (see {@link stateAfterActive}). */
export async function leftActiveWithin(queue: Queue, jobId: string, waitMs: number): Promise<boolean> {
  return (await stateAfterActive(queue, jobId, waitMs)) !== 'active';
}
