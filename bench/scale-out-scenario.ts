import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { TasksService, TaskStatus } from 'tasks-module';
import { createBenchApp, resetTasksTable } from './bench-app.js';
import { undoOnInterrupt } from './interrupt.js';
import { mysqlCpuMs } from './process-cpu.js';
import type { BenchEnv } from './scenarios.js';

/** Tasks/s and MySQL CPU per task with the handlers in `workers` processes of their own. */
export interface ScaleOutRate {
  perSecond: number;
  mysqlCpuUsPerTask?: number;
}

/**
 * Separate processes, as a deployment runs them: this process is the API (it enqueues, runs no
 * worker), `workers` worker processes (concurrency 50 each) take the jobs. The tasks are
 * enqueued while the queue is paused, then released; the rate is over their processing.
 */
export async function scaleOut(env: BenchEnv, tasks: number, workers: number): Promise<ScaleOutRate> {
  const queuePrefix = env.nextPrefix();
  const { app, dataSource, queue, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix, concurrency: 50, role: 'api' });
  const children: ChildProcess[] = [];
  // A run stopped half-way must not leave worker processes behind, polling a dropped database.
  const done = undoOnInterrupt(() => stopWorkers(children));
  try {
    for (let i = 0; i < workers; i++) children.push(await startWorker(env, queuePrefix));
    const service = app.get(TasksService);
    // The rate ends when `tasks` rows are completed: none may be there before this run's.
    await resetTasksTable(dataSource);
    await queue.pause();
    for (let offset = 0; offset < tasks; offset += 1000) {
      await service.enqueueMany(Array.from({ length: Math.min(1000, tasks - offset) }, () => ({ taskName: 'bench.noop' })));
    }
    const cpuBefore = mysqlCpuMs();
    const started = process.hrtime.bigint();
    await queue.resume();
    while ((await service.getTaskCount({ status: TaskStatus.Completed })) < tasks) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAfter = mysqlCpuMs();
    await queue.obliterate({ force: true });
    await resetTasksTable(dataSource);
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : Math.round(((cpuAfter - cpuBefore) * 1000) / tasks);
    return { perSecond: tasks / seconds, mysqlCpuUsPerTask: cpu };
  } finally {
    done();
    await stopWorkers(children);
    await close();
  }
}

/** Asks each worker process to stop (it closes its app) and waits until it has. */
async function stopWorkers(children: ChildProcess[]): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
}

async function startWorker(env: BenchEnv, queuePrefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [new URL('./worker-process.js', import.meta.url).pathname], {
    env: { ...process.env, DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, QUEUE_PREFIX: queuePrefix, CONCURRENCY: '50' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('READY')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench worker did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}
