import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TasksService, TaskStatus } from 'tasks-module';
import { BENCH_QUEUE, createBenchApp, resetTasksTable } from './bench-app.js';
import { concurrently, meteredWorker, type BenchEnv, type MeteredRate } from './scenarios.js';

/**
 * Baseline: the mirror a developer writes first. Raw BullMQ runs the jobs, and its processor
 * writes the task's row with one `UPDATE` to `running` before the handler and one to
 * `completed` after it, each its own autocommit transaction, as plain parameterised SQL on the
 * same data source and pool as ours (TypeORM's `Repository.update` cost this mirror about 90 µs
 * more of Node per task, scratch, one round of 5,000 each: the row measures the transactions,
 * not the ORM). The rows and jobs are ours, enqueued through
 * TasksService while the queue is paused, so both sides run the same jobs against the same
 * table; the module's own workers do not run (`role: 'api'`). What this mirror leaves out (the
 * cancel guard, compare-and-set on the row, retries' bookkeeping, counts, stats, live events) is
 * what the module adds; the row says what its write path costs against this one.
 */
export async function naiveMirrorProcessing(env: BenchEnv, tasks: number, concurrency: number): Promise<MeteredRate> {
  const queuePrefix = env.nextPrefix();
  const { app, dataSource, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix, concurrency, role: 'api' });
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  try {
    const service = app.get(TasksService);
    await resetTasksTable(dataSource);
    await queue.pause();
    await concurrently(tasks, 50, () => service.enqueue({ taskName: 'bench.noop' }));
    const worker = new Worker(
      BENCH_QUEUE,
      async (job) => {
        await dataSource.query(`UPDATE background_tasks SET status = ?, started_at = NOW(3) WHERE task_id = ?`, [TaskStatus.Running, job.id]);
        // The no-op handler returns null, which the row's `result` already holds.
        await dataSource.query(`UPDATE background_tasks SET status = ?, completed_at = NOW(3), progress = 100 WHERE task_id = ?`, [TaskStatus.Completed, job.id]);
        return null;
      },
      // As the module's workers keep completed jobs (jobRetention's default), and raw BullMQ's baseline too.
      { connection, prefix: queuePrefix, concurrency, removeOnComplete: { age: 3600 } },
    );
    const result = await meteredWorker(queue, worker, tasks, 'the naive mirror to process every job');
    await queue.obliterate({ force: true });
    await resetTasksTable(dataSource);
    return result;
  } finally {
    connection.disconnect();
    await close();
  }
}
