import { Redis, type RedisOptions } from 'ioredis';

/**
 * How long a closed connection's socket may take to finish closing before it is destroyed
 * (ioredis's `disconnectTimeout`, 2 s by default; a host's own value wins). ioredis arms that
 * timer, ref'd, on every `disconnect()` and clears it only on the socket's `close`, which never
 * comes when the socket was closed already: a connection closed while Redis is down, or during
 * its ready check (ioredis then disconnects it once more itself), kept the process alive for
 * 2 s after everything else had ended (see test/queue/redis-connection.e2e-spec.ts). A socket
 * that is still open closes within a round trip, long before that.
 */
const DISCONNECT_TIMEOUT_MS = 250;

/**
 * Opens an ioredis connection from the module's `redis` option (URL or options object),
 * with the role-specific settings BullMQ needs layered on top.
 */
export function createRedisConnection(redis: string | RedisOptions, overrides: RedisOptions): Redis {
  const defaults: RedisOptions = { disconnectTimeout: DISCONNECT_TIMEOUT_MS };
  return typeof redis === 'string' ? new Redis(redis, { ...defaults, ...overrides }) : new Redis({ ...defaults, ...redis, ...overrides });
}

/**
 * Producers (queues) fail fast: with no offline queue a command sent while Redis is down is
 * rejected at once, so an enqueue answers 503 instead of hanging.
 */
export const PRODUCER_REDIS_OPTIONS: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

/** Workers wait out outages: BullMQ requires `maxRetriesPerRequest: null` for blocking commands. */
export const WORKER_REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: null };

/**
 * Closes a connection now (no `QUIT` round trip), once: a `disconnect()` of a connection that
 * has ended (a startup wait that failed after shutdown had closed what it waited on) would
 * only arm the close timer above for a socket that will never close again.
 */
export function closeRedis(connection: Redis | undefined): void {
  if (connection && connection.status !== 'end') connection.disconnect();
}
