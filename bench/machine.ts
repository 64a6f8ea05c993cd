import { cpus, totalmem } from 'node:os';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';

/** What a run ran on: the figures only compare between runs on the same. */
export interface BenchMachine {
  date: string;
  cores: number;
  memoryGiB: number;
  node: string;
  mysql: string;
  bufferPoolMiB: number;
  redis: string;
  /** Share of the cores' time the hypervisor gave to other guests during the run (%), set once it ends. */
  stealPercent?: number;
}

/** Reads the machine, the MySQL server (version, InnoDB buffer pool) and the Redis server's version. */
export async function readMachine(databaseUrl: string, redisUrl: string): Promise<BenchMachine> {
  const db = await mysql.createConnection(databaseUrl);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const [[server]] = (await db.query('SELECT VERSION() AS version, @@innodb_buffer_pool_size AS pool')) as unknown as [[{ version: string; pool: string }]];
    await redis.connect();
    const info = await redis.info('server');
    return {
      date: new Date().toISOString().slice(0, 10),
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      mysql: server.version,
      bufferPoolMiB: Math.round(Number(server.pool) / 2 ** 20),
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    };
  } finally {
    await db.end();
    redis.disconnect();
  }
}
