import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Sets the lock of job `ARGV[1]` to token `ARGV[2]` for `ARGV[3]` ms when no lock exists and the
 * job is still in the queue's active list, and takes it off the stalled set, as BullMQ's own
 * renewal does; 1 when it did. A job there without a lock belongs to no worker yet: BullMQ's
 * stalled check, which moves such jobs back to the queue, has not reached it, and a worker
 * that fetches a job locks it in the same script. One script, so the check either moved the job
 * first (0) or finds it locked again and leaves it.
 */
const RECLAIM_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if not redis.call('LPOS', KEYS[2], ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SREM', KEYS[3], ARGV[1])
return 1`;

/** The key of a job's lock, as BullMQ names it. */
export function jobLockKey(worker: Worker, jobId: string): string {
  return `${worker.toKey(jobId)}:lock`;
}

/** Takes back the lock of `jobId` for `token` if it expired and no other worker has the job (see RECLAIM_LUA). */
export async function reclaimJobLock(connection: Redis, worker: Worker, jobId: string, token: string, durationMs: number): Promise<boolean> {
  const keys = [jobLockKey(worker, jobId), worker.toKey('active'), worker.toKey('stalled')];
  return (await connection.eval(RECLAIM_LUA, keys.length, ...keys, jobId, token, durationMs)) === 1;
}
