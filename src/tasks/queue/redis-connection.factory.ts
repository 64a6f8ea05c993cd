import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis connection from the module's `redis` option (URL or options object),
 * with the role-specific settings BullMQ needs layered on top.
 */
export function createRedisConnection(redis: string | RedisOptions, overrides: RedisOptions): Redis {
  return typeof redis === 'string' ? new Redis(redis, overrides) : new Redis({ ...redis, ...overrides });
}

/**
 * Producers (queues) fail fast: with no offline queue a command sent while Redis is down is
 * rejected at once, so an enqueue answers 503 instead of hanging.
 */
export const PRODUCER_REDIS_OPTIONS: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

/** Workers wait out outages: BullMQ requires `maxRetriesPerRequest: null` for blocking commands. */
export const WORKER_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: null };
