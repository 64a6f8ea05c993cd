import type { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobLockKey, reclaimJobLock } from '../queue/job-lock.js';
import { LOCK_LOST_REASON } from './attempt-abort.js';
import type { RunningAttempts } from './running-attempts.js';

/**
 * What a worker does when it finds a job's lock lost. A worker renews the lock of each job it
 * runs every `lockDurationMs / 2`; a renewal finds the lock gone when this worker's event loop
 * was held past the lock's duration (or Redis lost the key), and held by another token when
 * BullMQ's stalled check meanwhile handed the job back and another worker took it. BullMQ only
 * emits `lockRenewalFailed` and lets the handler run on, and the job can then no longer be
 * finished by it: another attempt runs it, or will once the stalled check moves it.
 * - Nobody else has the job yet (still active, no lock): the worker takes the lock back, and
 *   its handler runs on as if the stall had not happened.
 * - Otherwise the job is another attempt's: the handler's signal fires (reason
 *   `'job lock lost'`), the attempt writes no outcome, and two copies of the task do not run
 *   side by side until the old one ends.
 * The renewal failed for the token it was sent with, and this worker may have taken the job
 * again since (a new attempt, a new token): only an attempt whose token does not hold the lock
 * now is aborted.
 */
export function watchLostLocks(worker: Worker, connection: Redis, attempts: RunningAttempts, logger: Logger, lockDurationMs: number): void {
  const watch: LockWatch = { worker, connection, attempts, logger, lockDurationMs };
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) void keepOrAbort(watch, jobId);
  });
}

interface LockWatch {
  worker: Worker;
  connection: Redis;
  attempts: RunningAttempts;
  logger: Logger;
  lockDurationMs: number;
}

async function keepOrAbort({ worker, connection, attempts, logger, lockDurationMs }: LockWatch, taskId: string): Promise<void> {
  const token = attempts.lockTokenOf(taskId);
  if (token === undefined) return; // ended, or stopping already
  try {
    if (await reclaimJobLock(connection, worker, taskId, token, lockDurationMs)) {
      return logger.warn(`Task ${taskId}: its job's lock had expired (this worker's event loop held too long?) and nobody had taken the job; lock taken back`);
    }
    if (attempts.abortUnlessLockedBy(taskId, await connection.get(jobLockKey(worker, taskId)), LOCK_LOST_REASON)) {
      logger.warn(`Task ${taskId}: this worker lost its job's lock (BullMQ handed the job out again); its handler is aborted`);
    }
  } catch (error) {
    // Redis unreachable: the handler runs on, as BullMQ alone lets it; its writes are refused once another attempt holds the row.
    logger.warn(`Lost lock of task ${taskId} not checked: ${(error as Error).message}`);
  }
}
