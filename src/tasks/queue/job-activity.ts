import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';

/**
 * Whether the job is, or within `waitMs` becomes, anything but `active`: its handler returned
 * or threw and BullMQ took the job back. Polled, every 10 ms; false once `waitMs` has passed
 * with the job still active (a handler that ignores its signal keeps it so).
 */
export async function leftActiveWithin(queue: Queue, jobId: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while ((await queue.getJobState(jobId)) === 'active') {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}
