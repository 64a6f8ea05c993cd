import { DataSource } from 'typeorm';
import { TasksService, TaskStatus } from 'tasks-module';
import { createBenchApp, resetTasksTable } from './bench-app.js';
import type { BenchEnv } from './scenarios.js';

/** Resident set size (MiB) after a full garbage collection, when `--expose-gc` allows one. */
function rssMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * A worker's memory as it runs many tasks: RSS after the first `early` tasks and after
 * `total` tasks (no-op handler, concurrency 50, tasks enqueued 1,000 at a time). A leak per
 * task shows as growth between the two.
 */
export async function workerMemory(env: BenchEnv, early: number, total: number): Promise<{ early: number; late: number }> {
  const { app, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix: env.nextPrefix(), concurrency: 50 });
  try {
    const service = app.get(TasksService);
    const runUpTo = async (target: number) => {
      for (let done = await service.getTaskCount({ status: TaskStatus.Completed }); done < target; ) {
        const batch = Math.min(1000, target - done);
        await service.enqueueMany(Array.from({ length: batch }, () => ({ taskName: 'bench.noop' })));
        while ((await service.getTaskCount({ status: TaskStatus.Completed })) < done + batch) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        done += batch;
      }
    };
    await runUpTo(early);
    const earlyRss = rssMiB();
    await runUpTo(total);
    const lateRss = rssMiB();
    await queue.obliterate({ force: true });
    await resetTasksTable(app.get(DataSource));
    return { early: earlyRss, late: lateRss };
  } finally {
    await close();
  }
}
