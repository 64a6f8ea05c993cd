import { Redis } from 'ioredis';
import { REDIS_URL } from './test-app.js';

/** Deletes an active job as a Redis restart without its data would: its worker's handler runs on, unknown to Redis. */
export async function forgetActiveJob(queuePrefix: string, queue: string, taskId: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const key = `${queuePrefix}:${queue}`;
    await redis.lrem(`${key}:active`, 0, taskId);
    await redis.del(`${key}:${taskId}`, `${key}:${taskId}:lock`);
  } finally {
    redis.disconnect();
  }
}

/** Deletes the Relay's keys (its nodes' registrations and inboxes) as a Redis restart without its data would. */
export async function forgetRelay(queuePrefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${queuePrefix}::relay:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
