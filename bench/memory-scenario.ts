import { TasksService, TaskStatus } from 'tasks-module';
import { createBenchApp, resetTasksTable } from './bench-app.js';
import type { BenchEnv } from './scenarios.js';

/** A process's memory after full garbage collections (when `--expose-gc` allows them), in MiB. */
export interface MemoryAfterGc {
  /** Resident set size: live objects, the pages the allocators keep, native memory. */
  rss: number;
  /** V8's heap in use: live JavaScript objects only. */
  heapUsed: number;
}

/**
 * Full collections 200 ms apart, then the reading. V8 hands the old-space pages a collection
 * freed back to the system a little later, so RSS read right after one collection counts
 * whatever it still holds (scratch, one worker, heap in use 40 MiB throughout: RSS 226, 240,
 * 264, 246 and 228 MiB at 20k, 100k, 200k, 400k and 600k tasks, old space committed 67-104 MiB;
 * read this way 157 and 162 MiB at 20k and 200k, old space 45 MiB).
 */
async function memoryAfterGc(): Promise<MemoryAfterGc> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let collection = 0; collection < 3; collection++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / 2 ** 20, heapUsed: heapUsed / 2 ** 20 };
}

/**
 * A worker's memory as it runs many tasks: after the first `early` tasks and after `total`
 * tasks (no-op handler, concurrency 50, tasks enqueued 1,000 at a time). A leak per task shows
 * as growth between the two; the heap in use tells a leak of JavaScript objects from the
 * pages an allocator keeps, which RSS counts as well.
 */
export async function workerMemory(env: BenchEnv, early: number, total: number): Promise<{ early: MemoryAfterGc; late: MemoryAfterGc }> {
  const { app, dataSource, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix: env.nextPrefix(), concurrency: 50 });
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
    const earlyMemory = await memoryAfterGc();
    await runUpTo(total);
    const lateMemory = await memoryAfterGc();
    await queue.obliterate({ force: true });
    await resetTasksTable(dataSource);
    return { early: earlyMemory, late: lateMemory };
  } finally {
    await close();
  }
}
