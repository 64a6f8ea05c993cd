import 'reflect-metadata';
import { createBenchApp } from './bench-app.js';

/**
 * One worker process of the scale-out scenario: the bench app in the `worker` role, on the
 * database and queue prefix it is given; prints READY, stops on SIGTERM.
 */
const { DATABASE_URL, REDIS_URL, QUEUE_PREFIX, CONCURRENCY } = process.env;
const bench = await createBenchApp({ databaseUrl: DATABASE_URL!, redisUrl: REDIS_URL!, queuePrefix: QUEUE_PREFIX!, concurrency: Number(CONCURRENCY ?? 50), role: 'worker' });
process.stdout.write('READY\n');
process.once('SIGTERM', () => void bench.close().then(() => process.exit(0)));
