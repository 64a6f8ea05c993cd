import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TasksService, TaskStatus } from 'tasks-module';
import { BENCH_QUEUE, createBenchApp, resetTasksTable } from './bench-app.js';
import { cpuMeter, type CpuPerItem } from './process-cpu.js';

/** Where a scenario runs: one fresh database and queue prefix per run. */
export interface BenchEnv {
  databaseUrl: string;
  redisUrl: string;
  /** A fresh prefix for every measurement, so runs never see each other's keys. */
  nextPrefix(): string;
}

/** A measured rate: items per second over a wall-clock span. */
export interface Rate {
  perSecond: number;
  items: number;
  ms: number;
}

/** A rate with the CPU each process spent per item meanwhile. */
export type MeteredRate = Rate & { cpu: CpuPerItem };

const rate = (items: number, startedAt: bigint): Rate => {
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  return { perSecond: (items * 1000) / ms, items, ms };
};

/** The rate of `run` over `items` items, with the CPU each process spent on it (see cpuMeter). */
async function meteredRate(items: number, run: () => Promise<unknown>): Promise<MeteredRate> {
  const startedAt = process.hrtime.bigint();
  const meter = cpuMeter();
  await run();
  return { ...rate(items, startedAt), cpu: meter.perItem(items) };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const BULK = 1000;
const bulkJob = () => ({
  name: 'bench.noop',
  data: { params: {} },
  opts: { priority: 6, attempts: 4, backoff: { type: 'exponential' as const, delay: 1000 } },
});

/** Runs `total` calls of `call` from `callers` concurrent loops. */
export async function concurrently(total: number, callers: number, call: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) await call(next++);
    }),
  );
}

/** The rate at which `worker` completes `jobs` jobs once the paused `queue` resumes; the worker is closed after. */
export async function meteredWorker(queue: Queue, worker: Worker, jobs: number, what: string): Promise<MeteredRate> {
  let done = 0;
  worker.on('completed', () => done++);
  await worker.waitUntilReady();
  const result = await meteredRate(jobs, async () => {
    await queue.resume();
    await until(async () => done >= jobs, what);
  });
  await worker.close();
  return result;
}

/** Baseline: raw BullMQ, jobs added with addBulk while paused, then processed by a no-op worker. */
export async function rawBullmqProcessing(env: BenchEnv, jobs: number, concurrency: number): Promise<MeteredRate> {
  const prefix = env.nextPrefix();
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(BENCH_QUEUE, { connection, prefix });
  await queue.pause();
  for (let offset = 0; offset < jobs; offset += 1000) {
    const batch = Array.from({ length: Math.min(1000, jobs - offset) }, (_, i) => ({
      name: 'bench.noop',
      data: { params: {} },
      opts: { priority: 6, attempts: 4, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600 } },
      i,
    }));
    await queue.addBulk(batch);
  }
  const worker = new Worker(BENCH_QUEUE, async () => null, { connection: new Redis(env.redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency });
  const result = await meteredWorker(queue, worker, jobs, 'raw BullMQ to process every job');
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return result;
}

/** Ours: tasks enqueued through TasksService while paused, then run by the no-op handler with the MySQL mirror. */
export async function tasksModuleProcessing(env: BenchEnv, tasks: number, concurrency: number): Promise<MeteredRate> {
  const { app, dataSource, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix: env.nextPrefix(), concurrency });
  try {
    const service = app.get(TasksService);
    // The rate ends when `tasks` rows are completed: none may be there before this run's.
    await resetTasksTable(dataSource);
    await queue.pause();
    await concurrently(tasks, 50, () => service.enqueue({ taskName: 'bench.noop' }));
    const result = await meteredRate(tasks, async () => {
      await queue.resume();
      await until(async () => (await service.getTaskCount({ status: TaskStatus.Completed })) >= tasks, 'every task to complete');
    });
    await queue.obliterate({ force: true });
    await resetTasksTable(dataSource);
    return result;
  } finally {
    await close();
  }
}

/** Baseline: raw `queue.add` from many concurrent callers. */
export function rawBullmqAdd(env: BenchEnv, jobs: number, callers: number): Promise<MeteredRate> {
  return withPausedRawQueue(env, (queue) => meteredRate(jobs, () => concurrently(jobs, callers, () => queue.add('bench.noop', { params: {} }, bulkJob().opts))));
}

/**
 * Runs `measure` against a TasksModule app whose bench queue is paused (jobs pile up, none
 * runs), then empties the queue and the table.
 */
async function withPausedTasksApp<R extends Rate>(env: BenchEnv, measure: (service: TasksService) => Promise<R>): Promise<R> {
  const { app, dataSource, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix: env.nextPrefix(), concurrency: 1 });
  try {
    await queue.pause();
    const result = await measure(app.get(TasksService));
    await queue.obliterate({ force: true });
    await resetTasksTable(dataSource);
    return result;
  } finally {
    await close();
  }
}

/** Runs `measure` against a raw, paused BullMQ queue, then removes it. */
async function withPausedRawQueue<R extends Rate>(env: BenchEnv, measure: (queue: Queue) => Promise<R>): Promise<R> {
  const connection = new Redis(env.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const queue = new Queue(BENCH_QUEUE, { connection, prefix: env.nextPrefix() });
  try {
    await queue.waitUntilReady();
    await queue.pause();
    const result = await measure(queue);
    await queue.obliterate({ force: true });
    return result;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Ours: `TasksService.enqueue` (row + job) from many concurrent callers. */
export function tasksModuleEnqueue(env: BenchEnv, tasks: number, callers: number): Promise<MeteredRate> {
  return withPausedTasksApp(env, (service) => meteredRate(tasks, () => concurrently(tasks, callers, () => service.enqueue({ taskName: 'bench.noop' }))));
}

/** Baseline: raw `addBulk` of 1,000 jobs at a time. */
export function rawBullmqAddBulk(env: BenchEnv, jobs: number): Promise<MeteredRate> {
  return withPausedRawQueue(env, (queue) =>
    meteredRate(jobs, async () => {
      for (let done = 0; done < jobs; done += BULK) await queue.addBulk(Array.from({ length: Math.min(BULK, jobs - done) }, bulkJob));
    }),
  );
}

/** Ours: `TasksService.enqueueMany` of 1,000 tasks at a time (rows + jobs). */
export function tasksModuleEnqueueMany(env: BenchEnv, tasks: number): Promise<MeteredRate> {
  return withPausedTasksApp(env, (service) =>
    meteredRate(tasks, async () => {
      for (let done = 0; done < tasks; done += BULK) {
        const outcomes = await service.enqueueMany(Array.from({ length: Math.min(BULK, tasks - done) }, () => ({ taskName: 'bench.noop' })));
        if (outcomes.some((outcome) => outcome.error)) throw new Error('bench: a bulk enqueue was refused');
      }
    }),
  );
}
