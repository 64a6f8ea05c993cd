import type { RedisOptions } from 'ioredis';
import { RedisUnreachableError } from '../errors/bootstrap.errors.js';
import { DEFAULT_TASKS_OPTIONS } from '../tasks.module-definition.js';
import { closeRedis, createRedisConnection } from './redis-connection.factory.js';

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
    // Unref'd: the connection's own attempts keep the process up while it waits. A wait that
    // nothing settles (a bootstrap that failed elsewhere first, its connections closed) must not
    // hold the process open for the rest of `timeoutMs` (a probe found such timers outliving test suites).
    timer = setTimeout(() => reject(new RedisUnreachableError(describeRedis(redis), timeoutMs)), timeoutMs).unref();
  });
  try {
    await Promise.race([ready, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once Redis answers, or rejects with {@link RedisUnreachableError} after `timeoutMs`:
 * the module's own startup wait, for a host that checks Redis beside its other startup work
 * rather than after it (the demo runs it beside its migrations, so an unreachable Redis is
 * reported that much sooner).
 */
export async function waitForRedis(redis: string | RedisOptions, timeoutMs = DEFAULT_TASKS_OPTIONS.startupTimeoutMs): Promise<void> {
  const connection = createRedisConnection(redis, { maxRetriesPerRequest: null });
  // Refused connections are retried until the wait ends; that end is the one report.
  connection.on('error', () => undefined);
  try {
    await readyWithin(new Promise((resolve) => connection.once('ready', resolve)), redis, timeoutMs);
  } finally {
    closeRedis(connection);
  }
}
