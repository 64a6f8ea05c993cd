import { FlowProducer, Worker, type FlowJob } from 'bullmq';
import { Redis } from 'ioredis';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { TasksService, TaskStatus } from 'tasks-module';
import { BENCH_QUEUE, createBenchApp, resetTasksTable } from './bench-app.js';
import type { BenchEnv } from './scenarios.js';

/** A workflow shape: a chain of `length` steps, or a group of `length` members. */
export interface WorkflowShape {
  kind: 'chain' | 'group';
  length: number;
  /** Workflows run one after another; the figure is workflows per second. */
  repeat: number;
}

const NOOP_JOB = { name: 'bench.noop', queueName: BENCH_QUEUE, data: { params: {} } };

/**
 * Baseline: the same shape in raw BullMQ flows. A chain is a nest of parents (the last step at
 * the top: BullMQ runs children first); a group is one parent with every member as a child, the
 * parent being the group's completion. Time until the top job completes.
 */
export async function rawBullmqFlows(env: BenchEnv, shape: WorkflowShape): Promise<number> {
  const prefix = env.nextPrefix();
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const flows = new FlowProducer({ connection, prefix });
  const completed = new Set<string>();
  const worker = new Worker(BENCH_QUEUE, async () => null, { connection: new Redis(env.redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: 50 });
  worker.on('completed', (job) => completed.add(job.id!));
  await worker.waitUntilReady();
  const started = process.hrtime.bigint();
  for (let round = 0; round < shape.repeat; round++) {
    const { job } = await flows.add(flowOf(shape));
    await until(() => completed.has(job.id!));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  await flows.close();
  connection.disconnect();
  return shape.repeat / seconds;
}

function flowOf(shape: WorkflowShape): FlowJob {
  if (shape.kind === 'group') return { ...NOOP_JOB, children: Array.from({ length: shape.length }, () => ({ ...NOOP_JOB })) };
  let flow: FlowJob = { ...NOOP_JOB };
  for (let step = 1; step < shape.length; step++) flow = { ...NOOP_JOB, children: [flow] };
  return flow;
}

/**
 * Ours: the same shape through `TasksService.chain` / `group`, until the workflow row's
 * `completed` arrives as a task event (the module's own notification, as BullMQ's `completed`
 * event is the baseline's; polling the row every 5 ms cost the measured process a query each
 * time and each workflow 2.5 ms on average).
 */
export async function tasksModuleWorkflows(env: BenchEnv, shape: WorkflowShape): Promise<number> {
  const { app, dataSource, close } = await createBenchApp({ databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, queuePrefix: env.nextPrefix(), concurrency: 50 });
  try {
    const tasks = app.get(TasksService);
    const steps = Array.from({ length: shape.length }, () => ({ taskName: 'bench.noop', params: {} }));
    const started = process.hrtime.bigint();
    for (let round = 0; round < shape.repeat; round++) {
      const before = await tasks.latestTaskEventId();
      const { workflowId } = shape.kind === 'chain' ? await tasks.chain(steps) : await tasks.group(steps);
      const events = tasks.taskEvents({ taskId: workflowId }, before).pipe(filter((event) => FINAL.has(event.status)), timeout({ first: 300_000 }));
      const { status } = await firstValueFrom(events);
      if (status !== TaskStatus.Completed) throw new Error(`bench: a workflow ended ${status}`);
    }
    const rate = shape.repeat / (Number(process.hrtime.bigint() - started) / 1e9);
    // The rows go with the run: the next round, and the next scenario, start from an empty table.
    await resetTasksTable(dataSource);
    return rate;
  } finally {
    await close();
  }
}

const FINAL = new Set<string>([TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled]);

async function until(condition: () => boolean, pollMs = 2): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('bench: a workflow did not complete in 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
