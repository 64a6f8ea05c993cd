import { Module, type INestApplicationContext } from '@nestjs/common';
import { Queue } from 'bullmq';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import type { DataSource } from 'typeorm';
import { TaskHandler, TaskProcessor, TasksModule, type TaskQueueOptions, type TasksRole } from 'tasks-module';

/** The one queue every scenario uses. */
export const BENCH_QUEUE = 'bench';

/** A handler that does nothing, so the figures measure the machinery alone. */
@TaskProcessor(BENCH_QUEUE)
export class NoopTasks {
  @TaskHandler('bench.noop')
  noop() {
    return null;
  }
}

export interface BenchAppOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  concurrency: number;
  /** More queues next to the bench queue (the large-table scenario filters by their types). */
  otherQueues?: TaskQueueOptions[];
  /** `api`: no workers in this process (the scale-out scenario's producer); default `all`. */
  role?: TasksRole;
  /** The TypeORM data source's name: apps alive at once in one process need their own; default the unnamed one. */
  dataSourceName?: string;
}

/** A running bench app and the bench's own BullMQ handle on its queue (to pause, resume, empty it). */
export interface BenchApp {
  app: INestApplicationContext;
  /** The app's data source, the one holding its tasks. */
  dataSource: DataSource;
  queue: Queue;
  close(): Promise<void>;
}

/** The bench's own handle on the bench queue of an app with `queuePrefix` (its own Redis connection). */
export function openBenchQueue(redisUrl: string, queuePrefix: string): Queue {
  const { hostname, port } = new URL(redisUrl);
  return new Queue(BENCH_QUEUE, { connection: { host: hostname, port: Number(port || 6379) }, prefix: queuePrefix });
}

/** A Nest application context (no HTTP) with TasksModule, its workers and the no-op handler. */
export async function createBenchApp(options: BenchAppOptions): Promise<BenchApp> {
  const benchQueue: TaskQueueOptions = { name: BENCH_QUEUE, taskType: 'bench', defaultPriority: 5, concurrency: options.concurrency };

  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...tasksDataSourceOptions(options.databaseUrl), name: options.dataSourceName, migrationsRun: true }),
      TasksModule.forRoot({
        redis: options.redisUrl,
        queuePrefix: options.queuePrefix,
        queues: [benchQueue, ...(options.otherQueues ?? [])],
        // No repairs during a measurement (it would also queue the large table's seeded rows),
        // and no cleanup: the large table's oldest rows are 30 days old, the default retention.
        reconciler: { intervalMs: 0 },
        retention: { finishedMaxAgeMs: 0 },
        role: options.role ?? 'all',
        dataSource: options.dataSourceName,
      }),
    ],
    providers: [NoopTasks],
  })
  class BenchModule {}

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error', 'warn'] });
  const queue = openBenchQueue(options.redisUrl, options.queuePrefix);
  return {
    app,
    dataSource: app.get<DataSource>(getDataSourceToken(options.dataSourceName)),
    queue,
    close: async () => {
      await queue.close();
      await app.close();
    },
  };
}

/** Empties the tasks table and its counts. */
export async function resetTasksTable(dataSource: DataSource): Promise<void> {
  await dataSource.query('TRUNCATE TABLE background_tasks');
  await dataSource.query('TRUNCATE TABLE background_task_counts');
}
