import { Redis } from 'ioredis';
import { REDIS_URL } from './test-app.js';

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
