import type { Logger } from '@nestjs/common';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TaskRunner } from './task.runner.js';

/**
 * Stops the handlers whose jobs this worker no longer holds. A worker renews the lock of each
 * job it runs every `lockDurationMs / 2`; a renewal that finds the lock gone, or held by
 * another token, means the job was handed back (the worker's event loop was held past the
 * lock's duration, or Redis lost the key: BullMQ's stalled jobs) and another attempt runs it
 * now or soon. BullMQ lets the handler run on (it only emits `lockRenewalFailed`), two copies
 * of the task side by side; this attempt can no longer finish the job, and the row belongs to
 * the next one. So its handler's signal fires (reason `'job lock lost'`) and the attempt
 * writes nothing.
 *
 * The renewal failed for the token it was sent with, and this worker may have taken the job
 * again since (a new attempt, a new token): the lock is read again, and only an attempt whose
 * token does not hold it is aborted.
 */
export function abortHandlersOnLostLocks(worker: Worker, connection: Redis, runner: TaskRunner, logger: Logger): void {
  worker.on('lockRenewalFailed', (jobIds) => void abortUnlocked(worker, connection, runner, logger, jobIds));
}

async function abortUnlocked(worker: Worker, connection: Redis, runner: TaskRunner, logger: Logger, jobIds: string[]): Promise<void> {
  try {
    const holders = await connection.mget(jobIds.map((jobId) => `${worker.toKey(jobId)}:lock`));
    jobIds.forEach((taskId, index) => {
      if (runner.abortUnlessLockedBy(taskId, holders[index])) {
        logger.warn(`Task ${taskId}: this worker lost its job's lock (another attempt takes it over); its handler is aborted`);
      }
    });
  } catch (error) {
    // Redis unreachable: the handler runs on, as BullMQ alone lets it; its writes are refused once another attempt holds the row.
    logger.warn(`Lost job locks not checked: ${(error as Error).message}`);
  }
}
