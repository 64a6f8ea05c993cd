import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication, Provider } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Job, JobState, Queue } from 'bullmq';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../../migrations/data-source.js';
import { dropDatabase, ensureDatabase } from '../../src/config/ensure-database.js';
import { deleteRedisKeys as deleteKeysMatching } from '../../src/config/redis-keys.js';
import { DEMO_QUEUES, DemoModule } from '../../src/demo/demo.module.js';
import { TaskQueues } from '../../src/tasks/queue/task-queues.js';
import {
  BackgroundTask,
  isFinalStatus,
  TasksModule,
  TasksService,
  type TaskQueueOptions,
  type TasksModuleOptions,
  type TasksRole,
} from '../../src/tasks/index.js';

/** Server URLs of the machine's MariaDB and Redis (override for other hosts). */
export const MYSQL_SERVER_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The `test` queue, carrying the `test` task type of the fixture handlers. */
export const TEST_QUEUE: TaskQueueOptions = { name: 'test', taskType: 'test', defaultPriority: 5, concurrency: 1 };

export interface TestAppOptions {
  /** Short suite name, part of the database name and queue prefix. */
  suite: string;
  /** Extra providers (fixture processors). */
  providers?: Provider[];
  /** Overrides of the TasksModule options. */
  tasks?: Partial<TasksModuleOptions>;
  /** Called on the app before `init()`, as `main.ts` does (Swagger, say). */
  configure?: (app: INestApplication) => void;
  /** What the process does (TasksModule's `role`); default `all`. */
  role?: TasksRole;
  /** Another app whose database and queue prefix this one shares (it then drops neither). */
  shareWith?: TestApp;
  /** Servers other than the machine's (private ones a suite may kill). */
  mysqlServerUrl?: string;
  redisUrl?: string;
}

/** A running app on a database and queue prefix of its own. */
export interface TestApp {
  app: INestApplication;
  tasks: TasksService;
  dataSource: DataSource;
  databaseUrl: string;
  queuePrefix: string;
  outputDir: string;
  http(): ReturnType<typeof request>;
  queue(name: string): Queue;
  close(): Promise<void>;
}

/** A unique, readable id for one suite's resources. */
export function uniqueSuiteId(suite: string): string {
  return `${suite}_${randomBytes(4).toString('hex')}`;
}

/**
 * Starts the demo's TasksModule with the fixture handlers on a fresh database (migrated)
 * and a fresh queue prefix; `close()` drops both.
 */
export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const id = uniqueSuiteId(options.suite);
  const owner = !options.shareWith;
  const databaseUrl = options.shareWith?.databaseUrl ?? `${options.mysqlServerUrl ?? MYSQL_SERVER_URL}/tasks_test_${id}`;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const queuePrefix = options.shareWith?.queuePrefix ?? `tasks-test-${id}`;
  const outputDir = await mkdtemp(join(tmpdir(), `tasks-${options.suite}-`));
  if (owner) await ensureDatabase(databaseUrl);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ DEMO_OUTPUT_DIR: outputDir })] }),
      TypeOrmModule.forRoot({ ...tasksDataSourceOptions(databaseUrl), migrationsRun: true }),
      TasksModule.forRoot({
        redis: redisUrl,
        queuePrefix,
        queues: [...DEMO_QUEUES, TEST_QUEUE],
        retry: { backoffDelayMs: 50 },
        // Suites seed rows dated 2024; the retention suite turns the cleanup on for itself.
        retention: { finishedMaxAgeMs: 0 },
        ...options.tasks,
        role: options.role,
        isGlobal: true,
      }),
      DemoModule,
    ],
    providers: options.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  options.configure?.(app);
  try {
    await app.init();
  } catch (error) {
    await app.close();
    if (owner) {
      await dropDatabase(databaseUrl);
      await deleteRedisKeys(queuePrefix, redisUrl);
    }
    throw error;
  }
  const queues = app.get(TaskQueues);
  return {
    app,
    tasks: app.get(TasksService),
    dataSource: app.get(DataSource),
    databaseUrl,
    queuePrefix,
    outputDir,
    http: () => request(app.getHttpServer()),
    queue: (name) => queues.get(name),
    close: async () => {
      await app.close();
      if (owner) {
        await dropDatabase(databaseUrl);
        await deleteRedisKeys(queuePrefix, redisUrl);
      }
      await rm(outputDir, { recursive: true, force: true });
    },
  };
}

/** Deletes every Redis key under a queue prefix. */
export function deleteRedisKeys(prefix: string, redisUrl = REDIS_URL): Promise<void> {
  return deleteKeysMatching(redisUrl, `${prefix}:*`);
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the job is in `state`, then returns it freshly read (so its fields match that state). */
export async function waitForJobState(queue: Queue, jobId: string, state: JobState): Promise<Job> {
  await waitFor(async () => (await queue.getJobState(jobId)) === state, `job ${jobId} to be ${state}`);
  return (await queue.getJob(jobId))!;
}

/** Waits until the task reaches a final state and returns its row. */
export function waitForFinalRow(tasks: TasksService, taskId: string): Promise<BackgroundTask> {
  return waitFor(async () => {
    const task = await tasks.getTaskStatus(taskId);
    return isFinalStatus(task.status) && task;
  }, `task ${taskId} to finish`);
}
