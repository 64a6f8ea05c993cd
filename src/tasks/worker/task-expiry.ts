import type { TaskJobData } from '../queue/task-job.js';

/**
 * The expiry an attempt beginning `now` would begin after, or undefined when it may begin.
 * Checked when a worker picks the job up, before anything else of the attempt: a first
 * attempt, a retry and a redelivery alike. An attempt already running is not stopped by it
 * (its time limit is what stops it).
 */
export function passedExpiry(data: TaskJobData, now = Date.now()): Date | undefined {
  return data.expiresAt !== undefined && now >= data.expiresAt ? new Date(data.expiresAt) : undefined;
}

/** The `error_message` of a task cancelled because it expired. */
export function expiredMessage(expiresAt: Date): string {
  return `expired: not started by ${expiresAt.toISOString()}`;
}
