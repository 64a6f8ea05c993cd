import { Body, Controller, HttpCode, Inject, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { tasksDataSourceOptions } from '../migrations/data-source.js';
import { TasksModule } from 'tasks-module';
import { BENCH_QUEUE, NoopTasks, openBenchQueue, resetTasksTable } from './bench-app.js';
import type { BenchEnv } from './scenarios.js';

/** One HTTP load run: requests per second and latency percentiles (ms). */
export interface HttpRate {
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
}

const BARE_QUEUE = Symbol('BARE_QUEUE');
const run = promisify(execFile);
/** autocannon's command-line entry point. */
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** The baseline: a bare Nest endpoint that only adds a BullMQ job (no validation, no MySQL). */
@Controller('bare')
class BareEnqueueController {
  constructor(@Inject(BARE_QUEUE) private readonly queue: Queue) {}

  @Post('enqueue')
  @HttpCode(201)
  async enqueue(@Body() body: { task_name: string; params?: Record<string, unknown> }) {
    const job = await this.queue.add(body.task_name, { params: body.params ?? {} }, { priority: 6, attempts: 4 });
    return { task_id: job.id };
  }
}

/**
 * Loads `path` with autocannon's CLI in a process of its own (so the load generator does not
 * share the server's event loop): 50 connections for `durationSeconds`. The rate counts 2xx
 * answers only; the others are reported apart.
 */
async function load(app: INestApplication, path: string, durationSeconds: number): Promise<HttpRate> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const { stdout } = await run(process.execPath, [
    AUTOCANNON, '--json', '-c', '50', '-d', String(durationSeconds), '-m', 'POST',
    '-H', 'content-type=application/json', '-b', JSON.stringify({ task_name: 'bench.noop', params: { n: 1 } }),
    `http://127.0.0.1:${port}${path}`,
  ], { maxBuffer: 64 * 1024 * 1024 });
  const result = JSON.parse(stdout) as { '2xx': number; non2xx: number; duration: number; latency: { p50: number; p99: number } };
  return { perSecond: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

/** Baseline: POST to the bare endpoint under autocannon (50 connections). */
export async function bareNestEnqueueHttp(env: BenchEnv, durationSeconds: number): Promise<HttpRate> {
  const connection = new Redis(env.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const queue = new Queue(BENCH_QUEUE, { connection, prefix: env.nextPrefix() });
  await queue.waitUntilReady();

  @Module({ controllers: [BareEnqueueController], providers: [{ provide: BARE_QUEUE, useValue: queue }] })
  class BareModule {}

  const app = await NestFactory.create(BareModule, { logger: ['error'] });
  try {
    return await load(app, '/bare/enqueue', durationSeconds);
  } finally {
    await app.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

/** Ours: `POST /api/tasks/enqueue` of an API-only TasksModule (validation, row, job). */
export async function tasksModuleEnqueueHttp(env: BenchEnv, durationSeconds: number): Promise<HttpRate> {
  const queuePrefix = env.nextPrefix();
  @Module({
    imports: [
      TypeOrmModule.forRoot({ ...tasksDataSourceOptions(env.databaseUrl), migrationsRun: true }),
      TasksModule.forRoot({
        redis: env.redisUrl,
        queuePrefix,
        queues: [{ name: BENCH_QUEUE, taskType: 'bench', defaultPriority: 5, concurrency: 1 }],
        role: 'api',
      }),
    ],
    providers: [NoopTasks],
  })
  class ApiModule {}

  const app = await NestFactory.create(ApiModule, { logger: ['error'] });
  try {
    return await load(app, '/api/tasks/enqueue', durationSeconds);
  } finally {
    const queue = openBenchQueue(env.redisUrl, queuePrefix);
    await queue.obliterate({ force: true });
    await queue.close();
    await resetTasksTable(app.get(DataSource));
    await app.close();
  }
}
