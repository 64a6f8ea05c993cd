import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BackgroundTask, encodeTaskCursor, TASK_ERROR_TYPES, TasksService, TaskStatus, type TaskFilter } from 'tasks-module';
import { createBenchApp, resetTasksTable } from './bench-app.js';
import type { BenchEnv } from './scenarios.js';

/** p95 latencies (ms) of the read paths at one table size. */
export interface ReadLatencies {
  firstPage: number;
  deepPage: number;
  count: number;
  /** The same with an `error_type` filter (alone and with every status and type). */
  firstPageByClass: number;
  countByClass: number;
  /** `getTaskStats` (what GET /stats serves) over windows from 15 minutes to 30 days, alone and filtered. */
  stats: number;
  /** The same outcomes by a plain GROUP BY over `background_tasks` (what a mirror without the summary does). */
  naiveStats: number;
}

const TYPES = ['email', 'report', 'analytics', 'cleanup'];
const DEEP_PAGES = 200;
/** A plausible history: most tasks finished well, a few failed or are still queued. */
const STATUS_MIX: Array<[TaskStatus, number]> = [
  [TaskStatus.Completed, 0.8], [TaskStatus.Failed, 0.1], [TaskStatus.Cancelled, 0.03], [TaskStatus.Running, 0.02], [TaskStatus.Pending, 0.05],
];

function statusFor(random: number): TaskStatus {
  let sum = 0;
  for (const [status, share] of STATUS_MIX) if (random < (sum += share)) return status;
  return TaskStatus.Completed;
}

/** Adds rows in multi-row INSERTs of 5,000, created over the last 30 days in order. */
async function seed(dataSource: DataSource, from: number, to: number, total: number): Promise<void> {
  const start = Date.now() - 30 * 86_400_000;
  for (let i = from; i < to; i += 5000) {
    const rows = [];
    for (let j = i; j < Math.min(to, i + 5000); j++) {
      const status = statusFor(Math.random());
      const created = new Date(start + Math.floor((j / total) * 30 * 86_400_000));
      // Failed rows carry their failure class, and so do a third of the pending ones (retries due).
      const failed = status === TaskStatus.Failed || (status === TaskStatus.Pending && Math.random() < 0.3);
      const errorType = failed ? TASK_ERROR_TYPES[Math.floor(Math.random() * TASK_ERROR_TYPES.length)] : null;
      rows.push([randomUUID(), `bench.${TYPES[j % 4]}.${j % 3}`, TYPES[j % 4], 1 + (j % 10), status, '{}', created,
        status === TaskStatus.Pending ? null : created, [TaskStatus.Pending, TaskStatus.Running].includes(status) ? null : created, errorType]);
    }
    await dataSource.query(
      'INSERT INTO background_tasks (task_id, task_name, task_type, priority, status, params, created_at, started_at, completed_at, error_type) VALUES ?',
      [rows],
    );
  }
}

/**
 * After a bulk seed, lets InnoDB finish writing it back (dirty pages flushed, at most 60 s)
 * and refreshes the statistics, so that reads are timed on a settled database rather than
 * against the flush of a million fresh rows. Both table sizes get the same treatment.
 */
async function settle(dataSource: DataSource): Promise<void> {
  await dataSource.query('ANALYZE TABLE background_tasks');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [row]: { Value: string }[] = await dataSource.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
    if (Number(row?.Value ?? 0) < 100) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function p95(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
}

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Every filter combination of the list and count routes: none, each status, each type, each pair. */
function filters(): TaskFilter[] {
  const statuses = Object.values(TaskStatus);
  return [
    {},
    ...statuses.map((status) => ({ status })),
    ...TYPES.map((taskType) => ({ taskType })),
    ...statuses.flatMap((status) => TYPES.map((taskType) => ({ status, taskType }))),
  ];
}

/** Each failure class alone and with every status, every type and every pair. */
function classFilters(): TaskFilter[] {
  return TASK_ERROR_TYPES.flatMap((errorType) => filters().map((filter) => ({ ...filter, errorType })));
}

async function measure(service: TasksService, dataSource: DataSource): Promise<ReadLatencies> {
  const first: number[] = [];
  const deep: number[] = [];
  const counts: number[] = [];
  const firstByClass: number[] = [];
  const countsByClass: number[] = [];
  // One untimed pass first: the p95 is of reads from a warm buffer pool (the steady state of
  // a serving database), not of the first touch of each index after seeding.
  for (const filter of [...filters(), ...classFilters()]) {
    await service.listTasks({ ...filter, limit: 100 });
    await service.getTaskCount(filter);
  }
  for (let round = 0; round < 5; round++) {
    for (const filter of filters()) {
      first.push(await timed(() => service.listTasks({ ...filter, limit: 100 })));
      counts.push(await timed(() => service.getTaskCount(filter)));
    }
    for (const filter of classFilters()) {
      firstByClass.push(await timed(() => service.listTasks({ ...filter, limit: 100 })));
      countsByClass.push(await timed(() => service.getTaskCount(filter)));
    }
  }
  // Deep pages: 200 pages of 1,000 that start after rows picked at random over the whole table
  // (as a client holding a cursor from anywhere would read them), each timed. 200, not fewer:
  // the p95 of 40 samples is their second slowest, one hiccup of the machine.
  const [{ n }]: { n: string }[] = await dataSource.query('SELECT MAX(id) AS n FROM background_tasks');
  const rows = dataSource.getRepository(BackgroundTask);
  for (let page = 0; page < DEEP_PAGES; page++) {
    const row = await rows.findOneBy({ id: 1 + Math.floor(Math.random() * Number(n)) });
    if (!row) continue;
    const cursor = encodeTaskCursor(row);
    deep.push(await timed(() => service.listTasks({ limit: 1000, cursor })));
  }
  return { firstPage: p95(first), deepPage: p95(deep), count: p95(counts), firstPageByClass: p95(firstByClass), countByClass: p95(countsByClass), stats: await measureStats(service), naiveStats: await measureNaiveStats(dataSource) };
}

/** The baseline: outcomes per type, name, status and class with durations, straight from the rows. */
async function measureNaiveStats(dataSource: DataSource): Promise<number> {
  const samples: number[] = [];
  for (const hours of [1, 24, 720]) {
    for (let round = 0; round < 2; round++) {
      samples.push(await timed(() => dataSource.query(
        `SELECT task_type, task_name, status, error_type, COUNT(*) AS n, AVG(TIMESTAMPDIFF(MICROSECOND, started_at, completed_at)) AS mean
           FROM background_tasks WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at >= NOW() - INTERVAL ? HOUR
          GROUP BY task_type, task_name, status, error_type`,
        [hours],
      )));
    }
  }
  return p95(samples);
}

/** Windows of the stats route, alone and with a type or a name filter (a warm pass first). */
async function measureStats(service: TasksService): Promise<number> {
  const windows = ['15m', '1h', '6h', '24h', '7d', '30d'].map((window) => Number(window.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[window.slice(-1) as 'm' | 'h' | 'd']);
  const inputs = windows.flatMap((windowMs) => [{ windowMs }, { windowMs, taskType: 'email' }, { windowMs, taskName: 'bench.report.1' }]);
  for (const input of inputs) await service.getTaskStats(input);
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) for (const input of inputs) samples.push(await timed(() => service.getTaskStats(input)));
  return p95(samples);
}

/** Read latencies at `small` rows, then at `large` rows (the same table grown). */
export async function largeTable(env: BenchEnv, small: number, large: number): Promise<{ small: ReadLatencies; large: ReadLatencies }> {
  const { app, close } = await createBenchApp({
    databaseUrl: env.databaseUrl,
    redisUrl: env.redisUrl,
    queuePrefix: env.nextPrefix(),
    concurrency: 1,
    otherQueues: TYPES.map((type) => ({ name: type, taskType: type, defaultPriority: 5, concurrency: 1 })),
  });
  try {
    const dataSource = app.get(DataSource);
    const service = app.get(TasksService);
    await resetTasksTable(dataSource);
    await seed(dataSource, 0, small, large);
    // Rows written with plain SQL are counted once recounted, as a host's own writes would be.
    await service.recountTasks();
    await service.rebuildTaskStats();
    await settle(dataSource);
    const atSmall = await measure(service, dataSource);
    await seed(dataSource, small, large, large);
    await service.recountTasks();
    await service.rebuildTaskStats();
    await settle(dataSource);
    const atLarge = await measure(service, dataSource);
    await resetTasksTable(dataSource);
    return { small: atSmall, large: atLarge };
  } finally {
    await close();
  }
}
