import { Worker, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_URL, waitFor } from './test-app.js';

/** Runs `use` on a connection of its own to the tests' Redis, closed after. */
async function withRedis(use: (redis: Redis) => Promise<unknown>): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Deletes an active job as a Redis restart without its data would: its worker's handler runs on, unknown to Redis. */
export function forgetActiveJob(queuePrefix: string, queue: string, taskId: string): Promise<void> {
  return withRedis(async (redis) => {
    const key = `${queuePrefix}:${queue}`;
    await redis.lrem(`${key}:active`, 0, taskId);
    await redis.del(`${key}:${taskId}`, `${key}:${taskId}:lock`);
  });
}

/** Deletes the Relay's keys (its nodes' registrations and inboxes) as a Redis restart without its data would. */
export function forgetRelay(queuePrefix: string): Promise<void> {
  return withRedis(async (redis) => {
    const keys = await redis.keys(`${queuePrefix}::relay:*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}

/** The key of a job's lock, as BullMQ names it. */
const lockKey = (queuePrefix: string, queue: string, taskId: string) => `${queuePrefix}:${queue}:${taskId}:lock`;

/** Deletes a running job's lock, as its expiry does when its worker's event loop is held past the lock's duration. */
export function expireJobLock(queuePrefix: string, queue: string, taskId: string): Promise<void> {
  return withRedis((redis) => redis.del(lockKey(queuePrefix, queue, taskId)));
}

/** Gives a running job's lock to another token, as another worker's fetch of it does after BullMQ handed it back. */
export function giveJobLockAway(queuePrefix: string, queue: string, taskId: string): Promise<void> {
  return withRedis((redis) => redis.set(lockKey(queuePrefix, queue, taskId), 'another-worker', 'PX', 30_000));
}

/** The token holding a job's lock, null when none does. */
export async function jobLockHolder(queuePrefix: string, queue: string, taskId: string): Promise<string | null> {
  let holder: string | null = null;
  await withRedis(async (redis) => (holder = await redis.get(lockKey(queuePrefix, queue, taskId))));
  return holder;
}

/**
 * Hands a running job back to the queue as BullMQ does when its worker stalled: its lock
 * deleted, then a second worker's stalled check run. Resolves once the job left `active`.
 */
export async function handBackAsStalled(queuePrefix: string, queue: Queue, taskId: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const checker = new Worker(queue.name, null, { connection: redis, prefix: queuePrefix, autorun: false, stalledInterval: 50, maxStalledCount: 5 });
  try {
    await expireJobLock(queuePrefix, queue.name, taskId);
    await checker.startStalledCheckTimer();
    await waitFor(async () => {
      // The app's own workers check every 30 s, and no other check runs while theirs holds this key.
      await redis.del(`${queuePrefix}:${queue.name}:stalled-check`);
      // Waiting, or gone already when a cancel waiting for it saw it there.
      return (await queue.getJobState(taskId)) !== 'active';
    }, 'the job to be handed back');
  } finally {
    await checker.close();
    redis.disconnect();
  }
}
