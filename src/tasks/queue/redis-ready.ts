import type { RedisOptions } from 'ioredis';
import { RedisUnreachableError } from '../errors/bootstrap.errors.js';

/** Where the `redis` option points, for messages (no password). */
export function describeRedis(redis: string | RedisOptions): string {
  if (typeof redis !== 'string') return `${redis.host ?? '127.0.0.1'}:${redis.port ?? 6379}`;
  try {
    const url = new URL(redis);
    url.password = '';
    url.username = '';
    return url.toString();
  } catch {
    return 'the configured Redis';
  }
}

/**
 * Waits for a BullMQ connection to be ready, or fails the bootstrap with
 * {@link RedisUnreachableError} after `timeoutMs`: ioredis retries for ever, and an app that
 * waits with it never listens and never says why.
 */
export async function readyWithin(ready: Promise<unknown>, redis: string | RedisOptions, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnreachableError(describeRedis(redis), timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([ready, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
